import json
from pathlib import Path

import pytest

from qabot.eval.errors import EvalInputError
from qabot.eval.questions import Question, load_questions

REPO = Path(__file__).resolve().parents[2]
CMRC = REPO / "benchmarks" / "data" / "cmrc2018_dev.json"


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


def squad(*articles: list[dict]) -> dict:
    return {"version": "test", "data": [{"paragraphs": paragraphs} for paragraphs in articles]}


def paragraph(context: str, *qas: tuple[str, list[str]]) -> dict:
    return {
        "context": context,
        "qas": [
            {"id": f"q{n}", "question": q, "answers": [{"text": a} for a in answers]}
            for n, (q, answers) in enumerate(qas)
        ],
    }


def test_a_question_set_keeps_its_kinds_and_reports_malformed_lines(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"q": "AdamW 是什么?", "note": "a.txt:1", "answer": "AdamW", "kind": "definition"},
            "{not json",
            "",
            {"q": "红烧肉怎么做?", "none": True, "kind": "offtopic"},
            [1, 2],
            {"q": "", "none": True},
            {"q": "梯度检查点?", "note": "梯度检查点"},
            {"q": "AdamW?", "none": True, "kind": 3},
            {"q": "AdamW?", "note": ["a.txt:1", "a.txt:2"], "answer": ["AdamW", "亚当"]},
            {"q": "AdamW?", "note": ["a.txt:1", ""], "answer": "AdamW"},
        ],
    )
    loaded = load_questions(path)
    assert loaded.questions == [
        Question("1", "AdamW 是什么?", ("AdamW",), ("a.txt:1",), "definition", 1),
        Question("4", "红烧肉怎么做?", kind="offtopic", line=4),
        Question("9", "AdamW?", ("AdamW", "亚当"), ("a.txt:1", "a.txt:2"), line=9),
    ]
    assert [problem.split(": ")[0] for problem in loaded.problems] == [
        f"{path}:{n}" for n in (2, 5, 6, 7, 8, 10)
    ]
    assert all(problem.endswith("line skipped") for problem in loaded.problems)


def test_squad_contexts_become_one_file_per_article_one_paragraph_per_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    data = squad(
        [
            paragraph(
                "AdamW 把权重衰减从梯度更新中解耦出来。\n它在 2017 年由 Loshchilov 提出。",
                ("AdamW 是哪一年提出的?", ["2017 年", " 2017 "]),
                ("没有答案的问题?", []),
            ),
            paragraph("梯度检查点只保存部分激活值。反向传播时重新计算其余激活值。"),
        ],
        [paragraph("学习率预热让学习率逐步增大。", ("学习率怎样变化?", ["逐步增大"]))],
    )
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    loaded = load_questions(path)
    assert loaded.notes == {
        "0000.txt": "AdamW 把权重衰减从梯度更新中解耦出来。 它在 2017 年由 Loshchilov 提出。\n"
        "梯度检查点只保存部分激活值。反向传播时重新计算其余激活值。\n",
        "0001.txt": "学习率预热让学习率逐步增大。\n",
    }
    # The unanswerable question is left out; answers are stripped and distinct.
    assert [(q.q, q.answers, q.notes) for q in loaded.questions] == [
        ("AdamW 是哪一年提出的?", ("2017 年", "2017"), ("0000.txt:1",)),
        ("学习率怎样变化?", ("逐步增大",), ("0001.txt:1",)),
    ]
    # As off-topic questions, every question counts, and none has answers.
    questions = load_questions(path, must_abstain=True).questions
    assert [(q.q, q.none) for q in questions] == [
        ("AdamW 是哪一年提出的?", True),
        ("没有答案的问题?", True),
        ("学习率怎样变化?", True),
    ]


def test_off_topic_questions_come_from_text_lines_or_cmrc(tmp_path: Path) -> None:
    text = tmp_path / "q.txt"
    text.write_text("红烧肉怎么做?\n\n  秦始皇是哪一年统一六国的  \n", encoding="utf-8")
    questions = load_questions(text, must_abstain=True).questions
    assert [(q.q, q.line, q.none) for q in questions] == [
        ("红烧肉怎么做?", 1, True),
        ("秦始皇是哪一年统一六国的", 3, True),
    ]
    assert len(load_questions(CMRC, must_abstain=True).questions) == 3219


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "not json", "not SQuAD-format JSON"),
        ("empty.json", '{"data": []}', "no articles"),
        ("list.json", "[1]", "no articles"),
        ("blank.txt", "\n \n", "no usable questions"),
        ("broken.jsonl", "{broken\n", "no usable questions"),
        ("latin1.txt", b"caf\xe9", "cannot read"),
    ],
)
def test_unusable_files_are_one_clear_error(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalInputError, match=message):
        load_questions(path)


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    for name in ("missing.jsonl", "missing.json", "missing.txt"):
        with pytest.raises(EvalInputError, match="file not found"):
            load_questions(tmp_path / name)
