"""Helpers for benchmarks/bench_load.py: a cheap loopback HTTP client, /proc readings,
a copier of the emulator's history, percentiles, and the writer of its marked sections
of docs/reliability.md.

httpx costs the user side far more than the bot it measures: with 200 users polling,
its connection pool spent ~45 ms of CPU per request (2,000 requests in flight), so
the users, not the bot, set the pace. :class:`LoopbackClient` speaks just enough
HTTP/1.1 (JSON POST, Content-Length, keep-alive) at ~0.2 ms per request.

Example:
    >>> client = LoopbackClient("http://127.0.0.1:9000")  # doctest: +SKIP
    >>> await client.post("/getUpdates", {"token": token, "chatId": 1})  # doctest: +SKIP
    {'ok': True, 'result': []}
    >>> proc_status(os.getpid())["VmRSS"] > 0
    True
    >>> percentile([0.3, 0.1, 0.2], 0.5)
    0.2
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LoopbackClient:
    """JSON POSTs over at most ``connections`` keep-alive connections to one server."""

    def __init__(self, url: str, connections: int = 32, max_idle: float = 3.0) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        # Node closes a keep-alive connection idle for 5 s; drop ours before that, so a
        # request never goes out on a socket the server is closing (and is never resent).
        self.max_idle = max_idle
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._slots = asyncio.Semaphore(connections)

    async def post(self, path: str, payload: object) -> Any:
        """POST ``payload`` as JSON; the decoded JSON answer. Raises on a non-200 status."""
        body = json.dumps(payload).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        async with self._slots:
            reader, writer = await self._connection()
            try:
                writer.write(request)
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = dict(
                    (name.strip().lower(), value.strip())
                    for name, _, value in (line.partition(":") for line in head[1:] if line)
                )
                content = await reader.readexactly(int(headers.get("content-length", "0")))
            except BaseException:
                writer.close()
                raise
            if headers.get("connection", "").lower() == "close":
                writer.close()
            else:
                self._idle.append((reader, writer, time.monotonic()))
        status = int(head[0].split()[1])
        if status != 200:
            raise RuntimeError(f"POST {path}: HTTP {status}: {content[:200]!r}")
        return json.loads(content)

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if now - since < self.max_idle and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def aclose(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


class HistoryCopy:
    """The emulator's history, copied every few seconds before it forgets the oldest.

    The emulator runs with a short ``store_timeout``: each read it serves scans all it
    holds, so a run keeping 10,000 messages would make it, not the bot, the bottleneck.
    """

    def __init__(self, client: LoopbackClient, token: str) -> None:
        self.client, self.token = client, token
        self.entries: dict[tuple[bool, int], dict[str, Any]] = {}

    async def copy(self) -> None:
        answer = await self.client.post("/getUpdatesHistory", {"token": self.token})
        for entry in answer["result"]:
            self.entries["chat_id" in entry["message"], int(entry["messageId"])] = entry

    async def keep_copying(self, every: float) -> None:
        while True:
            await self.copy()
            await asyncio.sleep(every)


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of ``pid`` in KiB, and ``cpu``: its user + system CPU seconds."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    # Fields 14 and 15 of /proc/<pid>/stat, counted after the ")" closing the name.
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    fields["cpu"] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return fields


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 is the median); 0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def update_doc(doc: Path, section: str, body: str, script: str = "bench_load") -> None:
    """Replace the text between ``section``'s markers in ``doc`` (append them if missing).

    Only the marked part is rewritten, so hand-written text around it survives. The
    markers and the date line name ``benchmarks/<script>.py``.
    """
    begin, end = f"<!-- {script} {section} begin -->", f"<!-- {script} {section} end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Reliability\n"
    if begin not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    stamp = f"_Measured by `benchmarks/{script}.py` on {time.strftime('%Y-%m-%d')}._\n\n"
    text = pattern.sub(lambda _: f"{begin}\n{stamp}{body}{end}", text)
    doc.write_text(text, encoding="utf-8")
