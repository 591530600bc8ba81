"""SQuAD-format benchmarks (CMRC 2018, SQuAD v1.1): the contexts become the notes.

The file's contexts are written under ``folder``, one file per article and one
paragraph per line (see :mod:`qabot.eval.questions`), indexed once, and every
answerable question is asked against them. ``answer@1`` counts the answer's best
sentence (its first citation) only; the report also gives the time indexing took.

Example:
    >>> report = evaluate_squad(Path("benchmarks/data/cmrc2018_dev.json"),
    ...                         Settings(), Path("/tmp/cmrc"))  # doctest: +SKIP
    >>> report.overall.answer_at_1  # doctest: +SKIP
    0.78
"""

from __future__ import annotations

import time
from pathlib import Path

from qabot.config import Settings
from qabot.eval.questions import load_questions
from qabot.eval.report import EvalReport, evaluate
from qabot.pipeline import QAPipeline


def evaluate_squad(path: Path, settings: Settings, folder: Path) -> EvalReport:
    """Write ``path``'s contexts under ``folder``, ask every question, judge the answers."""
    loaded = load_questions(path)
    folder.mkdir(parents=True, exist_ok=True)
    for source, text in loaded.notes.items():
        (folder / source).write_text(text, encoding="utf-8")
    # A written-out folder is used once: caching its index would only fill the cache.
    uncached = settings.index.model_copy(update={"cache": False})
    start = time.perf_counter()
    pipeline = QAPipeline.from_settings(
        settings.model_copy(update={"notes_dir": folder, "index": uncached})
    )
    index_seconds = round(time.perf_counter() - start, 2)
    report = evaluate(loaded, pipeline, mode="squad", scope="first_sentence")
    report.index_seconds = index_seconds
    return report
