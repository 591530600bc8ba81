"""The conversation layer: questions answered in the context of the ones before.

A question *follows up* an earlier one when it replies to that one's answer, or names
no topic of its own ("为什么?", "还有呢?"), or starts with a pronoun (它, 这个, 那,
"it", "that"). The earlier question's topic then joins the retrieval at a lower weight
(see :meth:`qabot.pipeline.QAPipeline.ask`), and the reply says what it understood:
"(接上题: DeepSeek-V3)". Without an earlier question a topic-less one gets the usual
hint. Recent questions are kept per chat and person in a :class:`ChatStore`: a
pronoun or topic-less question follows that person's last one if it is at most
``follow_up_seconds`` old; a reply follows the answer it replies to while the store
keeps it.

The methods block (they run the pipeline); the bot calls them in worker threads.

Example:
    >>> talk = Conversations(service, ChatStore(None, ttl=3600), 900)  # doctest: +SKIP
    >>> talk.ask(0, 0, "DeepSeek-V3 的总参数量是多少?", "zh").answer.answer  # doctest: +SKIP
    '简介 24年12月,研究团队开发了 DeepSeek-V3,…总参数量达到 671B,…'
    >>> talk.ask(0, 0, "为什么?", "zh").understood  # doctest: +SKIP
    'DeepSeek-V3 总参数量'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qabot.chat.service import AnswerService
from qabot.chat.store import ChatStore, Turn
from qabot.schema import Answer
from qabot.tokenizer import Tokenizer, is_bigram

# A question opening with one of these leans on the one before it.
_PRONOUN_START = re.compile(
    r"\s*(?:它们|它|这个|这些|这|那个|那些|那|其|(?:it|its|that|this|they|them|those|these)\b)",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 300  # a chain of follow-ups carries at most this much earlier text
_TOPIC_WORDS = 3
_TOPIC_CHARS = 40


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer, the turn it is stored as, and the earlier topic it followed up."""

    answer: Answer
    turn: Turn
    understood: str | None  # the topic to say it followed up ("DeepSeek-V3"), if any


class Conversations:
    """Answers each person in each chat in the context of what they asked before."""

    def __init__(self, service: AnswerService, store: ChatStore, follow_up_seconds: float) -> None:
        self.service = service
        self.store = store
        self.follow_up_seconds = follow_up_seconds

    def ask(
        self,
        chat: int,
        user: int,
        question: str,
        language: str,
        *,
        replying_to: int | None = None,
        asked_message: int | None = None,
    ) -> Reply:
        """Answer ``question``; ``replying_to`` is the answer message it replies to, if any."""
        earlier = self._earlier(chat, user, question, replying_to, before=None)
        answer, context, understood = self._answer(question, earlier)
        turn = self.store.add_turn(
            chat,
            user,
            question,
            **self._kept(question, context, understood),
            answer=answer.answer,
            page=answer.page,
            language=language,
            asked_message=asked_message,
        )
        return Reply(answer, turn, understood)

    def reask(
        self,
        chat: int,
        asked_message: int,
        question: str,
        language: str,
        *,
        replying_to: int | None = None,
    ) -> tuple[Reply, list[int]] | None:
        """Answer an edited question anew: its reply, and the messages that answered it.

        ``None`` when the question was never answered (or is forgotten).
        """
        found = self.store.turn_asked_by(chat, asked_message)
        if found is None:
            return None
        turn, answered_by = found
        earlier = self._earlier(chat, turn.user, question, replying_to, before=turn.id)
        answer, context, understood = self._answer(question, earlier)
        turn = self.store.replace_turn(
            turn,
            question,
            **self._kept(question, context, understood),
            answer=answer.answer,
            page=answer.page,
            language=language,
        )
        return Reply(answer, turn, understood), answered_by

    def page(self, turn: Turn, page: int) -> Answer:
        """Page ``page`` (0 first) of the results of ``turn``'s question, in its context."""
        return self.service.answer(turn.question, page, turn.context)

    @staticmethod
    def understood(turn: Turn) -> str | None:
        """The earlier topic ``turn`` followed up (what its every page says), if any."""
        return turn.topic if turn.context and turn.carried != turn.question else None

    def follows_up(self, question: str) -> bool:
        """Whether ``question`` leans on an earlier one: no topic of its own, or a pronoun."""
        if _PRONOUN_START.match(question):
            return True
        tokenizer = self._tokenizer
        return bool(tokenizer.tokenize(question, keep_stopwords=True)) and not tokenizer.terms(
            question
        )

    @property
    def _tokenizer(self) -> Tokenizer:
        return self.service.pipeline.tokenizer

    def _earlier(
        self, chat: int, user: int, question: str, replying_to: int | None, before: int | None
    ) -> Turn | None:
        if replying_to is not None:
            replied = self.store.turn_answered_by(chat, replying_to)
            if replied is not None:
                return replied
        if self.follows_up(question):
            return self.store.last_turn(chat, user, self.follow_up_seconds, before=before)
        return None

    def _topic(self, text: str) -> str:
        """The topic words of ``text`` as written: "DeepSeek-V3 总参数量"."""
        spans: list[list[int]] = []
        for token in sorted(self._tokenizer.tokenize(text), key=lambda t: (t.start, t.end)):
            if is_bigram(token.text):
                continue
            if spans and token.start <= spans[-1][1]:  # touching or inside: one word
                spans[-1][1] = max(spans[-1][1], token.end)
            else:
                spans.append([token.start, token.end])
        words = list(dict.fromkeys(text[start:end] for start, end in spans))
        topic = " ".join(words[:_TOPIC_WORDS])
        return topic if len(topic) <= _TOPIC_CHARS else topic[: _TOPIC_CHARS - 1] + "…"

    def _understood(self, question: str, topic: str, answer: Answer) -> str | None:
        """``topic``, if the answer leans on it: the question had none, or the answer has it."""
        if not topic or (answer.abstained and answer.notice):
            return None
        if not self._tokenizer.terms(question):
            return topic
        said = " ".join([answer.answer, *(c.title for c in answer.citations)]).casefold()
        return topic if any(word.casefold() in said for word in topic.split()) else None

    def _answer(self, question: str, earlier: Turn | None) -> tuple[Answer, str, str | None]:
        """The answer in the context of ``earlier``; that context; the topic it followed up.

        A follow-up naming no topic ("还有呢?") would quote what was just quoted; it gets
        the results after those instead.
        """
        context, topic = (earlier.carried, earlier.topic) if earlier else ("", "")
        answer = self.service.answer(question, 0, context)
        if earlier is not None and earlier.answer and not self._tokenizer.terms(question):
            shown = self.service.answer(question, earlier.page, context) if earlier.page else answer
            if shown.answer == earlier.answer and shown.has_more:
                answer = self.service.answer(question, earlier.page + 1, context)
        return answer, context, self._understood(question, topic, answer)

    def _kept(self, question: str, context: str, understood: str | None) -> dict[str, str]:
        """What a turn keeps: a follow-up the earlier topic; one that moved on, its own."""
        if understood is None:
            return {"context": context, "carried": question, "topic": self._topic(question)}
        carried = f"{question} {context}"[:_CONTEXT_CHARS]
        return {"context": context, "carried": carried, "topic": understood}
