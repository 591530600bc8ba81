"""Votes on answers in SQLite: one per person and answer, with what was judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.chat.feedback import FeedbackError, FeedbackStore, Vote
from qabot.schema import Answer, Citation


def answer(text: str) -> Answer:
    cited = Citation(1, "a.md", 3, "标题", text, 2.5, ["b.md:4"], 10, 20)
    return Answer("梯度检查点是什么？", text, False, [cited])


def test_votes_are_kept_with_what_was_judged_one_per_person(tmp_path: Path) -> None:
    path = tmp_path / "votes" / "feedback.sqlite"
    store = FeedbackStore(path)
    assert store.votes() == [] and not path.exists()  # no file until the first vote
    where = {"chat_type": "group", "chat": -5, "message": 9}
    store.record(Vote.of(answer("用计算换显存。"), True, "", user=1, time=1.0, **where))
    store.record(Vote.of(answer("用计算换显存。"), True, "", user=2, time=2.0, **where))
    store.record(Vote.of(answer("用计算换显存。"), False, "", user=2, time=3.0, **where))
    votes = FeedbackStore(path).votes()
    assert [(v.user, v.helpful) for v in votes] == [(1, True), (2, False)]
    assert votes[0].citations == answer("用计算换显存。").citations
    assert votes[0].chat_type == "group" and votes[0].question == "梯度检查点是什么？"
    rate = store.helpful_rate()
    assert (rate.helpful, rate.votes, rate.percent) == (1, 2, 50)


def test_a_file_that_is_not_a_feedback_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("梯度检查点\n" * 100, encoding="utf-8")
    with pytest.raises(FeedbackError, match="not a feedback file"):
        FeedbackStore(path).votes()
