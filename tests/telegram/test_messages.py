"""Every way in besides a plain question: languages, /help, captions, voice and stickers,
being added to a group, deep links, forum topics, inline mode."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application
from harness_user import button_labels, mention_text
from html_check import check_html
from telegram.ext import Application

from qabot.chat.strings import EN, ZH
from qabot.config import Settings
from qabot.pipeline import QAPipeline

DEEPSEEK = "DeepSeek-V3 的总参数量是多少?"


@async_test
async def test_chinese_for_a_zh_user_english_for_an_en_one_and_by_script_otherwise(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    zh = make_user(user_id=61, language_code="zh-hans")
    en = make_user(user_id=62, language_code="en")
    unknown = make_user(user_id=63, language_code=None)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await app.post_init(app)  # registers the command menus, as run_polling would
            for user in (zh, en, unknown):
                await user.send_message(DEEPSEEK)
            zh_answer, en_answer, by_script = [
                await u.wait_for_reply(10) for u in (zh, en, unknown)
            ]
            await unknown.send_message("How do I bake sourdough bread?")
            english = await unknown.wait_for_reply(10)
    errors.assert_clean()
    assert ZH.sources in zh_answer["text"] and "另见" in zh_answer["text"]
    assert button_labels(zh_answer) == ["更多", "出处", "👍", "👎"]
    assert EN.sources in en_answer["text"] and "also in" in en_answer["text"]
    assert button_labels(en_answer) == ["More", "Sources", "👍", "👎"]
    assert ZH.sources in by_script["text"] and EN.not_covered in english["text"]
    menus = {
        c.params.get("language_code"): c.params["commands"] for c in proxy.calls("setMyCommands")
    }
    assert {c["description"] for c in menus["zh"]} >= {"就笔记提问", "索引了什么"}
    assert {c["description"] for c in menus[None]} >= {"Ask a question about the notes"}


@async_test
async def test_help_in_chinese_with_examples_from_the_users_own_notes(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    notes_folder: Callable[[dict[str, str]], Path],
) -> None:
    folder = notes_folder(
        {
            "zorbax.md": "# Zorbax-7\nZorbax-7 是一种把学习率按周期重启的调度方法。\n"
            "Zorbax-7 的周期长度每次翻倍。\n",
            "other.txt": "Quillon 优化器在 Zorbax-7 之后提出，用于稀疏梯度。\n",
        }
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder))
    user = make_user(user_id=64, language_code="zh-hans")
    app = make_bot(pipeline=pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await user.send_command("/help")
            help_text = (await user.wait_for_reply(10))["text"]
            await user.send_command("/ask")
            usage = (await user.wait_for_reply(10))["text"]
    errors.assert_clean()
    assert help_text.startswith("我根据学习小组的笔记回答问题") and "例如：" in help_text
    assert "Zorbax-7 是什么？" in help_text  # an example from these notes, not a fixed one
    assert not pipeline.ask("Zorbax-7 是什么？").abstained
    assert usage == "这样问：/ask Zorbax-7 是什么？"


@async_test
async def test_captions_are_questions_other_messages_get_a_hint_only_in_private(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    private = make_user(user_id=65)
    group = make_user(chat_type="group", user_id=66)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await private.send_media("photo", caption=DEEPSEEK)
            photo = await private.wait_for_reply(10)
            await private.send_media("voice")
            voice = await private.wait_for_reply(10)
            await group.send_media("sticker")
            await group.send_media("photo", caption=DEEPSEEK)  # not addressed
            await group.assert_no_reply(within=0.5)
            caption, entities = mention_text("梯度检查点是什么？")
            await group.send_media("document", caption=caption, caption_entities=entities)
            document = await group.wait_for_reply(10)
    errors.assert_clean()
    assert "671B" in photo["text"]
    assert voice["text"] == EN.non_text_hint
    assert "梯度检查点" in check_html(document["text"])


@async_test
async def test_being_added_to_a_group_sends_one_greeting(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    adder = make_user(chat_type="supergroup", user_id=67, language_code="zh-hans")
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            adder.add_bot_to_group()
            greeting = await adder.wait_for_reply(10)
            await adder.assert_no_reply(within=0.5)
    errors.assert_clean()
    assert greeting["text"] == ZH.greeting and "/ask" in greeting["text"]


@async_test
async def test_a_deep_link_asks_its_question(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    user = make_user(user_id=68)
    payload = base64.urlsafe_b64encode(DEEPSEEK.encode()).decode().rstrip("=")
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await user.send_command("/start", payload)
            encoded = await user.wait_for_reply(10)
            await user.send_command("/start", "what_is_AdamW")
            plain = await user.wait_for_reply(10)
            await user.send_command("/start")
            welcome = await user.wait_for_reply(10)
    errors.assert_clean()
    assert "671B" in encoded["text"]
    assert "AdamW" in plain["text"]
    assert welcome["text"].startswith("I answer questions from the study group's notes")


@async_test
async def test_typing_and_the_answer_stay_inside_a_forum_topic(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    member = make_user(chat_type="supergroup", user_id=69, thread_id=77)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await member.send_command("/ask", DEEPSEEK, mention_bot=True)
            answer = await member.wait_for_reply(10)
    errors.assert_clean()
    (typing,) = proxy.calls("sendChatAction")
    assert typing.params["action"] == "typing" and typing.params["message_thread_id"] == 77
    assert proxy.calls("sendMessage")[0].params["message_thread_id"] == 77
    assert "671B" in answer["text"]


@async_test
async def test_inline_queries_list_answers_as_articles(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    member, stranger = make_user(user_id=70), make_user(user_id=71)
    app = make_bot(allowed_user_ids=[70], inline_cache_seconds=60)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            member.send_inline_query(DEEPSEEK)
            await proxy.wait_for_call("answerInlineQuery", count=1, timeout=10)
            member.send_inline_query("How do I bake sourdough bread?")
            await proxy.wait_for_call("answerInlineQuery", count=2, timeout=10)
            stranger.send_inline_query(DEEPSEEK)
            await proxy.wait_for_call("answerInlineQuery", count=3, timeout=10)
    errors.assert_clean()
    answered, uncovered, refused = (call.params for call in proxy.calls("answerInlineQuery"))
    articles = answered["results"]
    assert len(articles) >= 2 and all(a["type"] == "article" for a in articles)
    first = articles[0]["input_message_content"]
    assert "671B" in check_html(first["message_text"]) and first["parse_mode"] == "HTML"
    assert articles[0]["description"].startswith("000_518f52ec4929dd4d.txt:6")
    assert len({a["id"] for a in articles}) == len(articles)
    assert answered["cache_time"] == 60 and str(answered["is_personal"]).lower() == "true"
    assert uncovered["results"] == [] and uncovered["button"]["text"] == EN.not_covered
    assert refused["results"] == [] and refused["button"]["text"] == EN.refusal
