"""Off-topic sets: questions the notes don't cover, which must all abstain.

The questions come one per line from a text file, or from a SQuAD-format ``.json``
file (every question in it): the CMRC 2018 dev questions asked against ``seeds/`` are
a large set of Wikipedia trivia that ML notes don't cover.

Example:
    >>> questions = load_offtopic(Path("benchmarks/data/cmrc2018_dev.json"))  # doctest: +SKIP
    >>> report, _ = evaluate_offtopic(questions, pipeline)  # doctest: +SKIP
    >>> report.abstain_rate >= 0.95  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qabot.eval.errors import EvalInputError
from qabot.eval.latency import ask_all, latency_ms
from qabot.eval.squad import load_articles, squad_questions
from qabot.pipeline import QAPipeline


@dataclass(frozen=True, slots=True)
class OfftopicReport:
    """How many off-topic questions abstained."""

    questions: int
    abstained: int
    abstain_rate: float
    p50_ms: float
    p95_ms: float

    def lines(self) -> list[str]:
        """The report as aligned text lines for the terminal."""
        return [
            f"questions        {self.questions}",
            f"abstained        {self.abstained} ({self.abstain_rate:.3f})",
            f"latency          p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms",
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_offtopic(path: Path) -> list[str]:
    """The questions of ``path``: a SQuAD-format ``.json`` file, or text, one per line."""
    if path.suffix.lower() == ".json":
        questions = squad_questions(load_articles(path))
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise EvalInputError(f"file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise EvalInputError(f"cannot read {path}: {error}") from None
        questions = [line.strip() for line in text.splitlines() if line.strip()]
    if not questions:
        raise EvalInputError(f"no questions in {path}")
    return questions


def evaluate_offtopic(
    questions: list[str], pipeline: QAPipeline
) -> tuple[OfftopicReport, list[dict[str, Any]]]:
    """Ask every question; return the report and the ones that did not abstain."""
    timed = ask_all(pipeline, questions)
    answered = [
        {"question": q, "answer": t.answer.answer, "cited": t.answer.citations[0].source}
        for q, t in zip(questions, timed, strict=True)
        if not t.answer.abstained and t.answer.citations
    ]
    abstained = sum(t.answer.abstained for t in timed)
    report = OfftopicReport(
        questions=len(questions),
        abstained=abstained,
        abstain_rate=abstained / len(questions),
        **latency_ms(timed),
    )
    return report, answered
