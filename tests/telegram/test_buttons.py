"""The buttons under an answer, end to end: paging, other members' presses, votes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application
from html_check import check_html
from telegram.ext import Application

from qabot.chat.feedback import FeedbackStore
from qabot.chat.strings import EN

REPO = Path(__file__).resolve().parents[2]
CHECKPOINTS = "梯度检查点是什么？"


def answered_texts(proxy: TelegramProxy) -> list[str | None]:
    return [call.params.get("text") for call in proxy.calls("answerCallbackQuery")]


@async_test
async def test_more_and_back_have_their_own_limit_not_the_questions_one(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    user = make_user(user_id=81)
    app = make_bot(questions_per_minute=1, lookups_per_minute=4)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await user.send_message(CHECKPOINTS)
            page = await user.wait_for_reply(10)
            pages = [page]
            for label in ("More", "More", "Back", "More"):  # four pages: over the question limit
                await user.press_button(page, text=label)
                page = await user.wait_for_edit(page, timeout=10)
                pages.append(page)
            await user.press_button(page, text="Back")  # the fifth: over the paging limit
            await proxy.wait_for_call("answerCallbackQuery", count=5)
            await user.send_message(CHECKPOINTS)  # the second question of the minute
            slow_down = await user.wait_for_reply(10)
    errors.assert_clean()
    firsts = [check_html(p["text"]).split("\n[", 1)[0] for p in pages]
    numbers = [check_html(p["text"]).count("[1] ") for p in pages]
    assert numbers == [1, 0, 0, 0, 0]
    assert "[7] " in pages[2]["text"] and "[4] " in pages[3]["text"]
    assert len(set(firsts)) >= 2
    assert answered_texts(proxy)[-1] == EN.slow_down_pages.format(limit=4)
    assert slow_down["text"] == EN.slow_down.format(limit=1)


@async_test
async def test_a_press_by_another_member_sends_their_own_page(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    alice = make_user(chat_type="group", user_id=82)
    bob = alice.as_member(83, "Bob")
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await alice.send_command("/ask", CHECKPOINTS, mention_bot=True)
            answer = await alice.wait_for_reply(10)
            await bob.press_button(answer, text="More")
            bobs_page = await alice.wait_for_reply(10)
            await bob.press_button(bobs_page, text="Back")  # his own page: edited in place
            bobs_back = await alice.wait_for_edit(bobs_page, timeout=10)
            unchanged = await alice.get_message(answer["message_id"])
            stale = {"inline_keyboard": [[{"text": "?", "callback_data": "nonsense"}]]}
            await bob.press_button({**answer, "reply_markup": stale}, text="?")  # acknowledged
            await proxy.wait_for_call("answerCallbackQuery", count=3)
    errors.assert_clean()
    assert unchanged["text"] == answer["text"]
    assert bobs_page["reply_to_message_id"] == answer["message_id"]
    assert "[4] " in bobs_page["text"] and "[1] " in bobs_back["text"]
    assert answered_texts(proxy) == [EN.page_sent_below, None, EN.expired]


@async_test(timeout=120)
async def test_votes_are_saved_and_reach_qabot_eval_feedback(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
    bot_state_files: Path,
) -> None:
    group = make_user(chat_type="supergroup", user_id=84)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await group.send_command("/ask", CHECKPOINTS, mention_bot=True)
            liked = await group.wait_for_reply(10)
            await group.send_command("/ask", "DeepSeek-V3 的总参数量是多少?", mention_bot=True)
            disliked = await group.wait_for_reply(10)
            presses = [(liked, "👍"), (disliked, "👍"), (disliked, "👎")]  # changed their mind
            for count, (answer, vote) in enumerate(presses, start=1):
                await group.press_button(answer, text=vote)
                await proxy.wait_for_call("answerCallbackQuery", count=count)
            await group.send_command("/stats")
            stats = await group.wait_for_reply(10)
    errors.assert_clean()
    assert answered_texts(proxy) == [EN.vote_thanks] * 3
    feedback = bot_state_files / "feedback.sqlite"
    votes = FeedbackStore(feedback).votes()
    assert [(v.helpful, v.chat_type) for v in votes] == [
        (True, "supergroup"),
        (False, "supergroup"),
    ]
    assert "梯度检查点" in votes[0].answer and votes[0].citations and votes[0].time > 0
    assert "Helpful: 1 of 2 votes (50%)." in stats["text"]

    report = bot_state_files / "report.json"
    result = qabot("eval", "--feedback", str(feedback), "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "👎 to review: 1 answers" in result.stdout
    assert "DeepSeek-V3 的总参数量是多少? → " in result.stdout
    assert "👍 regression set: 1 answers, 1 unchanged, 0 changed" in result.stdout
    records = json.loads(report.read_text(encoding="utf-8"))["records"]
    assert [r["kind"] for r in records] == ["review", "regression"]
    index = qabot("index", env={"QABOT_TELEGRAM__FEEDBACK_FILE": str(feedback)})
    assert "Helpful: 1 of 2 votes (50%)." in index.stdout


def qabot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "LANG", "LC_"))}
    return subprocess.run(
        [sys.executable, "-m", "qabot", *args],
        cwd=REPO,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
