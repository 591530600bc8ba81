"""Your own question sets: JSON Lines of questions with the note and answer they expect.

Each line is one of:

- ``{"q": ..., "note": ..., "answer": ...}``: ``note`` is a substring of the note that
  should be cited first, or its ``source:line``; ``answer`` a substring the answer
  must contain;
- ``{"q": ..., "none": true}``: a question the notes don't cover, which must abstain.

``note@1`` counts the first citation or any of its ``also_in`` places. A malformed
line is reported with its number and skipped; blank lines are ignored.

Example:
    >>> loaded = load_question_set(Path("tests/data/seed_questions.jsonl"))  # doctest: +SKIP
    >>> report = evaluate_question_set(loaded, pipeline)  # doctest: +SKIP
    >>> report.note_at_1 >= 0.9  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qabot.eval.errors import EvalInputError
from qabot.eval.latency import ask_all, latency_ms
from qabot.eval.squad import cited_first
from qabot.index import NotesIndex
from qabot.pipeline import QAPipeline
from qabot.schema import Answer


@dataclass(frozen=True, slots=True)
class QuestionItem:
    """One question; ``note`` and ``answer`` are ``None`` for a ``none`` item."""

    line: int
    q: str
    note: str | None = None
    answer: str | None = None

    @property
    def none(self) -> bool:
        return self.note is None


@dataclass(slots=True)
class LoadedQuestions:
    """The usable items of a file, and one message per skipped line."""

    items: list[QuestionItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QuestionSetReport:
    """The measures of one question-set run."""

    questions: int
    answerable: int
    none_items: int
    skipped: int
    note_at_1: float
    answer_at_1: float
    abstain_accuracy: float
    wrong_abstains: int
    p50_ms: float
    p95_ms: float

    def lines(self) -> list[str]:
        """The report as aligned text lines for the terminal."""
        return [
            f"questions        {self.questions} ({self.answerable} answerable, "
            f"{self.none_items} off-topic, {self.skipped} skipped)",
            f"note@1           {self.note_at_1:.3f}",
            f"answer@1         {self.answer_at_1:.3f}",
            f"abstain accuracy {self.abstain_accuracy:.3f} on off-topic questions"
            if self.none_items
            else "abstain accuracy n/a (no off-topic questions)",
            f"wrong abstains   {self.wrong_abstains} of {self.answerable} answerable",
            f"latency          p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms",
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_question_set(path: Path) -> LoadedQuestions:
    """Parse a JSON Lines question set; raises :class:`EvalInputError` if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalInputError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalInputError(f"cannot read {path}: {error}") from None
    loaded = LoadedQuestions()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            loaded.items.append(_item(number, json.loads(line)))
        except (json.JSONDecodeError, ValueError) as error:
            loaded.problems.append(f"{path}:{number}: {error}; line skipped")
    return loaded


def evaluate_question_set(
    loaded: LoadedQuestions, pipeline: QAPipeline
) -> tuple[QuestionSetReport, list[dict[str, Any]]]:
    """Ask every item with ``pipeline``; return the report and one record per item."""
    timed = ask_all(pipeline, (item.q for item in loaded.items))
    texts = note_texts(pipeline.index)
    records = [
        _record(item, t.answer, t.seconds, texts)
        for item, t in zip(loaded.items, timed, strict=True)
    ]
    answerable = [r for r in records if not r["none"]]
    none_items = [r for r in records if r["none"]]
    report = QuestionSetReport(
        questions=len(records),
        answerable=len(answerable),
        none_items=len(none_items),
        skipped=len(loaded.problems),
        note_at_1=_share(answerable, "note_at_1"),
        answer_at_1=_share(answerable, "answer_at_1"),
        abstain_accuracy=_share(none_items, "abstained"),
        wrong_abstains=sum(r["abstained"] for r in answerable),
        **latency_ms(timed),
    )
    return report, records


def note_texts(index: NotesIndex) -> dict[str, str]:
    """Each note's text by its ``source:line``."""
    return {str(note.location): note.text for note in index.notes}


def cites_note(answer: Answer, note: str, texts: dict[str, str]) -> bool:
    """Whether the first citation's places include ``note`` (``source:line`` or substring).

    ``texts`` is :func:`note_texts` of the index that answered.
    """
    places = cited_first(answer)
    return note in places or any(note in texts.get(place, "") for place in places)


def _item(number: int, record: object) -> QuestionItem:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question = record.get("q")
    if not isinstance(question, str) or not question.strip():
        raise ValueError('"q" must be a non-empty string')
    if record.get("none") is True:
        return QuestionItem(number, question)
    note, answer = record.get("note"), record.get("answer")
    if not isinstance(note, str) or not note or not isinstance(answer, str) or not answer:
        raise ValueError('needs "note" and "answer" strings, or "none": true')
    return QuestionItem(number, question, note, answer)


def _record(
    item: QuestionItem, answer: Answer, seconds: float, texts: dict[str, str]
) -> dict[str, Any]:
    return {
        "line": item.line,
        "q": item.q,
        "none": item.none,
        "note": item.note,
        "expected": item.answer,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "cited": cited_first(answer),
        "note_at_1": item.note is not None and cites_note(answer, item.note, texts),
        "answer_at_1": item.answer is not None and item.answer in answer.answer,
        "ms": round(seconds * 1000, 2),
    }


def _share(records: list[dict[str, Any]], key: str) -> float:
    return sum(bool(r[key]) for r in records) / len(records) if records else 0.0
