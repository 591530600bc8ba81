"""jieba tokenizer for mixed Chinese and English notes, keeping character offsets.

Text is folded first, keeping each character's offset: maths to what a person types
(:mod:`qabot.tokenizer.maths`: ``$\\beta_1$`` and β1 both give ``beta1``), NFKC, lower
case, and Traditional to Simplified Chinese (OpenCC ``t2s``). English and alphanumeric
terms stay whole (``deepseek-v3``, ``adamw``, ``37b``, ``qwen1.5``); a term joined by
``-``, ``_`` or ``/`` also yields its parts and the parts run together, so
``deepseek v3`` and ``DeepSeekV3`` both meet ``DeepSeek-V3``. A name run together
with its version (``SeedThinkingv1.5``, ``YOLOv5``) also yields the name and the
version, so ``SeedThinking`` meets it.
The rest goes to jieba (optionally in search mode, which adds the dictionary words
inside long words), through a copy of its cut, HMM included, that gives the same
words faster.
Stopwords and question words are dropped. With ``char_bigrams``, each run of adjacent
Chinese content words also yields its character bigrams, marked with
:data:`BIGRAM_MARK` so they never mix with words. Notes and questions go through the
same rules, but notes (``terms(text, notes=True)``) are also cut in search mode when
``index_search_mode`` is on, as Chinese search engines index: a question's word then
meets the long words holding it, and a long word asked still asks for itself.
:meth:`Tokenizer.terms`, for indexing, skips working out the offsets.

Example:
    >>> tokenizer = Tokenizer(TokenizerSettings(char_bigrams=False))
    >>> tokenizer.terms("DeepSeek-V3 的总参数量是多少?")
    ['deepseek-v3', 'deepseek', 'v3', 'deepseekv3', '总参', '数量']
    >>> tokenizer.terms("梯度檢查點是什麼？")
    ['梯度', '检查点']
    >>> tokenizer.terms("SeedThinkingv1.5 是什么")
    ['seedthinkingv1.5', 'seedthinking', 'v1.5']
    >>> Tokenizer(TokenizerSettings(char_bigrams=True)).terms("总参数量")
    ['总参', '数量', '总参²', '参数²', '数量²']
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jieba
import opencc

from qabot.config import TokenizerSettings
from qabot.tokenizer.jieba_cut import cut, search_grams
from qabot.tokenizer.maths import fold_maths, maths_text
from qabot.tokenizer.terms import (
    BIGRAM_MARK,
    CJK_RUN,
    PART,
    PART_SEPARATORS,
    VERSIONED,
    Span,
    default_stopwords,
    run_together,
)

_ASCII_TERM = re.compile(r"[a-z0-9]+(?:[._+#/-][a-z0-9]+)*(?:\+\+|#)?")
WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character; "_" alone is no word
# What jieba.cut sees: a block it segments with its dictionary, or a character alone
# (only word characters: the rest would be dropped).
_JIEBA_PIECE = re.compile(f"({jieba.re_han_default.pattern[1:-1]})|[^\\W_]")

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Token:
    """A term and the ``[start, end)`` character offsets of its source text."""

    text: str
    start: int
    end: int


class Tokenizer:
    """Turns text into BM25 terms; see the module docstring for the rules."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        settings = settings or TokenizerSettings()
        self.stopwords = default_stopwords(settings.extended_stopwords) | set(
            settings.extra_stopwords
        )
        self.char_bigrams = settings.char_bigrams
        self.search_mode = settings.search_mode
        self.index_search_mode = settings.index_search_mode
        self._t2s = opencc.OpenCC("t2s") if settings.traditional_to_simplified else None
        self._fold_char = lru_cache(maxsize=65536)(self._fold)

    def terms(self, text: str, notes: bool = False) -> list[str]:
        """The content terms of ``text``, in order, repeats kept (BM25 counts them).

        The same terms as :meth:`tokenize`, without the offsets: indexing needs only
        these. ``notes`` for the text of notes, cut in search mode if
        ``index_search_mode`` is on.
        """
        folded = self._folded(text)
        spans = self._spans(folded, search=self.search_mode or (notes and self.index_search_mode))
        terms = [term for term, _, _ in spans]
        if self.char_bigrams:
            terms += [folded[i : i + 2] + BIGRAM_MARK for i in _bigram_starts(spans)]
        return terms

    def tokenize(self, text: str, keep_stopwords: bool = False) -> list[Token]:
        """Tokens with offsets into the original ``text``."""
        folded, origin = self.fold(text)
        spans = self._spans(folded, self.search_mode, keep_stopwords)
        if self.char_bigrams:
            spans += [(folded[i : i + 2] + BIGRAM_MARK, i, i + 2) for i in _bigram_starts(spans)]
        return [Token(term, origin[start], origin[end - 1] + 1) for term, start, end in spans]

    def fold(self, text: str) -> tuple[str, list[int]]:
        """Folded text, and for each of its characters the offset it came from in ``text``."""
        typed, places = fold_maths(text)
        folded, origin = self._fold_chars(typed)
        return folded, origin if places is None else [places[index] for index in origin]

    def _fold_chars(self, text: str) -> tuple[str, list[int]]:
        folded = self._fold(text)
        if len(folded) == len(text):
            return folded, list(range(len(text)))
        # Some character folded to several (NFKC of "ﬁ", "㎏"): fold one by one to keep offsets.
        pieces = [self._fold_char(char) for char in text]
        return "".join(pieces), [index for index, piece in enumerate(pieces) for _ in piece]

    def _folded(self, text: str) -> str:
        """``fold(text)[0]``, without working out the offsets."""
        text = maths_text(text)
        folded = self._fold(text)
        return folded if len(folded) == len(text) else "".join(map(self._fold_char, text))

    def _fold(self, text: str) -> str:
        # OpenCC encodes to UTF-8, which a lone surrogate can't be; "?" keeps the length.
        text = text.encode("utf-8", "replace").decode("utf-8")
        folded = unicodedata.normalize("NFKC", text).lower()
        return self._t2s.convert(folded) if self._t2s is not None else folded

    def _spans(self, folded: str, search: bool, keep_stopwords: bool = False) -> list[Span]:
        """The words of folded text with their ``[start, end)`` in it, in order: all terms
        but the bigrams; with ``search``, also the dictionary words inside long words."""
        stopwords = self.stopwords
        spans: list[Span] = []
        position = 0
        previous: re.Match[str] | None = None
        for match in _ASCII_TERM.finditer(folded):
            start, end = match.span()
            spans += self._jieba_spans(folded, position, start, search)
            term = match.group()
            spans.append((term, start, end))
            if PART_SEPARATORS.search(term):
                spans += [
                    (part.group(), start + part.start(), start + part.end())
                    for part in PART.finditer(term)
                ]
                spans.append((run_together(term), start, end))
            elif versioned := VERSIONED.fullmatch(term):
                spans += [
                    (versioned.group(g), start + versioned.start(g), start + versioned.end(g))
                    for g in (1, 2)
                ]
            # Two words apart only by spaces also yield their run-together form, so
            # "anchor free" meets "Anchorfree" and "llama 3.1" meets "Llama3.1".
            if (
                previous is not None
                and folded[previous.end() : start].isspace()
                and previous.group() not in stopwords
                and term not in stopwords
            ):
                pair = run_together(previous.group()) + run_together(term)
                spans.append((pair, previous.start(), end))
            previous = match
            position = end
        spans += self._jieba_spans(folded, position, len(folded), search)
        if not keep_stopwords:
            spans = [span for span in spans if span[0] not in stopwords]
        return spans

    def _jieba_spans(self, text: str, start: int, end: int, search: bool) -> list[Span]:
        """The words ``jieba.tokenize`` cuts ``text[start:end]`` into, as spans of
        ``text``, keeping those with a letter, digit or CJK character."""
        dictionary = jieba.dt
        dictionary.check_initialized()
        spans: list[Span] = []
        for piece in _JIEBA_PIECE.finditer(text, start, end):
            block = piece.group(1)
            position = piece.start()
            if not block:  # a letter or digit outside its blocks, such as "한" or "①"
                spans.append((piece.group(), position, position + 1))
                continue
            found: list[Span] = []
            for word in cut(block, dictionary):
                finish = position + len(word)
                # Most words have two characters or one: nothing inside, and no call.
                if search and finish - position > 2:
                    found += search_grams(word, position, dictionary.FREQ)
                found.append((word, position, finish))
                position = finish
            # Only a block with a symbol ("c++", "--") has words with no word character.
            spans += found if block.isalnum() else [s for s in found if WORD_CHAR.search(s[0])]
        return spans


def _bigram_starts(spans: list[Span]) -> list[int]:
    """Where the character bigrams of each run of adjacent Chinese terms start.

    Words cut differently in a question and a note ("总参|数量" against "总|参数量")
    still share bigrams. Runs stop at stopwords and punctuation, so no bigram
    straddles a question word.
    """
    starts: list[int] = []
    run_start = run_end = 0
    # Sorted, as search mode puts the words inside a word before it.
    for start, end in sorted(
        [(start, end) for term, start, end in spans if CJK_RUN.fullmatch(term)]
    ):
        if start > run_end:
            starts += range(run_start, run_end - 1)
            run_start = start
        run_end = max(run_end, end)
    starts += range(run_start, run_end - 1)
    return starts
