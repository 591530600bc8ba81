"""Conversation state that must outlive a restart, in one SQLite file.

Three tables: the *turns* (each question asked, per chat and person, with the earlier
topic it followed up and the language it was answered in), the *answers* (which sent
messages answer which turn, so a reply to one follows it up and an edited question
edits it), and the *pages* (what a More, Back or Sources button refers to; a button
carries only a short random key). Rows expire after ``ttl`` seconds and the oldest
go beyond ``capacity``; a page or answer goes with its turn. All methods are
thread-safe. ``path=None`` keeps everything in memory (the REPL).

Example:
    >>> store = ChatStore(None, ttl=3600)
    >>> turn = store.add_turn(-100, 7, "DeepSeek-V3 的总参数量是多少?", language="zh")
    >>> store.page(store.put_page(turn.id, page=1, owner=7)).turn.question
    'DeepSeek-V3 的总参数量是多少?'
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Bumped whenever the tables change: the state is short-lived, so an older file's
# tables are dropped and made anew rather than migrated.
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat INTEGER NOT NULL,
    user INTEGER NOT NULL,
    asked_message INTEGER,
    question TEXT NOT NULL,
    context TEXT NOT NULL,
    carried TEXT NOT NULL,
    topic TEXT NOT NULL,
    answer TEXT NOT NULL,
    page INTEGER NOT NULL,
    language TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_person ON turns (chat, user, id);
CREATE INDEX IF NOT EXISTS turns_by_question ON turns (chat, asked_message);
CREATE INDEX IF NOT EXISTS turns_by_age ON turns (created);
CREATE TABLE IF NOT EXISTS answers (
    chat INTEGER NOT NULL,
    message INTEGER NOT NULL,
    turn INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    PRIMARY KEY (chat, message)
);
CREATE INDEX IF NOT EXISTS answers_by_turn ON answers (turn);
CREATE TABLE IF NOT EXISTS pages (
    key TEXT PRIMARY KEY,
    turn INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    owner INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_by_turn ON pages (turn);
CREATE INDEX IF NOT EXISTS pages_by_age ON pages (created);
"""
_TURN_COLUMNS = "id, chat, user, question, context, carried, topic, answer, page, language, created"


@dataclass(frozen=True, slots=True)
class Turn:
    """One question asked: by whom, where, and what it followed up."""

    id: int
    chat: int
    user: int
    question: str
    context: str  # the earlier question(s) it followed up, "" if none
    carried: str  # what a follow-up of it carries: its question, and its context if it kept it
    topic: str  # what the conversation is about, as shown to people ("" if nothing)
    answer: str  # the answer's quoted sentences as first shown ("" for none)
    page: int  # the page of results first shown (a "还有呢?" moves on to the next)
    language: str
    created: float


@dataclass(frozen=True, slots=True)
class PageRef:
    """What a button refers to: a page of a turn's results, and who asked for it."""

    key: str
    turn: Turn
    page: int
    owner: int


