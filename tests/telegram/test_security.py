"""Who may use the bot, and what a user can and cannot make it do."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application
from harness_user import mention_text

from qabot.chat.strings import EN
from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.telegram.bot import build_application

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DEEPSEEK = "DeepSeek-V3 的总参数量是多少?"


def settings(token: str, proxy: TelegramProxy, **telegram: object) -> Settings:
    return Settings(
        notes_dir=SEEDS, telegram={"token": token, "base_url": proxy.base_url, **telegram}
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused update" in r.getMessage()]


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@async_test
async def test_allowlist_covers_buttons_and_edited_messages(
    caplog: pytest.LogCaptureFixture,
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    member = make_user(chat_type="group", user_id=7)
    stranger = member.as_member(8, "Mallory")
    app = build_application(settings(bot_token, proxy, allowed_user_ids=[7]), seeds_pipeline)
    caplog.set_level(logging.WARNING, logger="qabot.telegram.handlers")
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await member.send_command("/ask", DEEPSEEK, mention_bot=True)
            reply = await member.wait_for_reply(timeout=10)
            await stranger.press_button(reply, text="More")
            await proxy.wait_for_call("answerCallbackQuery")
            sends_before = len(proxy.calls("sendMessage"))
            text, entities = mention_text(DEEPSEEK)
            stranger.edit_message(99, text, entities=entities)
            await until(lambda: len(refusals(caplog)) == 2)
            unchanged = await member.get_message(reply["message_id"])
    errors.assert_clean()
    assert proxy.calls("answerCallbackQuery")[0].params["text"] == EN.refusal
    assert unchanged["text"] == reply["text"]  # the button did nothing
    assert len(proxy.calls("sendMessage")) == sends_before  # refused once already: silent
    assert refusals(caplog) == ["refused update from chat -7 user 8"] * 2  # button, then edit


@async_test
async def test_admin_commands_check_the_user_not_the_chat(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    group = make_user(chat_type="group", user_id=5)  # chat id -5
    admin = group.as_member(6, "Admin")
    app = build_application(settings(bot_token, proxy, admin_user_ids=[-5, 6]), seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await group.send_command("/reload", mention_bot=True)
            denied = await group.wait_for_reply()
            await admin.send_command("/reload", mention_bot=True)
            granted = await group.wait_for_replies(2, timeout=20)
    errors.assert_clean()
    assert "Only the bot's admins" in denied["text"]
    assert granted[1]["text"].startswith("Reloaded:")


@async_test
async def test_rate_limit_holds_under_concurrency(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser, seeds_pipeline: QAPipeline
) -> None:
    app = build_application(settings(bot_token, proxy, questions_per_minute=5), seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await asyncio.gather(*(fake_user.send_message(DEEPSEEK) for _ in range(20)))
            replies = await fake_user.wait_for_replies(6, timeout=15)
            await fake_user.assert_no_reply(within=1.5)
    errors.assert_clean()
    assert sum("671B" in r["text"] for r in replies) == 5
    assert sum("Slow down" in r["text"] for r in replies) == 1


def test_citations_never_expose_paths_outside_the_notes_folder(tmp_path: Path) -> None:
    outside = tmp_path / "private" / "diary.txt"
    outside.parent.mkdir()
    outside.write_text("梯度检查点用计算换显存。\n", encoding="utf-8")
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "sub" / "linked.txt").symlink_to(outside)  # outside the folder: never read
    (notes / "inside.txt").write_text("梯度检查点是一种训练技巧。\n", encoding="utf-8")
    answer = QAPipeline.from_settings(Settings(notes_dir=notes)).ask("梯度检查点是什么技巧？")
    assert [citation.source for citation in answer.citations] == ["inside.txt"]
    assert str(tmp_path) not in str(answer.to_dict())
