"""The buttons under an answer: More and Back (pages), Sources, and 👍/👎 feedback.

A button carries ``<action>:<key>``; the key names a stored page of a turn's results
and its owner (:class:`~qabot.chat.store.ChatStore`), so buttons keep working after
a restart, until ``telegram.button_ttl_seconds``. Paging has its own rate limit
(``telegram.lookups_per_minute``), not the question one. A page pressed by someone
other than the asker is sent to them as a new reply; the shared answer stays as it
is. Every press is acknowledged, unknown and expired ones included.

Example:
    >>> buttons = Buttons(state)  # doctest: +SKIP
    >>> buttons.register(application)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from qabot.chat.feedback import FeedbackError, Vote
from qabot.chat.store import PageRef, Turn
from qabot.chat.strings import Strings, strings_of
from qabot.schema import Answer
from qabot.telegram.render import render_answer, render_sources
from qabot.telegram.sending import deliver
from qabot.telegram.state import BotState

log = logging.getLogger(__name__)

MORE, BACK, SOURCES, HELPFUL, UNHELPFUL = "more", "back", "src", "up", "down"
_PAGING = (MORE, BACK, SOURCES)


class Buttons:
    """Makes the keyboards and answers every press."""

    def __init__(self, state: BotState) -> None:
        self.state = state

    def register(self, application: Application) -> None:
        application.add_handler(CallbackQueryHandler(self.press))

    def keyboard(
        self, turn: Turn, answer: Answer, owner: int, strings: Strings
    ) -> InlineKeyboardMarkup | None:
        """More, Back and Sources for this page of ``turn``, then 👍 and 👎; none if no answer."""
        if answer.abstained or not answer.citations:
            return None
        key = self.state.store.put_page(turn.id, answer.page, owner)
        paging = []
        if answer.page > 0:
            paging.append(InlineKeyboardButton(strings.back_button, callback_data=f"{BACK}:{key}"))
        if answer.has_more:
            paging.append(InlineKeyboardButton(strings.more_button, callback_data=f"{MORE}:{key}"))
        paging.append(
            InlineKeyboardButton(strings.sources_button, callback_data=f"{SOURCES}:{key}")
        )
        votes = [
            InlineKeyboardButton("👍", callback_data=f"{HELPFUL}:{key}"),
            InlineKeyboardButton("👎", callback_data=f"{UNHELPFUL}:{key}"),
        ]
        return InlineKeyboardMarkup([paging, votes])

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Act on a button press; every press gets an answer, so no button keeps spinning."""
        query = update.callback_query
        if query is None:
            return
        action, _, key = (query.data or "").partition(":")
        ref = self.state.store.page(key) if key else None
        user = update.effective_user
        strings = strings_of(ref.turn.language) if ref else self.state.strings_for(user)
        if ref is None or not isinstance(query.message, Message) or user is None:
            await query.answer(strings.expired)
            return
        if action in (HELPFUL, UNHELPFUL):
            try:
                await self._vote(query.message, ref, user.id, helpful=action == HELPFUL)
            except FeedbackError as error:  # acknowledged all the same; the bot carries on
                log.error("could not save a vote: %s", error)
                await query.answer()
                return
            await query.answer(strings.vote_thanks)
        elif action not in _PAGING:
            await query.answer(strings.expired)
        elif not self.state.lookups.allow(user.id):
            limit = self.state.options.lookups_per_minute
            await query.answer(strings.slow_down_pages.format(limit=limit))
        elif action == SOURCES:
            await query.answer()
            answer = await asyncio.to_thread(self.state.conversations.page, ref.turn, ref.page)
            await deliver(query.message, render_sources(answer, strings), None, replacing=[])
        else:
            page = max(0, ref.page + (1 if action == MORE else -1))
            answer = await asyncio.to_thread(self.state.conversations.page, ref.turn, page)
            mine = user.id == ref.owner
            if mine:
                await query.answer()
            else:
                await query.answer(strings.page_sent_below)
            await self._show(query.message, ref.turn, answer, user.id, strings, in_place=mine)

    async def _show(
        self,
        message: Message,
        turn: Turn,
        answer: Answer,
        owner: int,
        strings: Strings,
        in_place: bool,
    ) -> None:
        """A page: in place of ``message`` for its owner, else as a new reply for ``owner``."""
        pages = render_answer(answer, strings, self.state.conversations.understood(turn))
        markup = self.keyboard(turn, answer, owner, strings)
        await deliver(message, pages, markup, replacing=[message.message_id] if in_place else [])

    async def _vote(self, message: Message, ref: PageRef, user: int, helpful: bool) -> None:
        answer = await asyncio.to_thread(self.state.conversations.page, ref.turn, ref.page)
        vote = Vote.of(
            answer,
            helpful,
            ref.turn.context,
            chat_type=message.chat.type,
            chat=message.chat.id,
            message=message.message_id,
            user=user,
        )
        await asyncio.to_thread(self.state.feedback.record, vote)