class ChatStore:
    """Turns, the messages that answered them, and button pages; see the module docstring."""

    def __init__(
        self,
        path: Path | None,
        ttl: float,
        capacity: int = 20_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._lock = threading.Lock()
        self._db = _open(path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- turns ---------------------------------------------------------------------
    def add_turn(
        self,
        chat: int,
        user: int,
        question: str,
        *,
        context: str = "",
        carried: str = "",
        topic: str = "",
        answer: str = "",
        page: int = 0,
        language: str = "en",
        asked_message: int | None = None,
    ) -> Turn:
        """Remember a question; the oldest and expired turns go."""
        now = self.clock()
        values = (question, context, carried or question, topic, answer, page, language, now)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO turns (chat, user, asked_message, question, context, carried, topic,"
                " answer, page, language, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (chat, user, asked_message, *values),
            )
            turn_id = cursor.lastrowid or 0
            self._prune(now, turn_id)
        return Turn(turn_id, chat, user, *values)

    def replace_turn(
        self,
        turn: Turn,
        question: str,
        *,
        context: str,
        carried: str,
        topic: str,
        answer: str,
        page: int,
        language: str,
    ) -> Turn:
        """The same turn, asked anew (an edited question); its pages now refer to this."""
        now = self.clock()
        values = (question, context, carried or question, topic, answer, page, language, now)
        with self._lock, self._db:
            self._db.execute(
                "UPDATE turns SET question = ?, context = ?, carried = ?, topic = ?, answer = ?,"
                " page = ?, language = ?, created = ? WHERE id = ?",
                (*values, turn.id),
            )
        return Turn(turn.id, turn.chat, turn.user, *values)

    def last_turn(
        self, chat: int, user: int, within: float, before: int | None = None
    ) -> Turn | None:
        """This person's latest turn in this chat, if asked in the last ``within`` seconds."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE chat = ? AND user = ? AND id < ?"
                " AND created >= ? ORDER BY id DESC LIMIT 1",
                (chat, user, before or 2**62, self.clock() - min(within, self.ttl)),
            ).fetchone()
        return Turn(*row) if row else None

    def turn_answered_by(self, chat: int, message: int) -> Turn | None:
        """The turn that ``message`` (sent by the adapter) answered, if still kept."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE id ="
                " (SELECT turn FROM answers WHERE chat = ? AND message = ?) AND created >= ?",
                (chat, message, self.clock() - self.ttl),
            ).fetchone()
        return Turn(*row) if row else None

    def turn_asked_by(self, chat: int, message: int) -> tuple[Turn, list[int]] | None:
        """The turn question ``message`` asked, and the messages that answered it."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE chat = ? AND asked_message = ?"
                " AND created >= ? ORDER BY id DESC LIMIT 1",
                (chat, message, self.clock() - self.ttl),
            ).fetchone()
            if row is None:
                return None
            answers = self._db.execute(
                "SELECT message FROM answers WHERE turn = ? ORDER BY message", (row[0],)
            ).fetchall()
        return Turn(*row), [message for (message,) in answers]

    def link_answers(self, turn: Turn, messages: list[int]) -> None:
        """``messages`` (in ``turn``'s chat) are now the answer to ``turn``."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM answers WHERE turn = ?", (turn.id,))
            self._db.executemany(
                "INSERT OR REPLACE INTO answers (chat, message, turn) VALUES (?, ?, ?)",
                [(turn.chat, message, turn.id) for message in messages],
            )

    # -- pages ---------------------------------------------------------------------
    def put_page(self, turn_id: int, page: int, owner: int) -> str:
        """A new random key for page ``page`` of a turn's results, shown to ``owner``."""
        key = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
        now = self.clock()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO pages (key, turn, page, owner, created) VALUES (?, ?, ?, ?, ?)",
                (key, turn_id, page, owner, now),
            )
            self._prune(now, None)
        return key

    def page(self, key: str) -> PageRef | None:
        """What ``key`` refers to, or ``None`` if unknown, forged or expired."""
        with self._lock:
            row = self._db.execute(
                f"SELECT pages.page, pages.owner, {_prefixed('turns')} FROM pages"
                " JOIN turns ON turns.id = pages.turn WHERE key = ? AND pages.created >= ?",
                (key, self.clock() - self.ttl),
            ).fetchone()
        return PageRef(key, Turn(*row[2:]), row[0], row[1]) if row else None

    # -- upkeep --------------------------------------------------------------------
    def _prune(self, now: float, newest_turn: int | None) -> None:
        """Drop expired rows and the oldest beyond capacity (called inside a transaction)."""
        oldest = now - self.ttl
        self._db.execute("DELETE FROM turns WHERE created < ?", (oldest,))
        self._db.execute("DELETE FROM pages WHERE created < ?", (oldest,))
        if newest_turn is not None:
            self._db.execute("DELETE FROM turns WHERE id <= ?", (newest_turn - self.capacity,))
        else:
            self._db.execute(
                "DELETE FROM pages WHERE key IN (SELECT key FROM pages ORDER BY created DESC"
                " LIMIT -1 OFFSET ?)",
                (self.capacity,),
            )


def _prefixed(table: str) -> str:
    return ", ".join(f"{table}.{column.strip()}" for column in _TURN_COLUMNS.split(","))


def _open(path: Path | None) -> sqlite3.Connection:
    """The database at ``path``; in memory, with a warning, if that file can't be used."""
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return _connect(str(path))
        except (OSError, sqlite3.Error) as error:
            log.warning("cannot keep chat state in %s (%s); keeping it in memory", path, error)
    return _connect(":memory:")


def _connect(target: str) -> sqlite3.Connection:
    db = sqlite3.connect(target, check_same_thread=False)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        if target != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            db.executescript("DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS answers;")
            db.executescript("DROP TABLE IF EXISTS turns;")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
    except sqlite3.Error:
        db.close()
        raise
    return db
