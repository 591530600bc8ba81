"""The real bot, end to end: PTB talks HTTP to the emulator through the proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import (
    Emulator,
    ErrorCollector,
    FakeUser,
    TelegramProxy,
    async_test,
    running_application,
)
from harness_user import button_labels
from html_check import check_html
from telegram.ext import Application

from qabot.chat.strings import EN
from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.telegram.bot import build_application
from qabot.telegram.render import render_answer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DEEPSEEK = "DeepSeek-V3 的总参数量是多少?"


def bot(
    token: str,
    proxy: TelegramProxy,
    pipeline: QAPipeline,
    notes: Path = SEEDS,
    ingest: dict[str, Any] | None = None,
    **telegram: Any,
) -> Application:
    settings = Settings(
        notes_dir=notes,
        ingest=ingest or {},
        telegram={"token": token, "base_url": proxy.base_url, **telegram},
    )
    return build_application(settings, pipeline)


@async_test
async def test_private_question_is_answered_with_citations(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser, seeds_pipeline: QAPipeline
) -> None:
    app = bot(bot_token, proxy, seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await app.post_init(app)  # run_polling calls it; running_application doesn't
            sent = await fake_user.send_message(DEEPSEEK)
            reply = await fake_user.wait_for_reply(timeout=10)
    errors.assert_clean()
    text = check_html(reply["text"])
    assert "671B" in text
    assert reply["text"].startswith("<b>") and reply["parse_mode"] == "HTML"
    assert reply["reply_to_message_id"] == sent
    assert "[1] " in text and "also in" in text
    assert button_labels(reply) == ["More", "Sources", "👍", "👎"]
    assert proxy.calls("sendChatAction")[0].params["action"] == "typing"
    commands = proxy.calls("setMyCommands")[0].params["commands"]
    assert {c["command"] for c in commands} == {"ask", "help", "stats", "reload"}


@async_test
async def test_group_answers_only_when_addressed(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    group = make_user(chat_type="group", user_id=41)
    app = bot(bot_token, proxy, seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await group.send_message("大家好，今天讨论 DeepSeek-V3 吗？")
            await group.assert_no_reply(within=1.0)

            await group.send_command("/ask", DEEPSEEK, mention_bot=True)
            by_command = await group.wait_for_reply(timeout=10)
            await group.send_mention("梯度检查点是什么？")
            by_mention = await group.wait_for_reply(timeout=10)
            await group.send_message("那 AdamW 和 Adam 有什么区别？", reply_to=by_mention)
            follow_up = await group.wait_for_reply(timeout=10)

            await group.as_member(42, "Bob").send_message("I'll read the paper tonight")
            await group.assert_no_reply(within=1.0)
    errors.assert_clean()
    assert "671B" in check_html(by_command["text"])
    assert "梯度检查点" in check_html(by_mention["text"])
    assert "AdamW" in check_html(follow_up["text"])


@async_test
async def test_allowlist_refuses_once_per_chat(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    member, stranger = make_user(user_id=7), make_user(user_id=8)
    app = bot(bot_token, proxy, seeds_pipeline, allowed_user_ids=[7])
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await stranger.send_message(DEEPSEEK)
            refusal = await stranger.wait_for_reply()
            await stranger.send_command("/stats")
            await stranger.send_message("梯度检查点是什么？")
            await stranger.assert_no_reply(within=1.0)
            await member.send_message(DEEPSEEK)
            answer = await member.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert refusal["text"] == EN.refusal
    assert "671B" in answer["text"]


@async_test
async def test_rate_limit_asks_to_slow_down(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser, seeds_pipeline: QAPipeline
) -> None:
    app = bot(bot_token, proxy, seeds_pipeline, questions_per_minute=2)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            for _ in range(4):
                await fake_user.send_message(DEEPSEEK)
                await asyncio.sleep(0.2)  # keep the order the limiter sees deterministic
            replies = await fake_user.wait_for_replies(3, timeout=10)
            await fake_user.assert_no_reply(within=1.0)  # one slow-down notice, not two
    errors.assert_clean()
    assert ["671B" in r["text"] for r in replies] == [True, True, False]
    assert "Slow down" in replies[2]["text"]


@async_test
async def test_note_markup_arrives_escaped_and_long_answers_are_split(
    proxy: TelegramProxy,
    bot_token: str,
    fake_user: FakeUser,
    notes_folder: Callable[[dict[str, str]], Path],
) -> None:
    long_sentence = "长答案的测试内容" + "，反复出现的长答案内容" * 600 + "。"
    folder = notes_folder(
        {
            # Plain text: in Markdown, <script> is HTML and would be dropped from the note.
            "web.txt": "在模板里写 <script>alert(1)</script> & 一定要转义。\n",
            "long.txt": long_sentence + "\n",
        }
    )
    ingest = {"max_snippet_chars": 20_000}
    settings = Settings(notes_dir=folder, ingest=ingest)
    pipeline = QAPipeline.from_settings(settings)
    app = bot(bot_token, proxy, pipeline, notes=folder, ingest=ingest)
    long_question = "长答案的测试内容是什么"
    expected_parts = len(render_answer(pipeline.ask(long_question), EN))
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_message("模板里的 script 要怎么处理？")
            escaped = await fake_user.wait_for_reply(timeout=10)
            await fake_user.send_message(long_question)
            parts = await fake_user.wait_for_replies(expected_parts, timeout=10)
            await fake_user.assert_no_reply(within=0.5)
    errors.assert_clean()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in escaped["text"]
    assert "<script>alert(1)</script> &" in check_html(escaped["text"])
    assert expected_parts >= 2
    visible = "".join(check_html(part["text"]) for part in parts)
    assert long_sentence in visible
    assert button_labels(parts[-1]) == ["Sources", "👍", "👎"]
    assert all(not button_labels(p) for p in parts[:-1])


@async_test
async def test_more_and_sources_buttons(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser, seeds_pipeline: QAPipeline
) -> None:
    app = bot(bot_token, proxy, seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_message("梯度检查点是什么？")
            reply = await fake_user.wait_for_reply(timeout=10)
            await fake_user.press_button(reply, text="More")
            more = await fake_user.wait_for_edit(reply, timeout=10)
            await fake_user.press_button(reply, text="Sources")
            sources = await fake_user.wait_for_reply(timeout=10)
            forged = {
                **reply,
                "reply_markup": {
                    "inline_keyboard": [[{"text": "More", "callback_data": "more:not-a-real-id"}]]
                },
            }
            await fake_user.press_button(forged, text="More")
            await proxy.wait_for_call("answerCallbackQuery", count=3)
    errors.assert_clean()
    assert "[4] " in check_html(more["text"]) and "[1] " not in more["text"]
    assert "<blockquote>" in sources["text"]
    check_html(sources["text"])
    answered = [call.params.get("text") for call in proxy.calls("answerCallbackQuery")]
    assert EN.expired in answered


@async_test
async def test_reload_keeps_answering_and_picks_up_new_notes(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    notes_folder: Callable[[dict[str, str]], Path],
) -> None:
    folder = notes_folder({"a.txt": "AdamW 把权重衰减从梯度更新中解耦出来。\n"})
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder))
    admin, user = make_user(user_id=1), make_user(user_id=2)
    app = bot(bot_token, proxy, pipeline, notes=folder, admin_user_ids=[1], questions_per_minute=50)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            (folder / "b.txt").write_text("余弦退火让学习率按余弦曲线下降。\n", encoding="utf-8")
            await user.send_command("/reload")
            denied = await user.wait_for_reply()
            await admin.send_command("/reload")
            for _ in range(5):  # questions keep arriving during the rebuild
                await user.send_message("AdamW 解耦了什么？")
            answers = await user.wait_for_replies(5, timeout=15)
            admin_replies = await admin.wait_for_replies(2, timeout=15)
            await user.send_message("余弦退火怎么调整学习率？")
            new_note = await user.wait_for_reply(timeout=10)

            for path in folder.iterdir():
                path.unlink()
            await admin.send_command("/reload")
            failed = await admin.wait_for_replies(2, timeout=15)
            await user.send_message("AdamW 解耦了什么？")
            still = await user.wait_for_reply(timeout=10)
    errors.assert_no_handler_errors()
    assert "admins" in denied["text"]
    assert all("权重衰减" in a["text"] for a in answers)
    assert admin_replies[1]["text"].startswith("Reloaded: 2 files")
    assert "余弦曲线" in new_note["text"]
    assert failed[1]["text"].startswith("Reload failed, still using the old index")
    assert "权重衰减" in still["text"]


@async_test
async def test_survives_server_errors_flood_limits_and_an_emulator_restart(
    proxy: TelegramProxy,
    emulator: Emulator,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    app = bot(bot_token, proxy, seeds_pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            user = make_user()
            proxy.inject_server_error("sendMessage", count=1, status=500)
            await user.send_message(DEEPSEEK)
            after_500 = await user.wait_for_reply(timeout=10)
            proxy.inject_retry_after("sendMessage", retry_after=1)
            await user.send_message(DEEPSEEK)
            after_429 = await user.wait_for_reply(timeout=10)

            emulator.kill()
            await asyncio.sleep(2)  # the bot polls a dead server meanwhile
            emulator.restart()
            fresh = make_user()  # the emulator forgot everything
            await fresh.send_message(DEEPSEEK)
            after_restart = await fresh.wait_for_reply(timeout=20)
    errors.assert_no_handler_errors()
    assert proxy.faults_served()["sendMessage"] == 2
    for reply in (after_500, after_429, after_restart):
        assert "671B" in reply["text"]


@async_test(timeout=180)
async def test_fifty_users_ten_questions_each_all_answered(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    seeds_pipeline: QAPipeline,
) -> None:
    questions = [
        DEEPSEEK,
        "梯度检查点是什么？",
        "AdamW 和 Adam 的区别",
        "mAP 怎么计算？",
        "红烧肉怎么做？",
    ] * 2
    # A slower poll keeps 50 readers from starving the bot, which shares this process.
    users = [make_user(user_id=5000 + i, track_ids=False, poll_interval=0.5) for i in range(50)]
    # The emulator has no flood limit; Telegram's 30 requests/s would only slow the test.
    app = bot(
        bot_token, proxy, seeds_pipeline, questions_per_minute=20, api_requests_per_second=1000
    )

    async def ask_all(user: FakeUser) -> list[Any]:
        for question in questions:
            await user.send_message(question)
        return await user.wait_for_replies(len(questions), timeout=150)

    with ErrorCollector(app) as errors:
        async with running_application(app):
            replies = await asyncio.gather(*(ask_all(user) for user in users))
            await users[0].assert_no_reply(within=0.5)
    errors.assert_no_handler_errors()
    assert all(len(per_user) == len(questions) for per_user in replies)
    asked = {call.params["chat_id"] for call in proxy.calls("sendMessage")}
    assert len(asked) == 50
    assert sum(1 for per_user in replies for r in per_user if "671B" in r["text"]) == 100


@async_test
async def test_watch_picks_up_new_notes_and_stats_shows_build_time_and_skips(
    proxy: TelegramProxy,
    bot_token: str,
    fake_user: FakeUser,
    notes_folder: Callable[[dict[str, str | bytes]], Path],
) -> None:
    folder = notes_folder(
        {"a.txt": "AdamW 把权重衰减从梯度更新中解耦出来。\n", "photo.txt": b"\x00\x01\x02"}
    )
    settings = Settings(
        notes_dir=folder,
        watch_debounce_ms=200,
        telegram={"token": bot_token, "base_url": proxy.base_url, "questions_per_minute": 100},
    )
    app = build_application(settings, QAPipeline.from_settings(settings), watch=True)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await app.post_init(app)  # starts the watcher, as run_polling would
            await asyncio.sleep(0.5)
            (folder / "b.txt").write_text("余弦退火让学习率按余弦曲线下降。\n", encoding="utf-8")
            for _ in range(40):
                await fake_user.send_message("余弦退火怎么调整学习率？")
                reply = await fake_user.wait_for_reply(timeout=5)
                if "余弦曲线" in reply["text"]:
                    break
                await asyncio.sleep(0.25)
            await fake_user.send_command("/stats")
            stats = await fake_user.wait_for_reply()
            await app.post_stop(app)
    errors.assert_clean()
    assert "余弦曲线" in reply["text"]
    assert stats["text"].startswith("2 files, 2 notes")
    assert "Index built 20" in stats["text"] and "skipped photo.txt: binary file" in stats["text"]
    assert bot_token not in stats["text"]
