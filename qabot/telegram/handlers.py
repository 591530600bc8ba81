"""The bot's handlers: the allowlist gate, the commands, greetings and hints.

Questions are :mod:`qabot.telegram.questions`' business, buttons
:mod:`qabot.telegram.buttons`', inline queries :mod:`qabot.telegram.inline`'s;
:meth:`Handlers.register` adds them all, behind the gate.

Example:
    >>> handlers = Handlers(state)  # doctest: +SKIP
    >>> handlers.register(application)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from telegram import BotCommand, ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from qabot.chat.service import ReloadError
from qabot.chat.strings import CATALOGUE, LANGUAGES, Language
from qabot.telegram.buttons import Buttons
from qabot.telegram.inline import InlineAnswers, refuse_inline
from qabot.telegram.questions import Questions
from qabot.telegram.render import render_stats, render_status
from qabot.telegram.state import BotState

log = logging.getLogger(__name__)

_PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def commands(language: Language) -> list[BotCommand]:
    """The command menu in ``language``."""
    return [BotCommand(name, text) for name, text in CATALOGUE[language].command_descriptions]


async def register_commands(application: Application, fixed: Language | None) -> None:
    """The command menu: in ``fixed`` for everyone, else per language, English by default."""
    bot = application.bot
    if fixed is not None:
        await bot.set_my_commands(commands(fixed))
        return
    await bot.set_my_commands(commands("en"))
    for language in LANGUAGES:
        await bot.set_my_commands(commands(language), language_code=language)


class Handlers:
    """Every handler of the bot, sharing one :class:`BotState`."""

    def __init__(self, state: BotState) -> None:
        self.state = state
        self.buttons = Buttons(state)
        self.questions = Questions(state, self.buttons)
        self.inline = InlineAnswers(state)

    def register(self, application: Application) -> None:
        """Add every handler; the allowlist gate runs first, for every update."""
        only_new = filters.UpdateType.MESSAGE
        application.add_handler(TypeHandler(Update, self.gate), group=-1)
        application.add_handler(CommandHandler("start", self.start, only_new))
        application.add_handler(CommandHandler("help", self.help, only_new))
        application.add_handler(CommandHandler("stats", self.stats, only_new))
        application.add_handler(CommandHandler("reload", self.reload, only_new))
        self.questions.register(application)
        self.buttons.register(application)
        self.inline.register(application)
        application.add_handler(ChatMemberHandler(self.greet, ChatMemberHandler.MY_CHAT_MEMBER))
        other = filters.ChatType.PRIVATE & only_new & ~filters.TEXT & ~filters.CAPTION
        application.add_handler(MessageHandler(other & ~filters.StatusUpdate.ALL, self.hint))
        application.add_error_handler(self.error)

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop updates from chats and users outside the allowlists."""
        chat, user = update.effective_chat, update.effective_user
        if self.state.allowed(chat.id if chat else None, user.id if user else None):
            return
        log.warning(
            "refused update from chat %s user %s",
            chat.id if chat else None,
            user.id if user else None,
        )
        refusal = self.state.strings_for(user).refusal
        if update.inline_query is not None:
            await refuse_inline(update.inline_query, refusal)
        elif chat is not None and self.state.refusals.allow(chat.id):
            if update.callback_query is not None:
                with suppress(TelegramError):
                    await update.callback_query.answer(refusal)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(refusal)
        raise ApplicationHandlerStop

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/start``: what the bot knows; ``/start <payload>`` (a deep link) asks it."""
        if context.args:
            await self.questions.deep_link(update, context.args[0])
        else:
            await self.help(update, context)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain what the bot knows and how to ask, with examples from the notes."""
        message = update.effective_message
        if message is None:
            return
        language = self.state.language_for(update.effective_user)
        strings = CATALOGUE[language]
        stats = render_stats(self.state.service.stats, strings)
        text = strings.help.format(stats=stats, bot=context.bot.username)
        examples = await self.questions.examples(language)
        if examples:
            ask = "" if message.chat.type == ChatType.PRIVATE else "/ask "
            text += "\n\n" + "\n".join([strings.help_examples, *(ask + q for q in examples)])
        await message.reply_text(text)

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show what is indexed, when it was built, what was skipped, and the helpful rate."""
        message = update.effective_message
        if message is None:
            return
        strings = self.state.strings_for(update.effective_user)
        pipeline = self.state.service.pipeline
        helpful = await asyncio.to_thread(self.state.feedback.helpful_rate)
        for text in render_status(pipeline.index.stats, pipeline.built_at, strings, helpful):
            await message.reply_text(text, parse_mode=ParseMode.HTML)

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Rebuild the index, for admins only; answers keep flowing meanwhile."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        strings = self.state.strings_for(user)
        service = self.state.service
        if user is None or user.id not in self.state.options.admin_user_ids:
            await message.reply_text(strings.admins_only)
            return
        if service.reloading:
            await message.reply_text(strings.reload_running)
            return
        await message.reply_text(strings.reload_started)
        try:
            stats = await service.reload()
        except ReloadError as error:
            await message.reply_text(strings.reload_failed.format(error=error))
            return
        await message.reply_text(strings.reloaded.format(stats=render_stats(stats, strings)))

    async def greet(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say how to ask, once, when added to a group."""
        change = update.my_chat_member
        if change is None or not _joined_group(change):
            return
        strings = self.state.strings_for(change.from_user)
        await context.bot.send_message(change.chat.id, strings.greeting)

    async def hint(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice message, sticker or the like in a private chat: say what the bot reads."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not self.state.hints.allow(user.id):
            return
        await message.reply_text(self.state.strings_for(user).non_text_hint)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log every failure once, with its chat; the bot carries on with the next update."""
        chat = update.effective_chat if isinstance(update, Update) else None
        chat_id = chat.id if chat is not None else None
        if isinstance(context.error, BadRequest | Forbidden):  # permanent: the reason suffices
            log.error("Telegram refused a request for chat %s: %s", chat_id, context.error.message)
            return
        log.error("error while handling an update in chat %s", chat_id, exc_info=context.error)


def _joined_group(change: ChatMemberUpdated) -> bool:
    if change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    was, now = change.old_chat_member.status, change.new_chat_member.status
    return now in _PRESENT and was not in _PRESENT
