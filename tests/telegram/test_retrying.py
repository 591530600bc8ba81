"""Which failed replies are sent again: never one that may have arrived."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from qabot.telegram import handlers


def failing(times: int, error: Exception) -> tuple[list[int], object]:
    """A send that raises ``error`` (as PTB raises it, from httpx) ``times`` times."""
    calls: list[int] = []

    async def send() -> None:
        calls.append(1)
        if len(calls) <= times:
            raise error

    return calls, send


def ptb_error(cause: httpx.HTTPError) -> NetworkError:
    """The error PTB's HTTPXRequest raises for ``cause``."""
    wrapped = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError(str(cause))
    wrapped.__cause__ = cause
    return wrapped


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleep(_: float) -> None:
        return None

    monkeypatch.setattr(handlers.asyncio, "sleep", sleep)


@pytest.mark.parametrize(
    "cause",
    [httpx.ConnectTimeout("connect"), httpx.PoolTimeout("pool"), httpx.ConnectError("refused")],
)
def test_a_reply_never_sent_is_sent_again(cause: httpx.HTTPError) -> None:
    calls, send = failing(2, ptb_error(cause))
    asyncio.run(handlers._retrying(send))
    assert len(calls) == 3


@pytest.mark.parametrize("cause", [httpx.ReadTimeout("read"), httpx.WriteTimeout("write")])
def test_a_reply_that_may_have_arrived_is_not_sent_twice(cause: httpx.HTTPError) -> None:
    calls, send = failing(1, ptb_error(cause))
    with pytest.raises(TimedOut):
        asyncio.run(handlers._retrying(send))
    assert len(calls) == 1


def test_retries_stop_after_the_last_attempt() -> None:
    calls, send = failing(100, ptb_error(httpx.ConnectTimeout("connect")))
    with pytest.raises(TimedOut):
        asyncio.run(handlers._retrying(send, attempts=4))
    assert len(calls) == 4
