#!/usr/bin/env node
// Starts the telegram-test-api Bot API emulator for qabot's end-to-end tests.
//
// Usage: node start.js <port> [storeTimeoutSeconds]
//
// Listens on 127.0.0.1:<port> only and prints exactly one line, "READY <port>",
// on stdout once the socket is listening; tests/telegram/harness.py waits for it.
// Exits 0 on SIGTERM/SIGINT, and also when stdin closes, so that an emulator whose
// Python parent died (e.g. a killed pytest run) does not outlive it.
'use strict';

const TelegramServer = require('telegram-test-api');

// index.js assigns the class to module.exports; the named export is a fallback for
// other builds of the package.
const ServerClass = TelegramServer.TelegramServer || TelegramServer;

const port = Number.parseInt(process.argv[2], 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: node start.js <port> [storeTimeoutSeconds]\n');
  process.exit(2);
}
// The package drops stored messages older than storeTimeout (default 60 s); a long
// test session would otherwise lose replies it has not read yet.
const storeTimeout = Number.parseInt(process.argv[3] || '3600', 10);

const server = new ServerClass({ host: '127.0.0.1', port, storeTimeout });

let stopping = false;
async function shutdown(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  // http-shutdown waits for in-flight requests; never let a stuck keep-alive
  // connection keep the process alive.
  setTimeout(() => process.exit(code), 2000).unref();
  try {
    await server.stop();
  } catch (err) {
    process.stderr.write(`error while stopping emulator: ${err}\n`);
  }
  process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();

server.start().then(
  () => {
    process.stdout.write(`READY ${port}\n`);
  },
  (err) => {
    process.stderr.write(`emulator failed to listen on 127.0.0.1:${port}: ${err}\n`);
    process.exit(1);
  },
);
