"""Telegram handlers: parse the update, call the core, render its answer.

In a private chat any text is a question. In a group the bot answers only when
addressed: ``/ask``, an @mention, or a reply to one of its own messages.

Example:
    >>> handlers = Handlers(service)  # doctest: +SKIP
    >>> handlers.register(application)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from qabot.chat.limits import RateLimiter
from qabot.chat.paging import ResultStore
from qabot.chat.service import AnswerService, ReloadError
from qabot.schema import Answer
from qabot.telegram.render import render_answer, render_sources, render_stats, render_status

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("ask", "Ask a question about the notes"),
    BotCommand("help", "What I know and how to ask"),
    BotCommand("stats", "What is indexed"),
    BotCommand("reload", "Rebuild the index (admins)"),
]
HELP = (
    "I answer questions from the study group's notes, quoting them with sources.\n"
    "I know {stats}.\n\n"
    "In a private chat, just send your question. In a group, use /ask followed by "
    "your question, mention me, or reply to one of my answers.\n"
    "Example: /ask DeepSeek-V3 的总参数量是多少?"
)
REFUSAL = "Sorry, I only answer in the study group I was set up for."
SLOW_DOWN = "Slow down a little, please: at most {limit} questions a minute."
EXPIRED = "This button has expired; please ask again."


class Handlers:
    """All of the bot's handlers, sharing one answer service and its state."""

    def __init__(self, service: AnswerService) -> None:
        self.service = service
        options = service.settings.telegram
        self.options = options
        self.results = ResultStore(ttl=options.button_ttl_seconds)
        self.questions = RateLimiter(options.questions_per_minute, window=60)
        self.slow_down_notices = RateLimiter(1, window=60)
        self.refusals = RateLimiter(1, window=3600)

    def register(self, application: Application) -> None:
        """Add every handler; the allowlist gate runs first, for every update."""
        application.add_handler(TypeHandler(Update, self.gate), group=-1)
        application.add_handler(CommandHandler(["start", "help"], self.help))
        application.add_handler(CommandHandler("ask", self.ask_command))
        application.add_handler(CommandHandler("stats", self.stats))
        application.add_handler(CommandHandler("reload", self.reload))
        application.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, self.message
            )
        )
        application.add_handler(CallbackQueryHandler(self.button, pattern=r"^(more|src):"))
        application.add_error_handler(self.error)

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop updates from chats and users outside the allowlists."""
        if self._allowed(update):
            return
        chat, user = update.effective_chat, update.effective_user
        log.warning(
            "refused update from chat %s user %s",
            chat.id if chat else None,
            user.id if user else None,
        )
        if chat is not None and self.refusals.allow(chat.id):
            if update.callback_query is not None:
                with suppress(TelegramError):
                    await update.callback_query.answer(REFUSAL)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(REFUSAL)
        raise ApplicationHandlerStop

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain what the bot knows and how to ask."""
        if update.effective_message:
            await update.effective_message.reply_text(
                HELP.format(stats=render_stats(self.service.stats))
            )

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show what is indexed, when it was built, and what was skipped."""
        if update.effective_message:
            pipeline = self.service.pipeline
            for text in render_status(pipeline.index.stats, pipeline.built_at):
                await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer ``/ask <question>`` in any chat."""
        message = update.effective_message
        if message is None:
            return
        question = " ".join(context.args or [])
        if not question.strip():
            await message.reply_text("Ask like this: /ask DeepSeek-V3 的总参数量是多少?")
            return
        await self._answer(update, context, question)

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer private text, and group text that addresses the bot."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        if message.chat.type == ChatType.PRIVATE:
            await self._answer(update, context, message.text)
        elif self._addressed(message, context):
            await self._answer(update, context, self._without_mention(message, context))

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Rebuild the index, for admins only; answers keep flowing meanwhile."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        if user is None or user.id not in self.options.admin_user_ids:
            await message.reply_text("Only the bot's admins may reload the notes.")
            return
        if self.service.reloading:
            await message.reply_text("A reload is already running.")
            return
        await message.reply_text("Rebuilding the index; I keep answering meanwhile.")
        try:
            stats = await self.service.reload()
        except ReloadError as error:
            await message.reply_text(f"Reload failed, still using the old index: {error}")
            return
        await message.reply_text(f"Reloaded: {render_stats(stats)}")

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """More: the next page in place. Sources: the full snippets as a reply."""
        query = update.callback_query
        if query is None or query.data is None or not isinstance(query.message, Message):
            return
        action, _, key = query.data.partition(":")
        stored = self.results.get(key)
        if stored is None:
            await query.answer(EXPIRED)
            return
        if not self._within_rate(update):
            await query.answer(SLOW_DOWN.format(limit=self.options.questions_per_minute))
            return
        await query.answer()
        if action == "more":
            answer = await self.service.ask(stored.question, stored.page + 1)
            pages = render_answer(answer)
            await query.message.edit_text(
                pages[0], parse_mode=ParseMode.HTML, reply_markup=self._keyboard(answer)
            )
        else:
            answer = await self.service.ask(stored.question, stored.page)
            for text in render_sources(answer):
                await query.message.reply_text(
                    text, parse_mode=ParseMode.HTML, do_quote=True, allow_sending_without_reply=True
                )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log every failure once, with its chat; the bot carries on with the next update."""
        chat = update.effective_chat if isinstance(update, Update) else None
        chat_id = chat.id if chat is not None else None
        if isinstance(context.error, BadRequest | Forbidden):  # permanent: the reason suffices
            log.error("Telegram refused a request for chat %s: %s", chat_id, context.error.message)
            return
        log.error("error while handling an update in chat %s", chat_id, exc_info=context.error)

    async def _answer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
    ) -> None:
        message = update.effective_message
        if message is None:
            return
        if not self._within_rate(update):
            user = update.effective_user
            if user is not None and self.slow_down_notices.allow(user.id):
                await message.reply_text(SLOW_DOWN.format(limit=self.options.questions_per_minute))
            return
        with suppress(TelegramError):  # the typing hint is nice to have, never essential
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        answer = await self.service.ask(question)
        pages = render_answer(answer)
        for number, text in enumerate(pages, start=1):
            markup = self._keyboard(answer) if number == len(pages) else None
            # Sent even if the question was deleted meanwhile (else a permanent 400).
            await message.reply_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                do_quote=True,
                allow_sending_without_reply=True,
            )

    def _keyboard(self, answer: Answer) -> InlineKeyboardMarkup | None:
        if answer.abstained or not answer.citations:
            return None
        key = self.results.put(answer.question, answer.page)
        buttons = [InlineKeyboardButton("Sources", callback_data=f"src:{key}")]
        if answer.has_more:
            buttons.insert(0, InlineKeyboardButton("More", callback_data=f"more:{key}"))
        return InlineKeyboardMarkup([buttons])

    def _allowed(self, update: Update) -> bool:
        chats, users = self.options.allowed_chat_ids, self.options.allowed_user_ids
        if not chats and not users:
            return True
        chat, user = update.effective_chat, update.effective_user
        return (chat is not None and chat.id in chats) or (user is not None and user.id in users)

    def _within_rate(self, update: Update) -> bool:
        user = update.effective_user
        return user is None or self.questions.allow(user.id)

    @staticmethod
    def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
        bot = context.bot
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        for entity, text in message.parse_entities().items():
            if entity.type == MessageEntity.MENTION and text[1:].lower() == bot.username.lower():
                return True
            if (
                entity.type == MessageEntity.TEXT_MENTION
                and entity.user
                and entity.user.id == bot.id
            ):
                return True
        return False

    @staticmethod
    def _without_mention(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str:
        mention = re.compile(re.escape(f"@{context.bot.username}"), re.IGNORECASE)
        return mention.sub(" ", message.text or "").strip()
