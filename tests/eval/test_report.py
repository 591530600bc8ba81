import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.eval.questions import LoadedQuestions, Question
from qabot.eval.report import answer_sentences, evaluate
from qabot.pipeline import QAPipeline
from qabot.schema import Answer, Citation

Make = Callable[[dict[str, str | bytes]], Path]


def asked(*questions: Question) -> LoadedQuestions:
    return LoadedQuestions(list(questions), problems=["x.jsonl:9: bad; line skipped"])


def test_measures_note_answer_and_abstentions(small_pipeline: QAPipeline) -> None:
    q = "梯度检查点保存什么?"
    report = evaluate(
        asked(
            # Cited first in a.txt:2; the copy in copy.txt:3 is one of its also_in places.
            Question("1", q, ("部分激活值",), ("copy.txt:3",), "fact"),
            Question("2", q, ("部分激活值",), ("只保存部分激活值",), "fact"),
            Question("3", q, ("学习率",), ("学习率预热",), "definition"),
            Question("4", "红烧肉怎么做?", kind="offtopic"),
            Question("5", "AdamW 解耦了什么?", kind="offtopic"),
        ),
        small_pipeline,
    )
    records = report.records
    assert [r["note_at_1"] for r in records[:3]] == [True, True, False]
    assert [r["answer_at_1"] for r in records[:3]] == [True, True, False]
    m = report.overall
    assert (m.questions, m.answerable, m.none_items, report.skipped) == (5, 3, 2, 1)
    assert m.note_at_1 == pytest.approx(2 / 3) and m.answer_at_1 == pytest.approx(2 / 3)
    assert m.abstain_accuracy == 0.5 and m.wrong_abstains == 0
    assert m.p95_ms >= m.p50_ms > 0
    assert {kind: k.questions for kind, k in report.kinds.items()} == {
        "fact": 2,
        "definition": 1,
        "offtopic": 2,
    }
    assert report.kinds["fact"].answer_at_1 == 1.0
    assert report.kinds["definition"].answer_at_1 == 0.0
    assert report.kinds["offtopic"].abstain_accuracy == 0.5


def test_the_report_prints_and_saves_every_kind(small_pipeline: QAPipeline) -> None:
    report = evaluate(
        asked(
            Question("1", "梯度检查点保存什么?", ("部分激活值",), ("a.txt:2",), "fact"),
            Question("2", "红烧肉怎么做?", kind="offtopic"),
        ),
        small_pipeline,
    )
    lines = report.lines()
    assert "note@1           1.000" in lines and "answer@1         1.000" in lines
    assert any(line.split()[:2] == ["fact", "1"] for line in lines)
    assert any(line.split()[:2] == ["offtopic", "1"] for line in lines)
    saved = json.loads(json.dumps(report.to_dict()))
    assert saved["mode"] == "questions"
    assert saved["summary"]["kinds"]["offtopic"]["abstain_accuracy"] == 1.0
    assert [r["kind"] for r in saved["records"]] == ["fact", "offtopic"]


def test_a_note_substring_is_found_in_a_note_of_several_lines(notes_folder: Make) -> None:
    # A Markdown paragraph of three lines is one note; its third line is cited.
    folder = notes_folder(
        {"n.md": "# 预热\n\n学习率预热让学习率\n在训练开始时逐步增大。\n它避免早期发散。\n"}
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))
    question = Question("1", "早期发散怎么避免?", ("早期发散",), ("让学习率",))
    report = evaluate(asked(question), pipeline)
    assert report.records[0]["cited"] == ["n.md:5"]
    assert report.records[0]["note_at_1"]


def test_file_at_1_credits_the_right_file_when_another_paragraph_is_cited(
    notes_folder: Make,
) -> None:
    folder = notes_folder(
        {
            "warmup.md": "# 预热\n\n学习率预热在训练开始时逐步增大学习率。\n\n预热避免早期发散。\n",
            "other.md": "# 其它\n\n梯度裁剪限制梯度的范数。\n",
        }
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))
    report = evaluate(
        asked(
            # Answered from the first paragraph; the expected note is the second.
            Question("1", "学习率预热逐步增大什么?", ("学习率",), ("避免早期发散",)),
            Question("2", "学习率预热逐步增大什么?", ("学习率",), ("other.md:3",)),
        ),
        pipeline,
    )
    first, second = report.records
    assert first["cited"] == ["warmup.md:3"]
    assert not first["note_at_1"] and first["file_at_1"]
    assert not second["note_at_1"] and not second["file_at_1"]
    assert report.overall.file_at_1 == 0.5
    assert "file@1           0.500" in report.lines()


def test_the_sentences_an_answer_quotes_are_counted_in_any_order() -> None:
    def cite(n: int, text: str) -> Citation:
        return Citation(n, "a.md", n, "", text, 1.0, [], 0, len(text))

    best, before, other = cite(1, "而测试时不丢弃。"), cite(2, "训练时丢弃。"), cite(3, "别的。")
    answer = Answer("q", "训练时丢弃。 而测试时不丢弃。", False, [best, before, other])
    assert answer_sentences(answer) == 2
    assert answer_sentences(Answer("q", "而测试时不丢弃。", False, [best, before])) == 1
