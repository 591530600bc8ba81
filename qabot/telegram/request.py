"""One retry policy for every Bot API call, applied where PTB makes the HTTP request.

:class:`BotApiRequest` is PTB's ``HTTPXRequest`` with these rules around each call:

- a 5xx answer or a network error is retried, after 0.5, 1, 2, 4 and 8 s by default,
  so a reply outlasts a 15 s blip;
- a connect or pool timeout is retried too: nothing was sent;
- a read or write timeout is *not*: the request may have arrived, and a duplicate
  message is worse than a lost one;
- a 429 reaches PTB's ``AIORateLimiter`` as ``RetryAfter``, which waits and retries;
- any other 4xx (``BadRequest``, ``Forbidden``…) is permanent and never retried.

An answer that is not JSON (a proxy's HTML error page) becomes one short line.
:class:`PollingRequest` is the ``getUpdates`` connection, with a fixed wait instead.

Example:
    >>> request = BotApiRequest(retries=5, connection_pool_size=256)
    >>> ApplicationBuilder().token(token).request(request)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from http import HTTPStatus
from typing import Any

import httpx
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

_EXCERPT_CHARS = 80


class BotApiRequest(HTTPXRequest):
    """``HTTPXRequest`` that retries what is safe to retry; see the module docstring."""

    def __init__(self, retries: int = 5, first_wait: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retries = retries
        self.first_wait = first_wait

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """One Bot API call: ``(HTTP status, body)``, after the retries the rules allow."""
        endpoint = url.rsplit("/", 1)[-1]  # never the URL: it holds the token
        for attempt in range(self.retries + 1):
            try:
                code, payload = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as error:
                if attempt == self.retries or _maybe_sent(error):
                    raise
                reason = error.message
            else:
                if code < HTTPStatus.INTERNAL_SERVER_ERROR or attempt == self.retries:
                    return code, _as_api_error(code, payload)
                reason = f"HTTP {code}"
            wait = self.first_wait * 2**attempt
            log.info("Bot API %s failed (%s); retrying in %.1f s", endpoint, reason, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The JSON body; a body that is not JSON is one short error, not the whole page."""
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except ValueError as error:
            raise TelegramError(f"Invalid server response: {_excerpt(payload)}") from error


class PollingRequest(BotApiRequest):
    """The getUpdates connection, retried every ``retry_seconds`` while the API is away.

    PTB's polling loop backs off 1.5 times longer after each network error, up to 30 s,
    so a bot could sit idle half a minute after the Bot API is back. A ``TimedOut`` is
    retried at once instead, so after a short fixed wait each failure is reported as one.
    """

    def __init__(self, retry_seconds: float, **kwargs: Any) -> None:
        super().__init__(retries=0, **kwargs)
        self.retry_seconds = retry_seconds

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().post(*args, **kwargs)
        except (TimedOut, InvalidToken):
            raise
        except NetworkError as error:
            await asyncio.sleep(self.retry_seconds)
            raise TimedOut(f"Bot API unavailable ({error.message}); polling again") from error


def _maybe_sent(error: NetworkError) -> bool:
    """A read or write timeout: the request may have reached Telegram."""
    never_sent = isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(error, TimedOut) and not never_sent


def _as_api_error(code: int, payload: bytes) -> bytes:
    """``payload``, or for an error page that is not JSON a Bot API error of one line."""
    if HTTPStatus.OK <= code <= 299:
        return payload
    try:
        json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        try:
            status = f"{HTTPStatus(code).phrase} ({code})"
        except ValueError:
            status = f"HTTP {code}"
        description = f"{status}, not a Bot API answer: {_excerpt(payload)}"
        return json.dumps({"ok": False, "error_code": code, "description": description}).encode()
    return payload


def _excerpt(payload: bytes) -> str:
    """The first words of a body, tags and line breaks removed, for a one-line message."""
    text = re.sub(r"<[^>]*>", " ", payload.decode("utf-8", "replace"))
    text = " ".join(text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 1] + "…"
    return repr(text) if text else "(empty)"
