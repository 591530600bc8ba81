"""👍/👎 votes on answers, kept in a local SQLite file for review and regression tests.

Each vote keeps what was judged: the question, the earlier question it followed up,
the page, the answer's quoted sentences and its citations, the chat type and the
time. A person's second vote on the same answer replaces the first. The file is
created at the first vote; ``qabot eval --feedback FILE`` reads it.

Example:
    >>> votes = FeedbackStore(Path("feedback.sqlite"))  # doctest: +SKIP
    >>> votes.record(vote)  # doctest: +SKIP
    >>> votes.helpful_rate()  # doctest: +SKIP
    HelpfulRate(helpful=3, votes=4)
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabot.schema import Answer, Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    chat INTEGER NOT NULL,
    message INTEGER NOT NULL,
    user INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    question TEXT NOT NULL,
    context TEXT NOT NULL,
    page INTEGER NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (chat, message, user)
);
"""
_COLUMNS = (
    "chat, message, user, helpful, question, context, page, answer, citations, chat_type, time"
)
_SLOTS = ", ".join("?" * len(_COLUMNS.split(",")))


class FeedbackError(Exception):
    """The file is not a feedback file, or can't be read."""


@dataclass(frozen=True, slots=True)
class Vote:
    """One person's verdict on one shown answer."""

    helpful: bool
    question: str
    context: str  # the earlier question it followed up, "" if none
    page: int
    answer: str
    citations: list[Citation]
    chat_type: str
    chat: int = 0
    message: int = 0
    user: int = 0
    time: float = field(default_factory=time.time)

    @classmethod
    def of(cls, answer: Answer, helpful: bool, context: str, **where: Any) -> Vote:
        """A vote on ``answer`` (``where``: chat_type, chat, message, user)."""
        return cls(
            helpful, answer.question, context, answer.page, answer.answer, answer.citations, **where
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "helpful": self.helpful,
            "question": self.question,
            "context": self.context,
            "page": self.page,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "chat_type": self.chat_type,
            "time": self.time,
        }


@dataclass(frozen=True, slots=True)
class HelpfulRate:
    helpful: int
    votes: int

    @property
    def percent(self) -> int:
        return round(100 * self.helpful / self.votes) if self.votes else 0


class FeedbackStore:
    """The votes in one SQLite file; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._ready = False  # the table exists

    def record(self, vote: Vote) -> None:
        """Save ``vote``, replacing the same person's earlier vote on the same message."""
        citations = json.dumps([c.to_dict() for c in vote.citations], ensure_ascii=False)
        row = (
            vote.chat,
            vote.message,
            vote.user,
            int(vote.helpful),
            vote.question,
            vote.context,
            vote.page,
            vote.answer,
            citations,
            vote.chat_type,
            vote.time,
        )
        with self._lock:
            db = self._open(create=True)
            assert db is not None
            try:
                with db:
                    db.execute(f"INSERT OR REPLACE INTO votes ({_COLUMNS}) VALUES ({_SLOTS})", row)
            except sqlite3.Error as error:
                raise FeedbackError(f"cannot save a vote in {self.path}: {error}") from None

    def votes(self) -> list[Vote]:
        """Every vote, oldest first; none if there is no file yet."""
        with self._lock:
            db = self._open(create=False)
            if db is None:
                return []
            try:
                rows = db.execute(f"SELECT {_COLUMNS} FROM votes ORDER BY time").fetchall()
            except sqlite3.Error as error:
                raise FeedbackError(f"{self.path} is not a feedback file: {error}") from None
        return [_vote(row) for row in rows]

    def helpful_rate(self) -> HelpfulRate:
        """How many votes said helpful, of how many."""
        votes = self.votes()
        return HelpfulRate(sum(vote.helpful for vote in votes), len(votes))

    def _open(self, create: bool) -> sqlite3.Connection | None:
        """The connection; ``None`` if there is no file and ``create`` is false."""
        try:
            if self._db is None:
                if not create and not self.path.is_file():
                    return None
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, check_same_thread=False)
            if create and not self._ready:
                self._db.executescript(_SCHEMA)
                self._ready = True
        except (OSError, sqlite3.Error) as error:
            raise FeedbackError(f"cannot use {self.path} for feedback: {error}") from None
        return self._db


def _vote(row: tuple[Any, ...]) -> Vote:
    chat, message, user, helpful, question, context, page, answer, citations, chat_type, at = row
    return Vote(
        helpful=bool(helpful),
        question=question,
        context=context,
        page=page,
        answer=answer,
        citations=[Citation(**c) for c in json.loads(citations)],
        chat_type=chat_type,
        chat=chat,
        message=message,
        user=user,
        time=at,
    )
