"""jieba tokenizer for mixed Chinese and English notes, keeping character offsets.

Text is folded first, one character at a time so offsets survive: NFKC, lower case,
and Traditional to Simplified Chinese (OpenCC ``t2s``). English and alphanumeric
terms stay whole (``deepseek-v3``, ``adamw``, ``37b``, ``qwen1.5``); a term joined by
``-``, ``_`` or ``/`` also yields its parts, so ``deepseek v3`` meets ``DeepSeek-V3``.
The rest goes to jieba. Stopwords and question words are dropped. Notes and
questions go through the same tokenizer.

Example:
    >>> tokenizer = Tokenizer()
    >>> tokenizer.terms("DeepSeek-V3 的总参数量是多少?")
    ['deepseek-v3', 'deepseek', 'v3', '总参', '数量']
    >>> tokenizer.terms("梯度檢查點是什麼？")
    ['梯度', '检查点']
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import jieba
import opencc

_ASCII_TERM = re.compile(r"[a-z0-9]+(?:[._+#/-][a-z0-9]+)*(?:\+\+|#)?")
_PART_SEPARATORS = re.compile(r"[-_/]")
_WORD_CHAR = re.compile(r"\w")

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Token:
    """A term and the ``[start, end)`` character offsets of its source text."""

    text: str
    start: int
    end: int


def default_stopwords() -> frozenset[str]:
    """The bundled Chinese and English stopword and question-word list."""
    text = files("qabot.resources").joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


class Tokenizer:
    """Turns text into BM25 terms; see the module docstring for the rules."""

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        traditional_to_simplified: bool = True,
    ) -> None:
        self.stopwords = frozenset(default_stopwords() if stopwords is None else stopwords)
        self._t2s = opencc.OpenCC("t2s") if traditional_to_simplified else None
        self._fold_char = lru_cache(maxsize=65536)(self._fold)

    def terms(self, text: str) -> list[str]:
        """The content terms of ``text``, in order, repeats kept (BM25 counts them)."""
        return [token.text for token in self.tokenize(text)]

    def tokenize(self, text: str, keep_stopwords: bool = False) -> list[Token]:
        """Tokens with offsets into the original ``text``."""
        folded, origin = self.fold(text)
        tokens: list[Token] = []
        position = 0
        for match in _ASCII_TERM.finditer(folded):
            tokens.extend(self._jieba_tokens(folded, position, match.start()))
            tokens.append(Token(match.group(), match.start(), match.end()))
            if _PART_SEPARATORS.search(match.group()):
                tokens.extend(
                    Token(part.group(), match.start() + part.start(), match.start() + part.end())
                    for part in re.finditer(r"[a-z0-9.+#]+", match.group())
                )
            position = match.end()
        tokens.extend(self._jieba_tokens(folded, position, len(folded)))
        return [
            Token(token.text, origin[token.start], origin[token.end - 1] + 1)
            for token in tokens
            if keep_stopwords or token.text not in self.stopwords
        ]

    def fold(self, text: str) -> tuple[str, list[int]]:
        """Folded text, and for each of its characters the offset it came from in ``text``."""
        folded = self._fold(text)
        if len(folded) == len(text):
            return folded, list(range(len(text)))
        # Some character folded to several (NFKC of "ﬁ", "㎏"): fold one by one to keep offsets.
        pieces: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            piece = self._fold_char(char)
            pieces.append(piece)
            origin.extend([index] * len(piece))
        return "".join(pieces), origin

    def _fold(self, text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).lower()
        return self._t2s.convert(folded) if self._t2s is not None else folded

    @staticmethod
    def _jieba_tokens(text: str, start: int, end: int) -> list[Token]:
        if start >= end:
            return []
        return [
            Token(word, start + begin, start + finish)
            for word, begin, finish in jieba.tokenize(text[start:end])
            if _WORD_CHAR.search(word) and not word.isspace()
        ]
