"""Inline mode: ``@bot 问题`` typed in any chat lists the best answers to pick from.

The first article is the answer with its sources; the others are the further cited
sentences, each with its own source. Whichever is chosen is sent into that chat by
the user, as their message. A question the notes don't cover, or an empty one, gets
no articles but a button that says so. Inline queries count against
``telegram.lookups_per_minute``, not the question limit. Switch inline mode on with
BotFather's ``/setinline``.

Example:
    >>> InlineAnswers(state).register(application)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import suppress

from telegram import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, InlineQueryHandler

from qabot.chat.citations import excerpt
from qabot.chat.strings import Strings
from qabot.schema import Answer, Citation
from qabot.telegram.render import Block, pack
from qabot.telegram.state import BotState

ARTICLES = 5  # the answer, then up to four more cited sentences


class InlineAnswers:
    """Answers inline queries with articles."""

    def __init__(self, state: BotState) -> None:
        self.state = state

    def register(self, application: Application) -> None:
        application.add_handler(InlineQueryHandler(self.query))

    async def query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the best answers to ``@bot <question>`` as articles."""
        query = update.inline_query
        if query is None:
            return
        state, question = self.state, query.query.strip()
        strings = state.strings_for(query.from_user, question)
        options = state.options
        # Cached results reach every user who types the same query, unless personal.
        personal = options.language is None or bool(
            options.allowed_chat_ids or options.allowed_user_ids
        )
        cache = options.inline_cache_seconds
        if not question:
            button = _button(strings.inline_type_a_question)
            await query.answer([], cache_time=cache, is_personal=personal, button=button)
            return
        if not state.lookups.allow(query.from_user.id):
            limit = options.lookups_per_minute
            button = _button(strings.slow_down_pages.format(limit=limit))
            await query.answer([], cache_time=0, is_personal=True, button=button)
            return
        first = await asyncio.to_thread(state.service.answer, question)
        if first.abstained:
            said = strings.notice(first.notice) if first.notice else strings.not_covered
            await query.answer([], cache_time=cache, is_personal=personal, button=_button(said))
            return
        more = (
            await asyncio.to_thread(state.service.answer, question, 1) if first.has_more else None
        )
        results = articles(first, more, strings)
        await query.answer(results, cache_time=cache, is_personal=personal)


def articles(
    first: Answer, more: Answer | None, strings: Strings
) -> list[InlineQueryResultArticle]:
    """The answer with its first source, then each further cited sentence with its own."""
    asked = Block(strings.asked.format(question=first.question), "<i>", "</i>")
    results = [_article(first.question, first.answer, first.citations[0], asked, strings)]
    for citation in first.citations + (more.citations if more else []):
        if len(results) == ARTICLES:
            break
        if citation.text not in first.answer:  # the answer's own sentences are in the first
            results.append(_article(first.question, citation.text, citation, asked, strings))
    return results


def _article(
    question: str, text: str, citation: Citation, asked: Block, strings: Strings
) -> InlineQueryResultArticle:
    also = ", ".join(citation.also_in)
    source = f"{citation.source}:{citation.line} — {citation.title}"
    if also:
        source += f" ({strings.also_in.format(places=also)})"
    blocks = [asked, Block(text, "<b>", "</b>"), Block(source, "<i>", "</i>")]
    return InlineQueryResultArticle(
        id=hashlib.sha256(f"{question}\0{citation.n}".encode()).hexdigest()[:32],
        title=excerpt(text),
        description=source,
        # One message: an answer too long for it is cut, never split.
        input_message_content=InputTextMessageContent(pack(blocks)[0], parse_mode=ParseMode.HTML),
    )


async def refuse_inline(query: InlineQuery, refusal: str) -> None:
    """Tell someone outside the allowlists why no answers come."""
    with suppress(TelegramError):
        await query.answer([], cache_time=0, is_personal=True, button=_button(refusal))


def _button(text: str) -> InlineQueryResultsButton:
    """A button above the (empty) results; it opens a private chat with the bot."""
    return InlineQueryResultsButton(text=excerpt(text, 64), start_parameter="help")
