"""Ask every question of an evaluation and judge the answers: one report for every mode.

Each answer is judged on what ``qabot ask --json`` shows:

- ``note@1``: the first citation, or one of its ``also_in`` places, is the expected
  note: its ``source:line``, or a note whose text holds the expected substring;
- ``file@1``: the first citation, or one of its ``also_in`` places, is in the expected
  file: the file of that ``source:line``, or a file with a note holding the substring
  (notes are paragraphs: this is "the right file, maybe another paragraph");
- ``answer@1``: the answer holds an expected text (``scope="answer"``, question sets),
  or its best sentence, the first cited, does (``scope="first_sentence"``, SQuAD);
- ``answer@3``: one of the first three cited sentences holds one;
- a question that must abstain is right when it abstains; one that must not is a
  false abstention when it does.

The measures are given for all questions and, when the questions have a ``kind``, for
each kind.

Example:
    >>> report = evaluate(load_questions(Path("q.jsonl")), pipeline)  # doctest: +SKIP
    >>> report.overall.answer_at_1, report.kinds["english"].answer_at_1  # doctest: +SKIP
    (0.83, 0.75)
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from qabot.eval.latency import ask_all, percentile
from qabot.eval.questions import LoadedQuestions, Question
from qabot.pipeline import QAPipeline
from qabot.schema import Answer, Note

Mode = Literal["questions", "squad", "offtopic"]
Scope = Literal["answer", "first_sentence"]


@dataclass(frozen=True, slots=True)
class Measures:
    """The measures of a group of questions; shares are of the answerable ones, or of
    those that must abstain (``abstain_accuracy``)."""

    questions: int
    answerable: int
    none_items: int
    note_at_1: float
    file_at_1: float
    answer_at_1: float
    answer_at_3: float
    abstain_accuracy: float
    wrong_abstains: int
    false_abstain: float
    mean_answer_chars: float
    mean_answer_sentences: float
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, records: Sequence[Mapping[str, Any]]) -> Measures:
        answerable = [r for r in records if not r["none"]]
        none_items = [r for r in records if r["none"]]
        answered = [r for r in records if not r["abstained"]]
        milliseconds = [r["ms"] for r in records]
        wrong = sum(r["abstained"] for r in answerable)
        return cls(
            questions=len(records),
            answerable=len(answerable),
            none_items=len(none_items),
            note_at_1=_share(answerable, "note_at_1"),
            file_at_1=_share(answerable, "file_at_1"),
            answer_at_1=_share(answerable, "answer_at_1"),
            answer_at_3=_share(answerable, "answer_at_3"),
            abstain_accuracy=_share(none_items, "abstained"),
            wrong_abstains=wrong,
            false_abstain=wrong / len(answerable) if answerable else 0.0,
            mean_answer_chars=_mean([len(r["answer"]) for r in answered]),
            mean_answer_sentences=_mean([r["sentences"] for r in answered]),
            p50_ms=round(percentile(milliseconds, 50), 2),
            p95_ms=round(percentile(milliseconds, 95), 2),
        )


@dataclass(slots=True)
class EvalReport:
    """One evaluation run: its measures, per kind, and one record per question."""

    mode: Mode
    overall: Measures
    records: list[dict[str, Any]]
    kinds: dict[str, Measures] = field(default_factory=dict)
    skipped: int = 0
    index_seconds: float | None = None

    def lines(self) -> list[str]:
        """The report as aligned text lines for the terminal."""
        m = self.overall
        lines = [
            f"questions        {m.questions} ({m.answerable} answerable, "
            f"{m.none_items} must abstain, {self.skipped} skipped)"
        ]
        if m.answerable:
            lines += [
                f"note@1           {m.note_at_1:.3f}",
                f"file@1           {m.file_at_1:.3f}",
                f"answer@1         {m.answer_at_1:.3f}",
                f"answer@3         {m.answer_at_3:.3f}",
                f"false abstain    {m.false_abstain:.3f} ({m.wrong_abstains} of {m.answerable})",
                f"answer length    {m.mean_answer_chars:.1f} chars, "
                f"{m.mean_answer_sentences:.2f} sentences",
            ]
        if m.none_items:
            lines.append(f"abstain accuracy {m.abstain_accuracy:.3f} on off-topic questions")
        lines.append(f"latency          p50 {m.p50_ms:.1f} ms, p95 {m.p95_ms:.1f} ms")
        if self.index_seconds is not None:
            lines.append(f"indexing         {self.index_seconds:.1f} s")
        if self.kinds:
            lines.append("by kind")
        for kind, k in self.kinds.items():
            if k.answerable:
                lines.append(
                    f"  {kind:<14} {k.questions:>4}  note@1 {k.note_at_1:.3f}  "
                    f"file@1 {k.file_at_1:.3f}  answer@1 {k.answer_at_1:.3f}  "
                    f"abstained {k.wrong_abstains}"
                )
            else:
                lines.append(f"  {kind:<14} {k.questions:>4}  abstained {k.abstain_accuracy:.3f}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The ``--report`` JSON: ``mode``, ``summary`` (with ``kinds``) and ``records``."""
        summary: dict[str, Any] = {
            **asdict(self.overall),
            "skipped": self.skipped,
            "kinds": {kind: asdict(measures) for kind, measures in self.kinds.items()},
        }
        if self.index_seconds is not None:
            summary["index_seconds"] = self.index_seconds
        return {"mode": self.mode, "summary": summary, "records": self.records}


