"""The bot's 👍/👎 votes as a review list and a regression set (``qabot eval --feedback``).

👎 answers are listed for review: the question, what was quoted, where from, how many
said so. 👍 answers are a regression set: each question is asked again (with the
earlier question it followed up, and the same page), and the quoted sentences must
be the same as the ones people found helpful.

Example:
    >>> votes = load_votes(Path(".qabot-state/feedback.sqlite"))  # doctest: +SKIP
    >>> result, records = evaluate_feedback(votes, pipeline)  # doctest: +SKIP
    >>> result.changed  # doctest: +SKIP
    0
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabot.chat.citations import excerpt
from qabot.chat.feedback import FeedbackError, FeedbackStore, Vote
from qabot.pipeline import QAPipeline

_Key = tuple[str, str, int, str]  # question, context, page, answer


def load_votes(path: Path) -> list[Vote]:
    """Every vote in the feedback file ``path``; :class:`FeedbackError` if there is none."""
    if not path.is_file():
        raise FeedbackError(f"feedback file not found: {path}")
    return FeedbackStore(path).votes()


@dataclass
class FeedbackResult:
    """How many answers to review, and how the helpful ones fare today."""

    review: list[tuple[Vote, int]] = field(default_factory=list)  # 👎 answer, votes
    kept: int = 0
    changed: list[tuple[Vote, str]] = field(default_factory=list)  # 👍 answer, quoted now

    def lines(self) -> list[str]:
        lines = [f"👎 to review: {len(self.review)} answers"]
        for vote, count in self.review:
            where = (
                f"{vote.citations[0].source}:{vote.citations[0].line}" if vote.citations else "-"
            )
            times = f" ({count} votes)" if count > 1 else ""
            lines.append(
                f"  {vote.question} → {excerpt(vote.answer) or '(no answer)'} [{where}]{times}"
            )
        total, changed = self.kept + len(self.changed), len(self.changed)
        lines.append(
            f"👍 regression set: {total} answers, {self.kept} unchanged, {changed} changed"
        )
        for vote, now in self.changed:
            lines.append(
                f"  changed: {vote.question}: was {excerpt(vote.answer)!r}, now {excerpt(now)!r}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "review": len(self.review),
            "regression": self.kept + len(self.changed),
            "unchanged": self.kept,
            "changed": len(self.changed),
        }


def evaluate_feedback(
    votes: list[Vote], pipeline: QAPipeline
) -> tuple[FeedbackResult, list[dict[str, Any]]]:
    """The review list and the regression run, and one record per distinct answer."""
    result = FeedbackResult()
    records: list[dict[str, Any]] = []
    unhelpful = Counter(_key(v) for v in votes if not v.helpful)
    helpful = {_key(v): v for v in votes if v.helpful}
    first_of = {_key(v): v for v in reversed(votes)}
    for key, count in unhelpful.items():
        vote = first_of[key]
        result.review.append((vote, count))
        records.append({"kind": "review", "votes": count, **vote.to_dict()})
    for vote in helpful.values():
        now = pipeline.ask(vote.question, vote.page, vote.context).answer
        if now == vote.answer:
            result.kept += 1
        else:
            result.changed.append((vote, now))
        records.append(
            {"kind": "regression", "unchanged": now == vote.answer, "now": now, **vote.to_dict()}
        )
    return result, records


def _key(vote: Vote) -> _Key:
    return vote.question, vote.context, vote.page, vote.answer
