import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.eval.errors import EvalInputError
from qabot.eval.question_set import evaluate_question_set, load_question_set
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]

NOTES = (
    "AdamW 把权重衰减从梯度更新中解耦出来。它因此在大模型训练里成了默认优化器。\n"
    "梯度检查点只保存部分激活值。反向传播时重新计算其余激活值。这样用计算换显存。\n"
    "学习率预热让训练开始时学习率逐步增大。\n"
)


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(
            line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
            for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def pipeline(notes_folder: Make) -> QAPipeline:
    folder = notes_folder({"a.txt": NOTES, "copy.txt": "另一条笔记。\n" + NOTES})
    return QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))


def test_malformed_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"q": "AdamW 是什么?", "note": "a.txt:1", "answer": "AdamW"},
            "{not json",
            "",
            {"q": "红烧肉怎么做?", "none": True},
            [1, 2],
            {"q": "", "none": True},
            {"q": "梯度检查点?", "note": "梯度检查点"},
        ],
    )
    loaded = load_question_set(path)
    assert [(item.line, item.none) for item in loaded.items] == [(1, False), (4, True)]
    assert [problem.split(": ")[0] for problem in loaded.problems] == [
        f"{path}:2",
        f"{path}:5",
        f"{path}:6",
        f"{path}:7",
    ]
    assert all(problem.endswith("line skipped") for problem in loaded.problems)


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvalInputError, match="file not found"):
        load_question_set(tmp_path / "missing.jsonl")


def test_measures_note_answer_and_abstentions(tmp_path: Path, pipeline: QAPipeline) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            # Cited first in a.txt:2; the copy in copy.txt:3 is one of its also_in places.
            {"q": "梯度检查点保存什么?", "note": "copy.txt:3", "answer": "部分激活值"},
            {"q": "梯度检查点保存什么?", "note": "只保存部分激活值", "answer": "部分激活值"},
            {"q": "梯度检查点保存什么?", "note": "学习率预热", "answer": "学习率"},
            {"q": "红烧肉怎么做?", "none": True},
            {"q": "AdamW 解耦了什么?", "none": True},
        ],
    )
    report, records = evaluate_question_set(load_question_set(path), pipeline)
    assert [r["note_at_1"] for r in records[:3]] == [True, True, False]
    assert [r["answer_at_1"] for r in records[:3]] == [True, True, False]
    assert (report.questions, report.answerable, report.none_items) == (5, 3, 2)
    assert report.note_at_1 == pytest.approx(2 / 3)
    assert report.answer_at_1 == pytest.approx(2 / 3)
    assert report.abstain_accuracy == 0.5
    assert report.wrong_abstains == 0
    assert report.p95_ms >= report.p50_ms > 0
