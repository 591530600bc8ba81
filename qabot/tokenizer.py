"""jieba tokenizer for mixed Chinese and English notes, keeping character offsets.

Text is folded first, one character at a time so offsets survive: NFKC, lower case,
and Traditional to Simplified Chinese (OpenCC ``t2s``). English and alphanumeric
terms stay whole (``deepseek-v3``, ``adamw``, ``37b``, ``qwen1.5``); a term joined by
``-``, ``_`` or ``/`` also yields its parts and the parts run together, so
``deepseek v3`` and ``DeepSeekV3`` both meet ``DeepSeek-V3``. A name run together
with its version (``SeedThinkingv1.5``, ``YOLOv5``) also yields the name and the
version, so ``SeedThinking`` meets it.
The rest goes to jieba (optionally in search mode, which adds the words inside long
words). Stopwords and question words are dropped. With ``char_bigrams``, each run of
adjacent Chinese content words also yields its character bigrams, marked with
:data:`BIGRAM_MARK` so they never mix with words. Notes and questions go through the
same tokenizer.

Example:
    >>> tokenizer = Tokenizer()
    >>> tokenizer.terms("DeepSeek-V3 的总参数量是多少?")
    ['deepseek-v3', 'deepseek', 'v3', 'deepseekv3', '总参', '数量']
    >>> tokenizer.terms("梯度檢查點是什麼？")
    ['梯度', '检查点']
    >>> tokenizer.terms("SeedThinkingv1.5 是什么")
    ['seedthinkingv1.5', 'seedthinking', 'v1.5']
    >>> Tokenizer(char_bigrams=True).terms("总参数量")
    ['总参', '数量', '总参²', '参数²', '数量²']
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
_PART = re.compile(r"[a-z0-9.+#]+")
# A name of three or more letters with a version glued on: seedthinkingv1.5, yolov5.
_VERSIONED = re.compile(r"([a-z]{3,})(v\d+(?:\.\d+)*)")
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character; "_" alone is no word
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

BIGRAM_MARK = "²"
"""Ends every bigram term. NFKC folds "²" to "2", so no word of folded text has it."""

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Token:
    """A term and the ``[start, end)`` character offsets of its source text."""

    text: str
    start: int
    end: int


def default_stopwords(extended: bool = True) -> frozenset[str]:
    """The bundled Chinese and English stopword and question-word list.

    ``extended`` adds ``stopwords_extended.txt``: light verbs, adverbs and phrasing
    such as 里, 一般, 用, 叫, 哪篇, "does", "use", "between".
    """
    names = ["stopwords.txt", "stopwords_extended.txt"] if extended else ["stopwords.txt"]
    resources = files("qabot.resources")
    return frozenset(
        word
        for name in names
        for line in resources.joinpath(name).read_text(encoding="utf-8").splitlines()
        if (word := line.strip()) and not word.startswith("#")
    )


class Tokenizer:
    """Turns text into BM25 terms; see the module docstring for the rules."""

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        traditional_to_simplified: bool = True,
        char_bigrams: bool = False,
        search_mode: bool = False,
    ) -> None:
        self.stopwords = frozenset(default_stopwords() if stopwords is None else stopwords)
        self.char_bigrams = char_bigrams
        self._jieba_mode = "search" if search_mode else "default"
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
        previous: re.Match[str] | None = None
        for match in _ASCII_TERM.finditer(folded):
            tokens.extend(self._jieba_tokens(folded, position, match.start()))
            term = match.group()
            tokens.append(Token(term, match.start(), match.end()))
            if _PART_SEPARATORS.search(term):
                tokens.extend(
                    Token(part.group(), match.start() + part.start(), match.start() + part.end())
                    for part in _PART.finditer(term)
                )
                tokens.append(Token(_run_together(term), match.start(), match.end()))
            elif versioned := _VERSIONED.fullmatch(term):
                tokens.extend(
                    Token(
                        versioned.group(g),
                        match.start() + versioned.start(g),
                        match.start() + versioned.end(g),
                    )
                    for g in (1, 2)
                )
            # Two words apart only by spaces also yield their run-together form, so
            # "anchor free" meets "Anchorfree" and "llama 3.1" meets "Llama3.1".
            if (
                previous is not None
                and folded[previous.end() : match.start()].isspace()
                and not {previous.group(), term} & self.stopwords
            ):
                pair = _run_together(previous.group()) + _run_together(term)
                tokens.append(Token(pair, previous.start(), match.end()))
            previous = match
            position = match.end()
        tokens.extend(self._jieba_tokens(folded, position, len(folded)))
        kept = [t for t in tokens if keep_stopwords or t.text not in self.stopwords]
        if self.char_bigrams:
            kept.extend(_bigrams(folded, kept))
        return [Token(t.text, origin[t.start], origin[t.end - 1] + 1) for t in kept]

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
        # OpenCC encodes to UTF-8, which a lone surrogate can't be; "?" keeps the length.
        text = text.encode("utf-8", "replace").decode("utf-8")
        folded = unicodedata.normalize("NFKC", text).lower()
        return self._t2s.convert(folded) if self._t2s is not None else folded

    def _jieba_tokens(self, text: str, start: int, end: int) -> list[Token]:
        if start >= end:
            return []
        return [
            Token(word, start + begin, start + finish)
            for word, begin, finish in jieba.tokenize(text[start:end], mode=self._jieba_mode)
            if _WORD_CHAR.search(word) and not word.isspace()
        ]


def split_joined(term: str) -> list[str]:
    """The parts of a term joined by ``-``, ``_`` or ``/``; ``[]`` for any other term.

    The tokenizer yields a joined term whole, its parts, and the parts run together
    (``seed-thinking`` → ``seedthinking``), so notes that drop the hyphens still match.
    """
    return _PART.findall(term) if _PART_SEPARATORS.search(term) else []


def split_version(term: str) -> list[str]:
    """A name run together with its version, as ``[name, version]``; ``[]`` otherwise.

    >>> split_version("seedthinkingv1.5")
    ['seedthinking', 'v1.5']
    """
    versioned = _VERSIONED.fullmatch(term)
    return [versioned.group(1), versioned.group(2)] if versioned else []


def _run_together(term: str) -> str:
    return "".join(split_joined(term)) or term


def is_bigram(term: str) -> bool:
    """Whether ``term`` is a character bigram rather than a word."""
    return term.endswith(BIGRAM_MARK)


def _bigrams(text: str, tokens: list[Token]) -> list[Token]:
    """Character bigrams of each run of adjacent Chinese content tokens.

    Words cut differently in a question and a note ("总参|数量" against "总|参数量")
    still share bigrams. Runs stop at stopwords and punctuation, so no bigram
    straddles a question word.
    """
    covered = bytearray(len(text))
    for token in tokens:
        if _CJK.fullmatch(token.text):
            covered[token.start : token.end] = b"\x01" * (token.end - token.start)
    return [
        Token(text[i : i + 2] + BIGRAM_MARK, i, i + 2)
        for i in range(len(text) - 1)
        if covered[i] and covered[i + 1]
    ]
