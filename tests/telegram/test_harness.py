"""The harness drives plain python-telegram-bot end to end through proxy and emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from harness import (
    BOT_USERNAME,
    Emulator,
    ErrorCollector,
    FakeUser,
    FaultKind,
    TelegramProxy,
    application_builder,
    async_test,
    bot_id_from_token,
    running_application,
)
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_chat_action(ChatAction.TYPING)
    await update.message.reply_text(
        f"<b>{update.message.text}</b>", parse_mode=ParseMode.HTML, do_quote=True
    )


@async_test
async def test_initialize_succeeds_through_proxy(proxy: TelegramProxy, bot_token: str) -> None:
    app = application_builder(bot_token, proxy).build()
    async with app:
        assert app.bot.username == BOT_USERNAME
        assert app.bot.id == bot_id_from_token(bot_token)
        assert await app.bot.set_my_commands([("ask", "Ask the notes")]) is True
    (call,) = proxy.calls("setMyCommands")
    assert call.params["commands"] == [{"command": "ask", "description": "Ask the notes"}]
    assert proxy.call_counts()["getMe"] == 1


@async_test
async def test_echo_in_private_chat(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser
) -> None:
    app = application_builder(bot_token, proxy).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    with ErrorCollector(app) as errors:
        async with running_application(app):
            sent_id = await fake_user.send_message("hello <there>")
            reply = await fake_user.wait_for_reply()
    errors.assert_clean()
    assert reply["text"] == "<b>hello <there></b>"
    assert reply["parse_mode"] == "HTML"
    assert reply["reply_to_message_id"] == sent_id
    assert reply["chat_id"] == fake_user.chat_id
    assert proxy.calls("sendChatAction")[0].params["action"] == "typing"
    assert proxy.calls("sendMessage")[0].params["parse_mode"] == "HTML"


@async_test
async def test_command_mention_and_reply_in_group(
    proxy: TelegramProxy, bot_token: str, make_user: Callable[..., FakeUser]
) -> None:
    seen: list[str] = []

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.message is not None
        seen.append(f"ask:{update.effective_chat.type}:{' '.join(context.args or [])}")
        await update.message.reply_text("answer", do_quote=True)

    async def mentioned(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        kind = "reply" if update.message.reply_to_message else "mention"
        seen.append(f"{kind}:{update.message.from_user and update.message.from_user.first_name}")
        await update.message.reply_text(kind)

    app = application_builder(bot_token, proxy).build()
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(
        MessageHandler(filters.Entity(MessageEntity.MENTION) | filters.REPLY, mentioned)
    )
    alice = make_user(chat_type="supergroup", chat_id=-100555)
    bob = alice.as_member(2002, "Bob", "bob")
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await alice.send_command("/ask", "what is BM25", mention_bot=True)
            answer = await alice.wait_for_reply()
            await bob.send_mention("hi bot")
            await alice.wait_for_reply()
            await bob.send_message("thanks", reply_to=answer)
            await alice.wait_for_reply()
            await alice.send_message("chatter without mention")
            await alice.assert_no_reply(within=0.3)
    errors.assert_clean()
    assert seen == ["ask:supergroup:what is BM25", "mention:Bob", "reply:Bob"]
    (first, *_) = proxy.calls("sendMessage")
    assert first.params["chat_id"] == -100555


@async_test
async def test_inline_button_press_and_edit(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser
) -> None:
    edited: list[object] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = [[InlineKeyboardButton("More", callback_data="more")]]
        await update.message.reply_text("Pick", reply_markup=InlineKeyboardMarkup(keyboard))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        assert await query.answer("ok") is True
        edited.append(await query.edit_message_text(f"You chose {query.data}"))

    app = application_builder(bot_token, proxy).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_command("/start")
            menu = await fake_user.wait_for_reply()
            assert menu["reply_markup"] == {
                "inline_keyboard": [[{"text": "More", "callback_data": "more"}]]
            }
            await fake_user.press_button(menu, text="More")
            after = await fake_user.wait_for_edit(menu)
    errors.assert_clean()
    assert after["text"] == "You chose more"
    (message,) = edited
    assert isinstance(message, Message)
    assert message.text == "You chose more" and message.edit_date is not None
    assert message.message_id == menu["message_id"]
    assert proxy.calls("answerCallbackQuery")[0].params["text"] == "ok"


# PTB 22 warns about RetryAfter.retry_after becoming a timedelta whenever it builds one.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@async_test
async def test_injected_faults_raise_and_next_call_works(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser
) -> None:
    app = application_builder(bot_token, proxy).build()
    proxy.inject_server_error("sendMessage")
    proxy.inject_retry_after("sendMessage", retry_after=3)
    proxy.inject_malformed_json("sendMessage")
    async with app:
        send = app.bot.send_message
        with pytest.raises(NetworkError):
            await send(fake_user.chat_id, "one")
        with pytest.raises(RetryAfter, match="Retry in 3"):
            await send(fake_user.chat_id, "two")
        with pytest.raises(TelegramError, match="Invalid server response"):
            await send(fake_user.chat_id, "three")
        message = await send(fake_user.chat_id, "four")
        proxy.go_down(30)
        with pytest.raises(NetworkError):
            await app.bot.get_me()
        proxy.come_up()
        assert (await app.bot.get_me()).is_bot
    assert message.text == "four" and message.chat.type == "private"
    assert [r["text"] for r in await fake_user.wait_for_replies()] == ["four"]
    assert proxy.faults_served() == {"sendMessage": 3, "getMe": 1}
    assert proxy.call_counts()["sendMessage"] == 4
    assert [c.fault for c in proxy.calls("sendMessage")] == [
        FaultKind.SERVER_ERROR,
        FaultKind.RETRY_AFTER,
        FaultKind.MALFORMED_JSON,
        None,
    ]


@async_test
async def test_bot_reconnects_after_emulator_restart(
    emulator: Emulator, proxy: TelegramProxy, bot_token: str, fake_user: FakeUser
) -> None:
    port = emulator.port
    app = application_builder(bot_token, proxy).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    with ErrorCollector(app) as errors:
        async with running_application(app):
            await fake_user.send_message("before")
            assert (await fake_user.wait_for_reply())["text"] == "<b>before</b>"
            emulator.kill()
            async with asyncio.timeout(5):  # until the bot's polling hits the dead emulator
                while proxy.upstream_errors == 0:
                    await asyncio.sleep(0.02)
            emulator.start()
            assert emulator.port == port
            await fake_user.send_message("after")
            assert (await fake_user.wait_for_reply(timeout=10))["text"] == "<b>after</b>"
    # Polling errors while the emulator was down are expected (and only logged).
    errors.assert_no_handler_errors()


@async_test
async def test_unemulated_method_fails_loudly_and_is_recorded(
    proxy: TelegramProxy, bot_token: str, fake_user: FakeUser
) -> None:
    app = application_builder(bot_token, proxy).build()
    async with app:
        with pytest.raises(NetworkError, match="not supported"):
            await app.bot.send_document(
                fake_user.chat_id, b"notes", filename="notes.txt", caption="<i>c</i>"
            )
    (call,) = proxy.calls("sendDocument")
    assert call.files == ("document",)
    assert call.params["caption"] == "<i>c</i>" and call.params["chat_id"] == fake_user.chat_id
