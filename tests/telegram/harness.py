"""Run the real python-telegram-bot client end to end against a local Bot API emulator.

Pieces (the fixtures in ``conftest.py`` wire them together):

* :func:`ensure_emulator_installed` - ``npm ci`` of telegram-test-api 4.2.1 (pinned in
  ``emulator/package.json``) when ``emulator/node_modules`` is missing.
* :class:`Emulator` - the Node process (``emulator/start.js``) on a loopback port.
* :class:`TelegramProxy` - sits between the bot and the emulator: repairs the
  emulator's answers (quirks listed in ``harness_compat``), records calls, injects faults.
* :class:`FakeUser` - the user side: sends messages, commands, button presses, reads
  the bot's replies.
* PTB helpers: :func:`application_builder`, :func:`running_application`,
  :class:`ErrorCollector`, :func:`async_test`, :func:`make_bot_token`.

Usage::

    @async_test
    async def test_echo(proxy: TelegramProxy, bot_token: str, fake_user: FakeUser) -> None:
        app = application_builder(bot_token, proxy).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        with ErrorCollector(app) as errors:
            async with running_application(app):
                await fake_user.send_message("hi")
                assert (await fake_user.wait_for_reply())["text"] == "hi"
        errors.assert_clean()

The emulator keeps everything in memory: a stop, kill or restart loses every stored
message and update, and its message ids start again from 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import itertools
import json
import logging
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec, Self

from harness_compat import (
    BOT_USERNAME,
    EMULATED_METHODS,
    STUBBED_METHODS,
    bot_id_from_token,
    bot_user,
)
from harness_proxy import FaultKind, RecordedCall, TelegramProxy
from harness_user import BotReply, FakeUser
from telegram.ext import Application, ApplicationBuilder, ContextTypes

__all__ = [
    "BOT_USERNAME",
    "EMULATED_METHODS",
    "EMULATOR_DIR",
    "STUBBED_METHODS",
    "BotReply",
    "Emulator",
    "EmulatorError",
    "ErrorCollector",
    "FakeUser",
    "FaultKind",
    "RecordedCall",
    "TelegramProxy",
    "application_builder",
    "async_test",
    "bot_id_from_token",
    "bot_user",
    "bypass_proxies_for_loopback",
    "ensure_emulator_installed",
    "free_port",
    "make_bot_token",
    "running_application",
]

EMULATOR_DIR = Path(__file__).resolve().parent / "emulator"
_PACKAGE = "telegram-test-api"
_P = ParamSpec("_P")


class EmulatorError(RuntimeError):
    """The emulator could not be installed, started or stopped."""


# -- installation --------------------------------------------------------------------
def ensure_emulator_installed(emulator_dir: Path = EMULATOR_DIR) -> Path:
    """Install the pinned telegram-test-api with ``npm ci`` (``npm install`` as fallback)
    unless ``node_modules`` already holds that version; returns the package directory.

    Raises :class:`EmulatorError` with one clear message if node or npm is missing or
    the install fails. Safe to call from several processes at once (file lock).
    """
    package_dir = emulator_dir / "node_modules" / _PACKAGE
    wanted = json.loads((emulator_dir / "package.json").read_text())["dependencies"][_PACKAGE]
    if _installed_version(package_dir) == wanted:
        return package_dir
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise EmulatorError(
                f"`{tool}` not found on PATH: the Telegram end-to-end tests need Node.js "
                f"and npm to install {_PACKAGE} in {emulator_dir} (e.g. apt-get install nodejs npm)"
            )
    digest = hashlib.sha256(str(emulator_dir).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"qabot-telegram-emulator-{digest}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing right now
        if _installed_version(package_dir) == wanted:
            return package_dir
        failures = []
        for command in (["npm", "ci"], ["npm", "install"]):
            result = subprocess.run(
                [*command, "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=emulator_dir,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode == 0 and _installed_version(package_dir) == wanted:
                return package_dir
            failures.append(
                f"$ {' '.join(command)}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
    raise EmulatorError(f"could not install {_PACKAGE}@{wanted}:\n" + "\n".join(failures))


def _installed_version(package_dir: Path) -> str | None:
    try:
        return str(json.loads((package_dir / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


# -- emulator process ----------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    """The telegram-test-api Node process, listening on ``127.0.0.1:<port>``.

    The port is chosen once, at construction, so :meth:`restart` (or :meth:`kill` then
    :meth:`start`) comes back on the same port and a running bot can reconnect. State
    does not survive: a stopped emulator forgets every message and update.

    Usage::

        with Emulator() as emulator:        # starts; stops on exit
            print(emulator.url)             # http://127.0.0.1:<port>
            emulator.kill()                 # crash it (SIGKILL)
            emulator.start()                # same port, empty state
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        emulator_dir: Path = EMULATOR_DIR,
        startup_timeout: float = 20.0,
        store_timeout: int = 3600,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.emulator_dir = emulator_dir
        self.startup_timeout = startup_timeout
        # The emulator forgets messages older than this (checked as often); its reads
        # scan everything it holds, so long load runs keep it short.
        self.store_timeout = store_timeout
        self.log_path = Path(tempfile.mkstemp(prefix="telegram-emulator-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the bot API is under ``/bot<token>/``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The Node process id while running (benchmarks read its CPU time)."""
        return self._process.pid if self.is_running and self._process else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the process and wait for its ``READY <port>`` line; no-op if running."""
        if self.is_running:
            return self
        node = shutil.which("node")
        if node is None:
            raise EmulatorError("`node` not found on PATH: the Telegram emulator needs Node.js")
        with self.log_path.open("ab") as log:
            # stdin stays a pipe: start.js exits when it closes, i.e. when pytest dies.
            process = subprocess.Popen(
                [node, "start.js", str(self.port), str(self.store_timeout)],
                cwd=self.emulator_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self._process = process
        try:
            self._wait_ready(process)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulatorError(
                        f"emulator not ready in {self.startup_timeout} s{self._log_tail()}"
                    )
                if not selector.select(remaining):
                    continue
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    code = process.wait()
                    raise EmulatorError(f"emulator exited with code {code}{self._log_tail()}")
                buffer += chunk
        if buffer.split(b"\n", 1)[0].strip() != f"READY {self.port}".encode():
            raise EmulatorError(f"unexpected emulator output {buffer!r}{self._log_tail()}")

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; no-op if not running."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()

    def kill(self) -> None:
        """Crash the emulator (SIGKILL, no graceful shutdown) to test reconnection."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
        self.stop()

    def restart(self) -> Self:
        """Stop and start again on the same port (with empty state)."""
        self.stop()
        return self.start()

    def _log_tail(self) -> str:
        text = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
        return f"; emulator log ({self.log_path}):\n{text}" if text else ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- python-telegram-bot helpers -----------------------------------------------------
_bot_ids = itertools.count(700_000_001)


def make_bot_token() -> str:
    """A fresh, well-formed fake token; its prefix is the bot id the proxy reports.

    Use one per test: the emulator keys all its storage by token, so tests sharing the
    session emulator never see each other's messages.
    """
    return f"{next(_bot_ids)}:TEST{secrets.token_hex(16)}"


def bypass_proxies_for_loopback() -> None:
    """Make httpx clients that read the environment (PTB's) reach 127.0.0.1 directly."""
    for name in ("NO_PROXY", "no_proxy"):
        entries = [e for e in os.environ.get(name, "").split(",") if e]
        os.environ[name] = ",".join(
            [*entries, *(h for h in ("127.0.0.1", "localhost") if h not in entries)]
        )


def application_builder(token: str, proxy: TelegramProxy | str) -> ApplicationBuilder:
    """A PTB ``ApplicationBuilder`` aimed at the proxy (or at a ``.../bot`` base URL)."""
    base_url = proxy.base_url if isinstance(proxy, TelegramProxy) else proxy
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .get_updates_read_timeout(5.0)
        # httpcore can leak the pooled connection of a poll cancelled by Updater.stop()
        # (encode/httpcore#658); a spare one lets the final cleanup poll go through.
        .get_updates_connection_pool_size(2)
    )


@contextlib.asynccontextmanager
async def running_application(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_interval: float = 0.05,
    timeout: float = 1.0,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialize, start polling and start ``application``; stop and shut down on exit.

    ``poll_interval`` must stay small: the emulator never long-polls (the proxy holds
    an empty ``getUpdates`` for at most ``timeout`` s, capped at 1 s by default).
    """
    async with application:
        assert application.updater is not None, "build the application with an updater"
        await application.updater.start_polling(poll_interval=poll_interval, timeout=timeout)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


class ErrorCollector(logging.Handler):
    """Collects exceptions from PTB handlers and ERROR logs of the ``telegram`` loggers.

    Needed because the emulator stores a reply even when PTB failed to parse the answer
    to it, and because PTB only logs (never raises) when it cannot parse an update.

    Usage::

        with ErrorCollector(app) as errors:
            async with running_application(app): ...
        errors.assert_clean()      # or errors.assert_no_handler_errors()
    """

    #: Logged errors that are not failures: Updater.stop() can cancel a poll at a moment
    #: where httpcore leaks its connection (encode/httpcore#658), so the last poll, which
    #: only confirms updates (the emulator marks them read anyway), hits a pool timeout.
    #: :func:`application_builder` avoids it; bots built otherwise may still log it.
    BENIGN_LOGS: tuple[str, ...] = (
        "Error while calling `get_updates` one more time to mark all fetched updates",
    )

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(level=logging.ERROR)
        self.handler_errors: list[BaseException] = []
        self.log_records: list[logging.LogRecord] = []
        application.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            self.handler_errors.append(context.error)

    def emit(self, record: logging.LogRecord) -> None:
        if not any(benign in record.getMessage() for benign in self.BENIGN_LOGS):
            self.log_records.append(record)

    def __enter__(self) -> Self:
        logging.getLogger("telegram").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("telegram").removeHandler(self)

    def assert_no_handler_errors(self) -> None:
        """Fail if any handler raised (e.g. PTB could not parse a sendMessage answer)."""
        assert not self.handler_errors, f"PTB handler errors: {self.handler_errors!r}"

    def assert_clean(self) -> None:
        """Also fail on ERROR logs, e.g. polling errors or updates PTB could not parse."""
        self.assert_no_handler_errors()
        messages = [
            f"{r.name}: {r.getMessage()} {r.exc_info and r.exc_info[1]!r}" for r in self.log_records
        ]
        assert not messages, f"PTB logged errors: {messages}"


def async_test(
    func: Callable[_P, Coroutine[Any, Any, None]] | None = None, *, timeout: float = 60
) -> Any:
    """Run an ``async def`` test in a fresh event loop (no pytest-asyncio needed).

    Fixtures work as usual: pytest sees the wrapped function's signature. A test that
    hangs fails after ``timeout`` s instead of blocking the run. Use it bare
    (``@async_test``) or with a longer budget for load tests (``@async_test(timeout=180)``).
    """

    def decorate(test: Callable[_P, Coroutine[Any, Any, None]]) -> Callable[_P, None]:
        @functools.wraps(test)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
            asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout=timeout))

        return wrapper

    return decorate(func) if func is not None else decorate
