"""Answer-type cues: what kind of text a question asks for, and whether a sentence has it.

A question asking 多少/几/how many wants a number; 哪一年/何时/when wants a date;
哪本书/which book wants a title in 《》;
为什么/why wants a reason (因为, 由于, 为了, 使得); 什么是/what is wants a definition (是指,
是一种, 称为). The sentence that answers it holds one, which separates it from
sentences that only repeat the question's words. Questions are matched before
stopwords are dropped, in Simplified and Traditional script.

Example:
    >>> cue = answer_type("DeepSeek-V3 的总参数量是多少?")
    >>> cue.name, cue.matches("总参数量达到 671B。"), cue.matches("采用了 MoE 架构。")
    ('number', True, False)
    >>> cue = answer_type("什么是梯度检查点?")
    >>> cue.name, cue.matches("梯度检查点是一种用计算换显存的方法。")
    ('definition', True)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerType:
    """A kind of answer: the question pattern that asks for it, the text that gives it."""

    name: str
    question: re.Pattern[str]
    answer: re.Pattern[str]
    # What to look past in a sentence first (a formula's subscripts for numbers).
    ignore: re.Pattern[str] | None = None
    # The answer must follow a word of the question ("X 是指…" defines X), not stand
    # anywhere in the sentence.
    after_subject: bool = False

    def matches(
        self, sentence: str, subject: Iterable[str] = (), opening: int | None = None
    ) -> bool:
        """Whether ``sentence`` gives this kind of answer; for an ``after_subject`` kind,
        right after one of the question's words ``subject`` (folded, as terms are),
        which with ``opening`` must start within the sentence's first ``opening``
        characters: the sentence is about that word ("量化是…", "在优化中，鞍点是指…")."""
        if self.ignore is not None:
            sentence = self.ignore.sub(" ", sentence)
        if not self.after_subject:
            return self.answer.search(sentence) is not None
        folded = unicodedata.normalize("NFKC", sentence).lower()
        for word in subject:
            start = folded.find(word)
            while start >= 0 and (opening is None or start < opening):
                if self.answer.match(folded, start + len(word)) or (
                    opening is None and _NAMES.search(folded, max(0, start - _NAMED_WITHIN), start)
                ):
                    return True
                start = folded.find(word, start + 1)
        return False


# "…被称为“bubble”（气泡）" names the word it ends with: a definition too.
_NAMES = re.compile(r"(?:称为|称作|叫做|简称|又称|也叫|又叫|\bcalled\b|\bknown as\b)")
_NAMED_WITHIN = 16

_CN_DIGITS = "零〇一二两兩三四五六七八九十百千万萬亿億"
_DIGIT = r"\d"

# Dates before numbers: "哪一年" also holds "一", "几月" also holds "几"; both before
# definitions: "是什么时候" also holds "是什么".
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
        # Not a digit inside a name (FP32, A100); not 一个 or 一种, mostly the article "a".
        re.compile(
            rf"(?<![A-Za-z0-9]){_DIGIT}|[{_CN_DIGITS}]{{2,}}"
            rf"|(?<![{_CN_DIGITS}])(?!一)[{_CN_DIGITS}][个個种種次岁歲位名条條座项項人倍米元]"
        ),
        # A digit of a name (GPT2, β1) or of a formula's subscript (m_{t-1}) is no number.
        re.compile(r"[_^](?:\{[^{}]*\}|\w)"),
    ),
    AnswerType(
        "work",
        re.compile(
            r"哪一?[本部篇]|什么书|什麼書|书名|書名|\b(?:which|what) (?:book|paper)\b",
            re.IGNORECASE,
        ),
        re.compile(r"《[^》]+》"),
    ),
    AnswerType(
        "reason",
        re.compile(r"为什么|為什麼|为何|為何|原因|\bwhy\b", re.IGNORECASE),
        re.compile(
            r"因为|因為|由于|由於|原因|为了|為了|是为|使得|导致|導致|以便|从而|從而|在于|在於"
            r"|\bbecause\b|\bdue to\b|\bso that\b|\bin order to\b",
            re.IGNORECASE,
        ),
    ),
    AnswerType(
        "definition",
        re.compile(
            r"什么是|什麼是|是什么|是什麼|是啥|什么叫|什麼叫|何为|何謂|指什么|指什麼|什么意思|什麼意思"
            r"|\bwhat (?:is|are)\b|\bwhat does .+ mean\b|\bdefine\b",
            re.IGNORECASE,
        ),
        # Right after the word defined, past closing maths or code marks, a gloss in
        # brackets and a comma. A 是 whose clause ends in 的 says how, when or where
        # ("权重衰减是直接加到梯度上的"), not what the word is.
        re.compile(
            r"[$`*”\"]*\s*(?:[（(][^（）()]{0,80}[）)])?\s*[,，:：]?\s*"
            r"(?:是指|指的是|是(?![^，。；！？,;!?]*的\s*(?:[，。；！？,;!?]|$))|指|即|就是|也叫|又叫"
            r"|又称|称为|被称为|叫做|意思是|定义为"
            r"|\bis\b|\bare\b|\brefers to\b|\bmeans\b)",
            re.IGNORECASE,
        ),
        after_subject=True,
    ),
)


DEFINITION = next(kind for kind in ANSWER_TYPES if kind.name == "definition")


def answer_type(question: str) -> AnswerType | None:
    """The first answer type the question asks for, or ``None``."""
    for kind in ANSWER_TYPES:
        if kind.question.search(question):
            return kind
    return None
