"""Answer-type cues: what kind of text a question asks for, and whether a sentence has it.

A question asking 多少/几/how many wants a number; 哪一年/何时/when wants a date. The
sentence that answers it must hold one, which separates it from sentences that only
repeat the question's words. Questions are matched before stopwords are dropped, in
Simplified and Traditional script.

Example:
    >>> cue = answer_type("DeepSeek-V3 的总参数量是多少?")
    >>> cue.name, cue.matches("总参数量达到 671B。"), cue.matches("采用了 MoE 架构。")
    ('number', True, False)
    >>> answer_type("什么是梯度检查点?") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerType:
    """A kind of answer: the question pattern that asks for it, the text that gives it."""

    name: str
    question: re.Pattern[str]
    answer: re.Pattern[str]

    def matches(self, sentence: str) -> bool:
        return self.answer.search(sentence) is not None


_CN_DIGITS = "零〇一二两兩三四五六七八九十百千万萬亿億"

# Dates before numbers: "哪一年" also holds "一", "几月" also holds "几".
ANSWER_TYPES = (
    AnswerType(
        "date",
        re.compile(
            r"哪一?年|何年|哪一?天|几月|幾月|几号|幾號|何时|何時|什么时[候间]|什麼時[候間]"
            r"|\bwhen\b|\bwhat year\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\d{{1,4}}\s*[年月日号號]|\b\d{{4}}\b|世纪|世紀|年代|[{_CN_DIGITS}]{{2,4}}年"),
    ),
    AnswerType(
        "number",
        re.compile(
            r"多少|几|幾|多[大长長久高重远遠深宽寬厚快]"
            r"|\bhow (?:many|much|long|old|far|big|large)\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\d|[{_CN_DIGITS}]{{2,}}|[{_CN_DIGITS}][个個种種次岁歲位名条條座项項人倍米元]"
        ),
    ),
)


def answer_type(question: str) -> AnswerType | None:
    """The first answer type the question asks for, or ``None``."""
    for kind in ANSWER_TYPES:
        if kind.question.search(question):
            return kind
    return None