def evaluate(
    loaded: LoadedQuestions,
    pipeline: QAPipeline,
    mode: Mode = "questions",
    scope: Scope = "answer",
) -> EvalReport:
    """Ask every question of ``loaded`` with ``pipeline`` and judge the answers."""
    questions = loaded.questions
    timed = ask_all(pipeline, (question.q for question in questions))
    notes = _NoteTexts(pipeline.index.notes)
    records = [
        _record(question, t.answer, t.seconds, notes, scope)
        for question, t in zip(questions, timed, strict=True)
    ]
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["kind"] is not None:
            by_kind[record["kind"]].append(record)
    return EvalReport(
        mode=mode,
        overall=Measures.of(records),
        records=records,
        kinds={kind: Measures.of(group) for kind, group in by_kind.items()},
        skipped=len(loaded.problems),
    )


def cited_first(answer: Answer) -> list[str]:
    """The ``source:line`` places of the first citation, including its ``also_in``."""
    if answer.abstained or not answer.citations:
        return []
    first = answer.citations[0]
    return [f"{first.source}:{first.line}", *first.also_in]


def answer_sentences(answer: Answer) -> int:
    """How many cited sentences the answer quotes: they lead the citations, and the
    answer joins them by spaces in their note's order."""
    if answer.abstained:
        return 0
    for count in range(1, len(answer.citations) + 1):
        texts = [c.text for c in answer.citations[:count]]
        if len(" ".join(texts)) == len(answer.answer) and all(t in answer.answer for t in texts):
            return count
    return 1


class _NoteTexts:
    """The text of the note holding a ``source:line`` (the last note starting on or
    before that line), and the files holding a text. Built on first use: a question
    set of places never needs it."""

    def __init__(self, notes: Sequence[Note]) -> None:
        self._notes = notes
        self._by_source: dict[str, tuple[list[int], list[str]]] | None = None

    def at(self, place: str) -> str:
        source, _, line = place.rpartition(":")
        lines, texts = self._sources().get(source, ([], []))
        position = bisect.bisect_right(lines, int(line)) - 1 if line.isdigit() else -1
        return texts[position] if position >= 0 else ""

    def files_holding(self, expected: str) -> set[str]:
        """The files of an expected note: a ``source:line``'s, or those with a note
        holding ``expected``."""
        source, _, line = expected.rpartition(":")
        if line.isdigit() and source in self._sources():
            return {source}
        return {
            source
            for source, (_, texts) in self._sources().items()
            if any(expected in text for text in texts)
        }

    def _sources(self) -> dict[str, tuple[list[int], list[str]]]:
        if self._by_source is None:
            self._by_source = {}
            for note in sorted(self._notes, key=lambda n: (n.location.source, n.location.line)):
                lines, texts = self._by_source.setdefault(note.location.source, ([], []))
                lines.append(note.location.line)
                texts.append(note.text)
        return self._by_source


def _record(
    question: Question, answer: Answer, seconds: float, texts: _NoteTexts, scope: Scope
) -> dict[str, Any]:
    places = cited_first(answer)
    cited = [c.text for c in answer.citations[:3]] if not answer.abstained else []
    judged = cited[:1] if scope == "first_sentence" else [answer.answer]
    notes = question.notes
    return {
        "id": question.id,
        "line": question.line,
        "q": question.q,
        "kind": question.kind,
        "none": question.none,
        "note": list(notes),
        "expected": list(question.answers),
        "answer": answer.answer,
        "abstained": answer.abstained,
        "cited": places,
        "sentences": answer_sentences(answer),
        "note_at_1": any(
            note in places or any(note in texts.at(place) for place in places) for note in notes
        ),
        "file_at_1": bool(
            {place.rpartition(":")[0] for place in places}
            & {file for note in notes for file in texts.files_holding(note)}
        ),
        "answer_at_1": _holds(judged, question.answers),
        "answer_at_3": _holds(cited, question.answers),
        "ms": round(seconds * 1000, 2),
    }


def _holds(texts: list[str], expected: tuple[str, ...]) -> bool:
    return any(text in found for found in texts for text in expected)


def _share(records: list[dict[str, Any]], key: str) -> float:
    return sum(bool(r[key]) for r in records) / len(records) if records else 0.0


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0
