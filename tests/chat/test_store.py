"""Conversation state in SQLite: bounded, expiring, and kept across a restart."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from qabot.chat.store import ChatStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_turns_pages_and_answers_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "chat.sqlite"
    store = ChatStore(path, ttl=3600)
    turn = store.add_turn(-5, 7, "梯度检查点?", language="zh", asked_message=11)
    store.link_answers(turn, [12, 13])
    key = store.put_page(turn.id, page=2, owner=7)
    store.close()

    again = ChatStore(path, ttl=3600)
    ref = again.page(key)
    assert ref is not None and (ref.turn, ref.page, ref.owner) == (turn, 2, 7)
    assert again.turn_answered_by(-5, 13) == turn
    assert again.turn_asked_by(-5, 11) == (turn, [12, 13])
    assert again.page("forged") is None


def test_everything_expires_after_the_ttl(tmp_path: Path) -> None:
    clock = Clock()
    store = ChatStore(None, ttl=60, clock=clock)
    turn = store.add_turn(1, 1, "q")
    store.link_answers(turn, [5])
    key = store.put_page(turn.id, 0, 1)
    assert store.last_turn(1, 1, within=30) == turn
    clock.now += 31
    assert store.last_turn(1, 1, within=30) is None  # too old to follow up implicitly
    assert store.turn_answered_by(1, 5) == turn  # but a reply still finds it
    clock.now += 30
    assert store.page(key) is None and store.turn_answered_by(1, 5) is None


def test_the_oldest_go_beyond_capacity() -> None:
    store = ChatStore(None, ttl=3600, capacity=3)
    turns = [store.add_turn(1, 1, f"q{n}") for n in range(5)]
    keys = [store.put_page(turn.id, 0, 1) for turn in turns[-3:]]
    store.put_page(turns[-1].id, 1, 1)
    assert store.last_turn(1, 1, within=60, before=turns[2].id) is None  # q0, q1 gone
    assert store.page(keys[0]) is None and store.page(keys[-1]) is not None


def test_an_unusable_file_keeps_the_state_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "state.sqlite"
    broken.write_bytes(b"not a database " * 100)
    caplog.set_level(logging.WARNING)
    store = ChatStore(broken, ttl=60)
    turn = store.add_turn(1, 1, "q")
    assert store.last_turn(1, 1, within=60) == turn
    assert "keeping it in memory" in caplog.text


def test_a_file_of_another_layout_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE turns (id INTEGER PRIMARY KEY, question TEXT)")
        old.execute("INSERT INTO turns (question) VALUES ('an old turn')")
    store = ChatStore(path, ttl=60)
    assert store.last_turn(1, 1, within=60) is None
    assert store.add_turn(1, 1, "q") == store.last_turn(1, 1, within=60)
