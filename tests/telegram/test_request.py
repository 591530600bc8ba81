"""The retry policy every Bot API call goes through (``BotApiRequest.do_request``).

The HTTP layer underneath is replaced by a script of outcomes, raised or returned
exactly as PTB's ``HTTPXRequest.do_request`` raises or returns them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import Application
from telegram.request import HTTPXRequest

from qabot.telegram import request as request_module
from qabot.telegram.request import BotApiRequest

Outcome = Exception | tuple[int, bytes]
DEEPSEEK = "DeepSeek-V3 的总参数量是多少?"
URL = "https://api.telegram.org/bot123:SECRET/sendMessage"
OK = (200, b'{"ok": true, "result": true}')


def ptb_error(cause: httpx.HTTPError) -> NetworkError:
    """The error PTB's HTTPXRequest raises for ``cause``."""
    wrapped = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError(str(cause))
    wrapped.__cause__ = cause
    return wrapped


def api_error(code: int, description: str) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, json.dumps(body).encode()


@dataclass
class Script:
    """Outcomes of the next HTTP calls, in order, and the waits between them."""

    outcomes: list[Outcome] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)

    def extend(self, outcomes: list[Outcome]) -> None:
        self.outcomes.extend(outcomes)

    def append(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    """The script of this test's HTTP calls; every outcome must be used."""
    planned = Script()
    outcomes, waits = planned.outcomes, planned.waits

    async def do_request(self: HTTPXRequest, *args: object, **kwargs: object) -> tuple[int, bytes]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(HTTPXRequest, "do_request", do_request)
    monkeypatch.setattr(request_module.asyncio, "sleep", sleep)
    yield planned
    assert not outcomes, f"outcomes never used: {outcomes}"


async def post(request: BotApiRequest) -> object:
    async with request:
        return await request.post(URL)


@pytest.mark.parametrize(
    "failure",
    [
        ptb_error(httpx.ConnectTimeout("connect")),
        ptb_error(httpx.PoolTimeout("pool")),
        ptb_error(httpx.ConnectError("refused")),
        api_error(500, "Internal Server Error"),
        api_error(502, "Bad Gateway"),
    ],
    ids=["connect-timeout", "pool-timeout", "refused", "500", "502"],
)
def test_a_call_never_sent_or_failed_on_the_server_is_sent_again(
    script: Script, failure: Outcome
) -> None:
    script.extend([failure, failure, OK])
    assert asyncio.run(post(BotApiRequest(retries=5))) is True
    assert script.waits == [0.5, 1.0]


@pytest.mark.parametrize("cause", [httpx.ReadTimeout("read"), httpx.WriteTimeout("write")])
def test_a_call_that_may_have_arrived_is_not_sent_twice(
    script: Script, cause: httpx.HTTPError
) -> None:
    script.append(ptb_error(cause))
    with pytest.raises(TimedOut):
        asyncio.run(post(BotApiRequest(retries=5)))


def test_a_bad_request_is_permanent_and_never_retried(script: Script) -> None:
    script.append(api_error(400, "Bad Request: message to be replied not found"))
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        asyncio.run(post(BotApiRequest(retries=5)))


def test_retries_stop_after_the_last_attempt(script: Script) -> None:
    script.extend([api_error(503, "Service Unavailable")] * 4)
    with pytest.raises(NetworkError, match="Service Unavailable"):
        asyncio.run(post(BotApiRequest(retries=3)))
    assert script.waits == [0.5, 1.0, 2.0]


def test_an_html_error_page_becomes_one_short_line(script: Script) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body>"
    script.append((502, page))
    with pytest.raises(NetworkError) as raised:
        asyncio.run(post(BotApiRequest(retries=0)))
    message = raised.value.message
    assert message.startswith("Bad Gateway (502), not a Bot API answer: '502 Bad Gateway")
    assert len(message) < 140 and "\n" not in message and "<" not in message


def test_a_garbled_success_is_one_short_error(script: Script) -> None:
    script.append((200, b'{"ok": true, "result": {"message_id": ' + b" " * 5000))
    with pytest.raises(TelegramError) as raised:
        asyncio.run(post(BotApiRequest(retries=5)))
    assert len(raised.value.message) < 140


# -- end to end: the real bot through the emulator -------------------------------------
@async_test
async def test_every_call_is_retried_the_same_way_edits_and_commands_too(
    proxy: TelegramProxy, fake_user: FakeUser, make_bot: Callable[..., Application]
) -> None:
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_message("梯度检查点是什么？")
            answer = await fake_user.wait_for_reply(timeout=10)
            proxy.inject_server_error("editMessageText", count=2, status=502)
            await fake_user.press_button(answer, text="More")
            more = await fake_user.wait_for_edit(answer, timeout=10)
            proxy.inject_server_error("sendMessage", count=2, status=500)
            await fake_user.send_command("/help")
            help_text = await fake_user.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert proxy.faults_served() == {"editMessageText": 2, "sendMessage": 2}
    assert "[4] " in more["text"]
    assert "/ask" in help_text["text"]


@async_test
async def test_a_bad_request_is_not_retried_and_is_logged_with_chat_and_reason(
    caplog: pytest.LogCaptureFixture,
    proxy: TelegramProxy,
    fake_user: FakeUser,
    make_bot: Callable[..., Application],
) -> None:
    app = make_bot()
    caplog.set_level(logging.INFO)
    async with running_application(app):
        proxy.inject_server_error("sendMessage", status=400)
        await fake_user.send_message(DEEPSEEK)
        await proxy.wait_for_call("sendMessage")
        await fake_user.send_message(DEEPSEEK)  # the bot carries on
        answered = await fake_user.wait_for_reply(timeout=10)
    assert len(proxy.calls("sendMessage")) == 2
    assert "671B" in answered["text"]
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == [
        f"Telegram refused a request for chat {fake_user.chat_id}: Bad Request (injected)"
    ]
    assert not any("retrying" in r.getMessage() for r in caplog.records)


@async_test
async def test_a_question_deleted_before_its_answer_still_gets_the_answer(
    proxy: TelegramProxy,
    bot_token: str,
    fake_user: FakeUser,
    make_bot: Callable[..., Application],
) -> None:
    app = make_bot()
    proxy.delete_on_delivery(bot_token, fake_user.chat_id, DEEPSEEK)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_message(DEEPSEEK)
            answer = await fake_user.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert "671B" in answer["text"]
    assert len(proxy.calls("sendMessage")) == 1
