"""Fault-injection proxy between a python-telegram-bot bot and telegram-test-api.

The bot's ``base_url`` points at this proxy. It records every Bot API call, serves
injected faults, answers the methods in :data:`STUBBED_METHODS` itself and forwards
the rest to the emulator, repairing its answers with :class:`CompatLayer` (see
``harness_compat`` for the list of emulator quirks). Paths outside ``/bot<token>/``
(the emulator's user-side API) are passed through unchanged.

``getUpdates`` on the emulator ignores ``timeout`` and never blocks: the proxy holds
an empty answer for up to ``min(timeout, hold_get_updates)`` seconds, re-asking the
emulator every 50 ms. Bots should still poll with a small ``poll_interval`` (0.05 s).
The emulator also ignores ``offset``: it marks updates read when it returns them.

The emulator's users can only send messages and press buttons. Other updates (inline
queries, edited messages, the bot being added to a group) are *injected*: queued
with :meth:`TelegramProxy.inject_update` and returned by the next ``getUpdates``.

Usage::

    with TelegramProxy(emulator.url) as proxy:
        app = ApplicationBuilder().token(token).base_url(proxy.base_url).build()
        proxy.inject_retry_after("sendMessage", retry_after=1)
        ...
        assert proxy.calls("setMyCommands")
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import itertools
import json
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import httpx
from harness_compat import STUBBED_METHODS, CompatLayer, decode_params

_BOT_PATH: Final = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")


class FaultKind(enum.StrEnum):
    """What the proxy answers instead of forwarding a call."""

    SERVER_ERROR = "server_error"  # HTTP 500 (or another status) with an error body
    RETRY_AFTER = "retry_after"  # HTTP 429 with parameters.retry_after
    MALFORMED_JSON = "malformed_json"  # HTTP 200 with a truncated JSON body
    HTML_PAGE = "html_page"  # an HTML error page (a reverse proxy's), not a Bot API answer
    CONNECTION_CLOSED = "connection_closed"  # proxy "down": socket closed, no answer


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API request the bot made. ``params`` are decoded: JSON objects/arrays and
    integer ids are parsed, other form values stay the strings PTB sent."""

    method: str
    token: str
    params: dict[str, Any]
    files: tuple[str, ...] = ()  # multipart parts that carried a filename
    fault: FaultKind | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    kind: FaultKind
    remaining: int
    status: int = 500
    retry_after: int = 1


