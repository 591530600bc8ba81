import pytest

from qabot.reader.answer_type import answer_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("DeepSeek-V3 的总参数量是多少?", "number"),
        ("LLaMA 2 有幾種尺寸?", "number"),
        ("How many parameters does it have?", "number"),
        ("秦始皇是哪一年统一六国的?", "date"),
        ("Prefix-Tuning 是什麼時候發表的?", "date"),
        ("When was it released?", "date"),
        ("什么是梯度检查点?", None),
        ("Who proposed reference counting?", None),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    found = answer_type(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("question", "sentence", "matches"),
    [
        ("参数量是多少?", "总参数量达到 671B。", True),
        ("参数量是多少?", "共有三百个参数。", True),
        ("参数量是多少?", "它采用了 MoE 架构。", False),
        ("哪一年发表的?", "论文于 2021 年发表。", True),
        ("哪一年发表的?", "成化十二年七月生。", True),
        ("哪一年发表的?", "论文发表在顶会上。", False),
    ],
)
def test_sentences_that_hold_the_answer_type(question: str, sentence: str, matches: bool) -> None:
    kind = answer_type(question)
    assert kind is not None and kind.matches(sentence) is matches
