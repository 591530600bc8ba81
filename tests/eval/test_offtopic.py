from pathlib import Path

import pytest

from qabot.eval.errors import EvalInputError
from qabot.eval.offtopic import evaluate_offtopic, load_offtopic
from qabot.pipeline import QAPipeline

REPO = Path(__file__).resolve().parents[2]


def test_questions_come_from_text_lines_or_a_squad_file(tmp_path: Path) -> None:
    text = tmp_path / "q.txt"
    text.write_text("红烧肉怎么做?\n\n  秦始皇是哪一年统一六国的  \n", encoding="utf-8")
    assert load_offtopic(text) == ["红烧肉怎么做?", "秦始皇是哪一年统一六国的"]
    questions = load_offtopic(REPO / "benchmarks" / "data" / "cmrc2018_dev.json")
    assert len(questions) == 3219
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="no questions"):
        load_offtopic(empty)
    with pytest.raises(EvalInputError, match="file not found"):
        load_offtopic(tmp_path / "missing.txt")


def test_abstain_rate_and_the_questions_that_did_not(seeds_pipeline: QAPipeline) -> None:
    questions = ["红烧肉怎么做?", "2022年世界杯冠军是哪个国家?", "DeepSeek-V3 的总参数量是多少?"]
    report, answered = evaluate_offtopic(questions, seeds_pipeline)
    assert (report.questions, report.abstained) == (3, 2)
    assert report.abstain_rate == pytest.approx(2 / 3)
    assert [a["question"] for a in answered] == ["DeepSeek-V3 的总参数量是多少?"]
