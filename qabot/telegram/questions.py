"""Answering questions: new and edited messages, captions, quoted messages, deep links.

Which messages ask what is :mod:`qabot.telegram.addressing`'s business; here each is
answered through the conversation layer, so follow-ups carry their context. An
edited question edits the answer it got, in place, and never posts a second one.

Example:
    >>> questions = Questions(state, buttons)  # doctest: +SKIP
    >>> questions.register(application)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import unicodedata
import weakref

from telegram import Message, Update, User
from telegram.constants import ChatAction
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from qabot.chat.conversation import Reply
from qabot.chat.strings import CATALOGUE, strings_of
from qabot.telegram.addressing import Asked, read_question
from qabot.telegram.buttons import Buttons
from qabot.telegram.render import render_answer
from qabot.telegram.sending import deliver
from qabot.telegram.state import BotState

_FALLBACK_EXAMPLE = "DeepSeek-V3 的总参数量是多少?"  # notes without a name to ask about


class Questions:
    """Turns addressed messages into answers, and edited questions into edited answers."""

    def __init__(self, state: BotState, buttons: Buttons) -> None:
        self.state = state
        self.buttons = buttons
        # Updates are handled concurrently: an edit that comes while its question is
        # still being answered waits for that answer, to edit it rather than post another.
        self._answering: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def register(self, application: Application) -> None:
        asking = filters.UpdateType.MESSAGES & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
        application.add_handler(CommandHandler("ask", self.message, filters.UpdateType.MESSAGES))
        application.add_handler(MessageHandler(asking, self.message))

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a message (or an edit of one) that asks the bot something."""
        message = update.effective_message
        if message is None:
            return
        asked = read_question(message, context.bot.id, context.bot.username)
        if asked is None:
            return
        if not asked.text:
            language = self.state.language_for(update.effective_user)
            examples = await self.examples(language)
            example = examples[0] if examples else _FALLBACK_EXAMPLE
            await message.reply_text(CATALOGUE[language].ask_usage.format(example=example))
            return
        await self.answer(update, asked, edited=update.edited_message is not None)

    async def deep_link(self, update: Update, payload: str) -> None:
        """``/start <payload>``: a link ``t.me/<bot>?start=…`` that opens a question."""
        await self.answer(update, Asked(decode_payload(payload), None), edited=False)

    async def answer(self, update: Update, asked: Asked, edited: bool) -> None:
        """Answer ``asked``, or edit the earlier answer to an edited question."""
        message = update.effective_message
        if message is None:
            return
        key = (message.chat_id, message.message_id)
        lock = self._answering.get(key)
        if lock is None:
            lock = self._answering[key] = asyncio.Lock()
        async with lock:
            await self._answer(message, update.effective_user, asked, edited)

    async def _answer(
        self, message: Message, user: User | None, asked: Asked, edited: bool
    ) -> None:
        state = self.state
        user_id = user.id if user else 0
        language = state.language_for(user, asked.text)
        strings = state.strings_for(user, asked.text)
        if not state.questions.allow(user_id):
            if state.slow_down_notices.allow(user_id):
                limit = state.options.questions_per_minute
                await message.reply_text(strings.slow_down.format(limit=limit))
            return
        await message.reply_chat_action(ChatAction.TYPING)  # inside the forum topic, if any
        conversations = state.conversations
        if edited:
            found = await asyncio.to_thread(
                conversations.reask,
                message.chat_id,
                message.message_id,
                asked.text,
                language,
                replying_to=asked.replying_to,
            )
            if found is not None:
                await self._send(message, *found, owner=user_id)
                return
        reply = await asyncio.to_thread(
            conversations.ask,
            message.chat_id,
            user_id,
            asked.text,
            language,
            replying_to=asked.replying_to,
            asked_message=message.message_id,
        )
        await self._send(message, reply, [], owner=user_id)

    async def _send(self, message: Message, reply: Reply, earlier: list[int], owner: int) -> None:
        """Send ``reply``'s pages, editing the messages of an ``earlier`` answer first."""
        strings = strings_of(reply.turn.language)
        pages = render_answer(reply.answer, strings, reply.understood)
        markup = self.buttons.keyboard(reply.turn, reply.answer, owner, strings)
        sent = await deliver(message, pages, markup, replacing=earlier)
        await asyncio.to_thread(self.state.store.link_answers, reply.turn, sent)

    async def examples(self, language: str) -> list[str]:
        """Questions about the notes that they answer, for hints and /help."""
        pipeline = self.state.service.pipeline
        return await asyncio.to_thread(self.state.examples.for_pipeline, pipeline, language)


def decode_payload(payload: str) -> str:
    """A deep link's question: base64url of its UTF-8 text, or words joined by ``_``."""
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded.strip() and not any(unicodedata.category(ch) == "Cc" for ch in decoded):
        return decoded
    return payload.replace("_", " ")
