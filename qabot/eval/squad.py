"""SQuAD-format data (CMRC 2018, SQuAD v1.1) as a notes folder, asked in one batch.

The contexts become notes: one file per article, one paragraph per line, so each
question's gold paragraph is a ``source:line``. Every question is then asked against
that folder with one loaded index and judged:

- ``note@1``: the first citation (or one of its ``also_in``) is the gold paragraph;
- ``answer@1``: the answer's first sentence contains one of the gold answer texts;
- ``answer@3``: one of the first three cited sentences does;
- false abstentions, the mean answer length, and latency.

Example:
    >>> report, _ = evaluate_squad(Path("benchmarks/data/cmrc2018_dev.json"),
    ...                            Settings(), Path("/tmp/cmrc"))  # doctest: +SKIP
    >>> report.answer_at_1  # doctest: +SKIP
    0.8
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qabot.config import Settings
from qabot.eval.errors import EvalInputError
from qabot.eval.latency import Timed, ask_all, latency_ms
from qabot.pipeline import QAPipeline
from qabot.schema import Answer

_LINE_BREAKS = re.compile(r"[\r\n]+")


@dataclass(frozen=True, slots=True)
class SquadQuestion:
    """A question, its distinct gold answer texts, and its paragraph's ``source:line``."""

    id: str
    question: str
    answers: tuple[str, ...]
    place: str


@dataclass(frozen=True, slots=True)
class SquadReport:
    """The measures of one SQuAD run; rates are shares of all questions."""

    questions: int
    note_at_1: float
    answer_at_1: float
    answer_at_3: float
    false_abstain: float
    mean_answer_chars: float
    mean_answer_sentences: float
    p50_ms: float
    p95_ms: float
    index_seconds: float

    def lines(self) -> list[str]:
        """The report as aligned text lines for the terminal."""
        return [
            f"questions        {self.questions}",
            f"note@1           {self.note_at_1:.3f}",
            f"answer@1         {self.answer_at_1:.3f}",
            f"answer@3         {self.answer_at_3:.3f}",
            f"false abstain    {self.false_abstain:.3f}",
            f"answer length    {self.mean_answer_chars:.1f} chars, "
            f"{self.mean_answer_sentences:.2f} sentences",
            f"latency          p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms",
            f"indexing         {self.index_seconds:.1f} s",
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_articles(path: Path) -> list[dict[str, Any]]:
    """The ``data`` articles of a SQuAD-format JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalInputError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvalInputError(f"not SQuAD-format JSON: {path}: {error}") from None
    articles = _dicts(data.get("data") if isinstance(data, dict) else None)
    if not articles:
        raise EvalInputError(f"no articles under 'data' in {path}")
    return articles


def squad_questions(articles: list[dict[str, Any]]) -> list[str]:
    """Every question text, in file order (for the off-topic mode)."""
    return [
        qa["question"]
        for article in articles
        for paragraph in _dicts(article.get("paragraphs"))
        for qa in _dicts(paragraph.get("qas"))
        if isinstance(qa.get("question"), str) and qa["question"].strip()
    ]


def write_notes(articles: list[dict[str, Any]], folder: Path) -> list[SquadQuestion]:
    """Write one file per article, one paragraph per line; return the answerable questions.

    Questions without an answer text (SQuAD 2.0's unanswerable ones) are left out.
    """
    folder.mkdir(parents=True, exist_ok=True)
    questions: list[SquadQuestion] = []
    for number, article in enumerate(articles):
        source = f"{number:04d}.txt"
        lines: list[str] = []
        for paragraph in _dicts(article.get("paragraphs")):
            context = paragraph.get("context")
            context = _LINE_BREAKS.sub(" ", context).strip() if isinstance(context, str) else ""
            if not context:
                continue
            lines.append(context)
            for qa in _dicts(paragraph.get("qas")):
                answers = _answer_texts(qa.get("answers"))
                question = qa.get("question")
                if isinstance(question, str) and question.strip() and answers:
                    place = f"{source}:{len(lines)}"
                    qid = str(qa.get("id", len(questions)))
                    questions.append(SquadQuestion(qid, question, answers, place))
        if lines:
            (folder / source).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return questions


def evaluate_squad(
    path: Path, settings: Settings, folder: Path
) -> tuple[SquadReport, list[dict[str, Any]]]:
    """Write ``path``'s contexts under ``folder``, ask every question, and judge the answers.

    Returns the report and one record per question (for ``--report``).
    """
    questions = write_notes(load_articles(path), folder)
    if not questions:
        raise EvalInputError(f"no answerable questions in {path}")
    # A written-out folder is used once: caching its index would only fill the cache.
    uncached = settings.index.model_copy(update={"cache": False})
    start = time.perf_counter()
    pipeline = QAPipeline.from_settings(
        settings.model_copy(update={"notes_dir": folder, "index": uncached})
    )
    index_seconds = time.perf_counter() - start
    timed = ask_all(pipeline, (q.question for q in questions))
    records = [_record(q, t) for q, t in zip(questions, timed, strict=True)]
    count = len(records)
    answered = [r for r in records if not r["abstained"]]
    report = SquadReport(
        questions=count,
        note_at_1=sum(r["note_at_1"] for r in records) / count,
        answer_at_1=sum(r["answer_at_1"] for r in records) / count,
        answer_at_3=sum(r["answer_at_3"] for r in records) / count,
        false_abstain=(count - len(answered)) / count,
        mean_answer_chars=_mean([len(r["answer"]) for r in answered]),
        mean_answer_sentences=_mean([r["sentences"] for r in answered]),
        index_seconds=round(index_seconds, 2),
        **latency_ms(timed),
    )
    return report, records


def answer_sentences(answer: Answer) -> int:
    """How many cited sentences the answer quotes: they lead the citations, joined by spaces."""
    if answer.abstained:
        return 0
    for count in range(1, len(answer.citations) + 1):
        if " ".join(c.text for c in answer.citations[:count]) == answer.answer:
            return count
    return 1


def cited_first(answer: Answer) -> list[str]:
    """The ``source:line`` places of the first citation, including its ``also_in``."""
    if answer.abstained or not answer.citations:
        return []
    first = answer.citations[0]
    return [f"{first.source}:{first.line}", *first.also_in]


def _record(question: SquadQuestion, timed: Timed) -> dict[str, Any]:
    answer = timed.answer
    top = [c.text for c in answer.citations[:3]] if not answer.abstained else []
    return {
        "id": question.id,
        "question": question.question,
        "gold": list(question.answers),
        "place": question.place,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "cited": cited_first(answer),
        "sentences": answer_sentences(answer),
        "note_at_1": question.place in cited_first(answer),
        "answer_at_1": _contains_gold(top[:1], question.answers),
        "answer_at_3": _contains_gold(top, question.answers),
        "ms": round(timed.seconds * 1000, 2),
    }


def _contains_gold(sentences: list[str], answers: tuple[str, ...]) -> bool:
    return any(gold in sentence for sentence in sentences for gold in answers)


def _answer_texts(value: object) -> tuple[str, ...]:
    texts = (a.get("text") for a in _dicts(value))
    return tuple(dict.fromkeys(t.strip() for t in texts if isinstance(t, str) and t.strip()))


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0