class TelegramProxy:
    """Threaded HTTP proxy on 127.0.0.1 that repairs emulator answers and injects faults.

    Faults are queued per method and consumed in order; a faulted call is answered by
    the proxy and never reaches the emulator. Thread-safe; the async ``wait_for_call``
    lets tests wait from inside the bot's event loop.

    Usage::

        proxy = TelegramProxy("http://127.0.0.1:9000").start()
        proxy.inject_server_error("sendMessage")      # next sendMessage -> HTTP 500
        proxy.go_down(2.0)                            # close every connection for 2 s
        print(proxy.call_counts()["getUpdates"], proxy.faults_served())
        proxy.stop()
    """

    def __init__(self, upstream_url: str, *, port: int = 0, hold_get_updates: float = 1.0) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.hold_get_updates = hold_get_updates
        self._requested_port = port
        self._lock = threading.Lock()
        self._faults: dict[str, collections.deque[_Fault]] = collections.defaultdict(
            collections.deque
        )
        self._calls: list[RecordedCall] = []
        self._down_until = 0.0
        self._upstream_errors = 0
        self._internal_errors: list[Exception] = []
        self._stopping = threading.Event()
        self._compat = CompatLayer()
        self._injected: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self._injected_ids = itertools.count(2_000_000_000)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(trust_env=False, timeout=10.0)

    # -- lifecycle -----------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("proxy is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass to PTB's ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass to PTB's ``ApplicationBuilder.base_file_url`` (files are not emulated)."""
        return f"{self.url}/file/bot"

    def start(self) -> TelegramProxy:
        """Start serving in a daemon thread; returns ``self`` for chaining."""
        server = _QuietServer(("127.0.0.1", self._requested_port), _make_handler(self))
        self._server = server
        self._thread = threading.Thread(
            # A short poll interval keeps stop() (and so each test's teardown) fast.
            target=server.serve_forever,
            args=(0.05,),
            name="telegram-proxy",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release held ``getUpdates`` calls; a proxy is not restartable."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._client.close()

    def __enter__(self) -> TelegramProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection -----------------------------------------------------------
    def inject_server_error(self, method: str, count: int = 1, *, status: int = 500) -> None:
        """Answer the next ``count`` calls with HTTP ``status`` (PTB raises NetworkError)."""
        self._add_fault(method, _Fault(FaultKind.SERVER_ERROR, count, status=status))

    def inject_retry_after(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """Answer the next ``count`` calls with 429 ``retry after X`` (PTB: RetryAfter)."""
        self._add_fault(
            method, _Fault(FaultKind.RETRY_AFTER, count, status=429, retry_after=retry_after)
        )

    def inject_malformed_json(self, method: str, count: int = 1) -> None:
        """Answer the next ``count`` calls with a truncated JSON body (PTB: TelegramError)."""
        self._add_fault(method, _Fault(FaultKind.MALFORMED_JSON, count, status=200))

    def inject_html_page(self, method: str, count: int = 1, *, status: int = 502) -> None:
        """Answer the next ``count`` calls with HTTP ``status`` and a long HTML page."""
        self._add_fault(method, _Fault(FaultKind.HTML_PAGE, count, status=status))

    def delete_on_delivery(self, token: str, chat_id: int, text: str) -> None:
        """The user deletes their message ``text`` in ``chat_id`` as soon as the bot has it.

        A reply to it then fails with the real API's 400 "message to be replied not
        found", unless the bot asked for ``allow_sending_without_reply``.
        """
        self._compat.delete_on_delivery(token, chat_id, text)

    def inject_update(self, token: str, update: dict[str, Any]) -> None:
        """Return ``update`` (an ``Update`` without ``update_id``) at the next ``getUpdates``.

        For the update types the emulator cannot make: ``inline_query``,
        ``edited_message``, ``my_chat_member``...
        """
        with self._lock:
            self._injected[token].append({"update_id": next(self._injected_ids), **update})

    def _take_injected(self, token: str) -> list[dict[str, Any]]:
        with self._lock:
            return self._injected.pop(token, [])

    def go_down(self, seconds: float) -> None:
        """For ``seconds``, close every connection without answering (PTB: NetworkError)."""
        with self._lock:
            self._down_until = time.monotonic() + seconds

    def come_up(self) -> None:
        """End a ``go_down`` period early."""
        with self._lock:
            self._down_until = 0.0

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def pending_faults(self, method: str) -> int:
        """How many injected faults of ``method`` are still queued (a storm tops them up)."""
        with self._lock:
            return sum(fault.remaining for fault in self._faults.get(method, ()))

    def clear_faults(self) -> None:
        """Drop queued faults (counters and recorded calls are kept)."""
        with self._lock:
            self._faults.clear()
            self._down_until = 0.0

    # -- inspection ----------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded Bot API calls, oldest first, optionally only those of ``method``."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def call_counts(self) -> collections.Counter[str]:
        """Number of calls received per method, faulted ones included."""
        return collections.Counter(c.method for c in self.calls())

    def faults_served(self) -> collections.Counter[str]:
        """Number of injected faults (and "down" refusals) served per method."""
        return collections.Counter(c.method for c in self.calls() if c.fault is not None)

    @property
    def upstream_errors(self) -> int:
        """Calls answered 502 because the emulator was unreachable (e.g. killed)."""
        with self._lock:
            return self._upstream_errors

    @property
    def internal_errors(self) -> list[Exception]:
        """Exceptions raised by the proxy's own code (the ``proxy`` fixture asserts none)."""
        return list(self._internal_errors)

    async def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> RecordedCall:
        """Wait (without blocking the event loop) until ``method`` was called ``count`` times."""
        deadline = time.monotonic() + timeout
        while len(calls := self.calls(method)) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{method} called {len(calls)} times within {timeout} s, wanted {count}"
                )
            await asyncio.sleep(0.02)
        return calls[count - 1]

    # -- request handling (runs in handler threads) ---------------------------------
    def _add_fault(self, method: str, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults[method].append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            if time.monotonic() < self._down_until:
                return _Fault(FaultKind.CONNECTION_CLOSED, 0)
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.popleft()
            return fault

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _forward(self, method: str, path: str, body: bytes, content_type: str) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            return self._client.request(
                method, self.upstream_url + path, content=body, headers=headers
            )
        except httpx.HTTPError:
            with self._lock:
                self._upstream_errors += 1
            raise

    def _get_updates(
        self,
        token: str,
        path: str,
        body: bytes,
        content_type: str,
        params: dict[str, Any],
        client_gone: Callable[[], bool],
    ) -> httpx.Response:
        try:
            requested = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            requested = 0.0
        deadline = time.monotonic() + min(requested, self.hold_get_updates)
        response = self._forward("POST", path, body, content_type)
        while True:
            if (
                response.status_code != 200
                or response.json().get("result")
                or self._injected.get(token)
                or time.monotonic() >= deadline
            ):
                return response
            # The emulator marks what it returns read: a bot that stopped waiting (shut
            # down) must not take the next update with it, as Telegram would not.
            if self._stopping.wait(0.05) or client_gone():
                return response
            response = self._forward("POST", path, body, content_type)


def _api_error(
    code: int, description: str, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    error = {"ok": False, "error_code": code, "description": description}
    return error | ({"parameters": parameters} if parameters else {})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs when a busy bot opens many
    # connections at once; the retransmit then costs it seconds, even a connect timeout.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A bot dropping its connection (cancelled poll, shutdown) is routine here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_handler(proxy: TelegramProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, like the real API, so that "down" also breaks reused connections.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read proxy.calls() instead of a request log

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            path, _, query = self.path.partition("?")
            match = _BOT_PATH.match(path)
            try:
                if match is None:  # user-side API or anything else: plain pass-through
                    response = proxy._forward(self.command, self.path, body, content_type)
                    self._send(response.status_code, response.content)
                    return
                self._handle_bot(match["token"], match["method"], body, content_type, query)
            except httpx.HTTPError as exc:
                self._send_json(502, _api_error(502, f"Bad Gateway: emulator unreachable ({exc})"))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the bot gave up (e.g. a cancelled long poll)
            except Exception as exc:  # a proxy bug must fail the test, not hang the bot
                if not proxy._stopping.is_set():  # a closed client after stop() is expected
                    proxy._internal_errors.append(exc)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self._send_json(500, _api_error(500, f"proxy bug: {exc!r}"))

        def _handle_bot(
            self, token: str, method: str, body: bytes, content_type: str, query: str
        ) -> None:
            params, files = decode_params(content_type, body, query)
            fault = proxy._take_fault(method)
            proxy._record(RecordedCall(method, token, params, files, fault.kind if fault else None))
            if fault is not None and fault.kind is FaultKind.CONNECTION_CLOSED:
                self.close_connection = True
            elif fault is not None:
                self._send_fault(fault)
            elif method in STUBBED_METHODS:
                self._send_json(200, {"ok": True, "result": STUBBED_METHODS[method]})
            elif refusal := proxy._compat.refusal(token, method, params):
                self._send_json(400, _api_error(400, refusal))
            else:
                self._forward_bot_call(token, method, body, content_type, params)

        def _forward_bot_call(
            self, token: str, method: str, body: bytes, content_type: str, params: dict[str, Any]
        ) -> None:
            path = f"/bot{token}/{method}"
            if method == "getUpdates":
                response = proxy._get_updates(
                    token, path, body, content_type, params, self._client_gone
                )
            else:
                response = proxy._forward("POST", path, body, content_type)
            try:
                payload = response.json()
            except ValueError:
                payload = {"description": f"emulator: non-JSON answer {response.text[:200]!r}"}
            if response.status_code != 200:
                if "description" not in payload:  # PTB shows only "description"; express
                    message = payload.get("message", "unknown error")  # errors carry "message"
                    payload = _api_error(response.status_code, f"emulator: {message}")
                self._send_json(response.status_code, payload)
                return
            if payload.get("ok") and method == "getUpdates":
                payload["result"] = [*(payload.get("result") or []), *proxy._take_injected(token)]
            if payload.get("ok"):
                payload["result"] = proxy._compat.fix_result(
                    method, token, params, payload.get("result")
                )
            self._send_json(200, payload)

        def _client_gone(self) -> bool:
            """Whether the client closed its connection while its call was held."""
            readable, _, _ = select.select([self.connection], [], [], 0)
            try:
                return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return True

        def _send_fault(self, fault: _Fault) -> None:
            if fault.kind is FaultKind.MALFORMED_JSON:
                self._send(200, b'{"ok": true, "result": {"message_id": ')
            elif fault.kind is FaultKind.HTML_PAGE:
                phrase = f"{fault.status} {HTTPStatus(fault.status).phrase}"
                page = f"<html><head><title>{phrase}</title></head><body><h1>{phrase}</h1>"
                self._send(fault.status, (page + "<p>nginx</p>" * 400 + "</body></html>").encode())
            elif fault.kind is FaultKind.RETRY_AFTER:
                description = f"Too Many Requests: retry after {fault.retry_after}"
                params = {"retry_after": fault.retry_after}
                self._send_json(429, _api_error(429, description, params))
            else:
                phrase = HTTPStatus(fault.status).phrase
                self._send_json(fault.status, _api_error(fault.status, f"{phrase} (injected)"))

        def _send_json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode())

        def _send(self, status: int, content: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    return Handler
