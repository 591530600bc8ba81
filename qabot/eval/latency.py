"""Ask questions one after another and time each answer.

Example:
    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from qabot.pipeline import QAPipeline
from qabot.schema import Answer


@dataclass(frozen=True, slots=True)
class Timed:
    """An answer and the seconds it took."""

    answer: Answer
    seconds: float


def ask_all(pipeline: QAPipeline, questions: Iterable[str]) -> list[Timed]:
    """Answer every question with one loaded index, timing each call."""
    timed: list[Timed] = []
    for question in questions:
        start = time.perf_counter()
        answer = pipeline.ask(question)
        timed.append(Timed(answer, time.perf_counter() - start))
    return timed


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation), 0 for no values."""
    return float(np.percentile(values, q)) if values else 0.0
