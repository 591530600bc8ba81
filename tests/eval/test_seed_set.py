"""The committed seed question set, with the thresholds it must keep."""

from pathlib import Path

import pytest

from qabot.eval.questions import load_questions
from qabot.eval.report import Measures, evaluate
from qabot.pipeline import QAPipeline

SEED_SET = Path(__file__).resolve().parents[1] / "data" / "seed_questions.jsonl"


@pytest.fixture(scope="module")
def report(seeds_pipeline: QAPipeline) -> Measures:
    loaded = load_questions(SEED_SET)
    assert not loaded.problems
    return evaluate(loaded, seeds_pipeline).overall


def test_the_set_is_as_the_issue_asks() -> None:
    items = load_questions(SEED_SET).questions
    assert len(items) >= 60
    assert sum(item.none for item in items) >= 10
    assert any(item.q.isascii() for item in items)  # some in English


def test_every_off_topic_question_abstains(report: Measures) -> None:
    assert report.none_items >= 10
    assert report.abstain_accuracy == 1.0


def test_note_at_1_meets_the_issue_target(report: Measures) -> None:
    # Issue 4 asks for 0.9; the shipped defaults measure 0.942 (docs/quality.md).
    assert report.note_at_1 >= 0.9


def test_answer_at_1_meets_the_issue_target(report: Measures) -> None:
    # Issue 4 asks for 0.85; the shipped defaults measure 0.854 (docs/quality.md).
    assert report.answer_at_1 >= 0.85
