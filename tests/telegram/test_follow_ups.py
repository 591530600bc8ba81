"""Conversations through the emulator: follow-ups, quoted classmates, edited questions."""

from __future__ import annotations

from collections.abc import Callable

from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application
from harness_user import command_text, mention_text
from html_check import check_html
from telegram.ext import Application

DEEPSEEK = "DeepSeek-V3 的总参数量是多少?"
CHECKPOINTS = "梯度检查点是什么？"
UNDERSTOOD = "（接上题：DeepSeek-V3 总参数量）"


@async_test
async def test_follow_ups_by_reply_and_by_pronoun_in_a_group_each_person_their_own(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    alice = make_user(chat_type="supergroup", user_id=51, language_code="zh-hans")
    bob = alice.as_member(52, "Bob")  # asks nothing before: his follow-up has no context
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await alice.send_command("/ask", DEEPSEEK, mention_bot=True)
            first = await alice.wait_for_reply(timeout=10)
            await alice.send_message("为什么?", reply_to=first)
            by_reply = await alice.wait_for_reply(timeout=10)
            await alice.send_mention("它每个 token 激活多少参数?")
            by_pronoun = await alice.wait_for_reply(timeout=10)
            await bob.send_mention("为什么?")
            bobs = await alice.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert "671B" in check_html(first["text"]) and "接上题" not in first["text"]
    assert check_html(by_reply["text"]).startswith(UNDERSTOOD)
    assert "DeepSeek-V3" in check_html(by_reply["text"])
    assert by_reply["text"] != first["text"]  # "why?" gets the next results, not a repeat
    assert check_html(by_pronoun["text"]).startswith(UNDERSTOOD)
    assert "37B" in by_pronoun["text"]
    assert "没有可以查找的主题" in bobs["text"] and "DeepSeek" not in bobs["text"]


@async_test
async def test_follow_ups_in_a_private_chat(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    carol = make_user(user_id=53, language_code="zh-hans")
    app = make_bot(questions_per_minute=20)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await carol.send_message("那这个呢？")  # nothing earlier: the usual hint
            hint = await carol.wait_for_reply(timeout=10)
            await carol.send_message(CHECKPOINTS)
            checkpoints = await carol.wait_for_reply(timeout=10)
            await carol.send_message("还有呢？")
            more = await carol.wait_for_reply(timeout=10)
            await carol.send_message(DEEPSEEK)
            await carol.wait_for_reply(timeout=10)
            await carol.send_message("为什么？", reply_to=checkpoints)  # not the last question
            by_reply = await carol.wait_for_reply(timeout=10)
            await carol.send_message("那 AdamW 和 Adam 有什么区别？")  # moves on
            moved_on = await carol.wait_for_reply(timeout=10)
            await carol.send_message("它是什么？")
            about_adamw = await carol.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert "没有可以查找的主题" in hint["text"]
    assert check_html(more["text"]).startswith("（接上题：梯度检查点）")
    assert "[4] " in more["text"]  # the next results of the question it follows up
    assert check_html(by_reply["text"]).startswith("（接上题：梯度检查点）")
    assert "AdamW" in moved_on["text"] and "接上题" not in moved_on["text"]
    assert check_html(about_adamw["text"]).startswith("（接上题：AdamW Adam")


@async_test
async def test_a_reply_with_mention_or_ask_answers_the_quoted_classmate(
    make_bot: Callable[..., Application], make_user: Callable[..., FakeUser]
) -> None:
    dana = make_user(chat_type="group", user_id=54)
    eve = dana.as_member(55, "Eve")
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            asked = await dana.send_message(DEEPSEEK)  # not addressed to the bot: ignored
            await dana.assert_no_reply(within=0.5)
            await eve.send_mention("", reply_to=dana.sent(asked, DEEPSEEK))
            by_mention = await dana.wait_for_reply(timeout=10)
            asked = await dana.send_message(CHECKPOINTS)
            await eve.send_command("/ask", mention_bot=True, reply_to=dana.sent(asked, CHECKPOINTS))
            by_command = await dana.wait_for_reply(timeout=10)
    errors.assert_clean()
    assert "671B" in by_mention["text"]
    assert "梯度检查点" in check_html(by_command["text"])


@async_test
async def test_edited_questions_edit_the_earlier_answer_in_place(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    private = make_user(user_id=56)
    group = make_user(chat_type="group", user_id=57)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            asked = await private.send_message(CHECKPOINTS)
            text_answer = await private.wait_for_reply(timeout=10)
            private.edit_message(asked, DEEPSEEK)
            text_edited = await private.wait_for_edit(text_answer, timeout=10)

            asked = await group.send_command("/ask", CHECKPOINTS, mention_bot=True)
            command_answer = await group.wait_for_reply(timeout=10)
            text, entities = command_text("/ask", DEEPSEEK, mention_bot=True)
            group.edit_message(asked, text, entities=entities)
            command_edited = await group.wait_for_edit(command_answer, timeout=10)

            asked = await group.send_mention(CHECKPOINTS)
            mention_answer = await group.wait_for_reply(timeout=10)
            text, entities = mention_text(DEEPSEEK)
            group.edit_message(asked, text, entities=entities)
            mention_edited = await group.wait_for_edit(mention_answer, timeout=10)
            await group.assert_no_reply(within=0.5)
            await private.assert_no_reply(within=0.2)
    errors.assert_clean()
    assert len(proxy.calls("sendMessage")) == 3  # one answer per question, edits in place
    assert len(proxy.calls("editMessageText")) == 3
    for before, after in [
        (text_answer, text_edited),
        (command_answer, command_edited),
        (mention_answer, mention_edited),
    ]:
        assert "梯度检查点" in before["text"] and "671B" in check_html(after["text"])
        assert after["message_id"] == before["message_id"]


@async_test
async def test_a_question_edited_while_it_is_answered_gets_one_answer_edited(
    make_bot: Callable[..., Application],
    make_user: Callable[..., FakeUser],
    proxy: TelegramProxy,
) -> None:
    user = make_user(user_id=58)
    app = make_bot()
    with ErrorCollector(app) as errors:
        async with running_application(app):
            # Edited at once: the edit reaches the bot while the first answer is made.
            asked = await user.send_message(CHECKPOINTS)
            user.edit_message(asked, DEEPSEEK)
            answer = await user.wait_for_reply(timeout=10)
            if "671B" not in answer["text"]:
                answer = await user.wait_for_edit(answer, timeout=10)
            await user.assert_no_reply(within=0.5)
    errors.assert_clean()
    assert len(proxy.calls("sendMessage")) == 1
    assert "671B" in check_html(answer["text"])
