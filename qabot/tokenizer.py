"""jieba tokenizer for mixed Chinese and English notes, keeping character offsets.

Text is folded first, one character at a time so offsets survive: NFKC, lower case,
and Traditional to Simplified Chinese (OpenCC ``t2s``). English and alphanumeric
terms stay whole (``deepseek-v3``, ``adamw``, ``37b``, ``qwen1.5``); a term joined by
``-``, ``_`` or ``/`` also yields its parts and the parts run together, so
``deepseek v3`` and ``DeepSeekV3`` both meet ``DeepSeek-V3``. A name run together
with its version (``SeedThinkingv1.5``, ``YOLOv5``) also yields the name and the
version, so ``SeedThinking`` meets it.
The rest goes to jieba (optionally in search mode, which adds the words inside long
words), through a copy of its cut, HMM included, that gives the same words faster.
Stopwords and question words are dropped. With ``char_bigrams``, each run of adjacent
Chinese content words also yields its character bigrams, marked with
:data:`BIGRAM_MARK` so they never mix with words. Notes and questions go through the same tokenizer;
:meth:`Tokenizer.terms`, for indexing, skips working out the offsets.

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
from math import log

import jieba
import opencc
from jieba import finalseg

_ASCII_TERM = re.compile(r"[a-z0-9]+(?:[._+#/-][a-z0-9]+)*(?:\+\+|#)?")
_PART_SEPARATORS = re.compile(r"[-_/]")
_PART = re.compile(r"[a-z0-9.+#]+")
# A name of three or more letters with a version glued on: seedthinkingv1.5, yolov5.
_VERSIONED = re.compile(r"([a-z]{3,})(v\d+(?:\.\d+)*)")
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character; "_" alone is no word
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# What jieba.cut sees: a block it segments with its dictionary, or a character alone
# (only word characters: the rest would be dropped).
_JIEBA_PIECE = re.compile(f"({jieba.re_han_default.pattern[1:-1]})|[^\\W_]")

BIGRAM_MARK = "²"
"""Ends every bigram term. NFKC folds "²" to "2", so no word of folded text has it."""

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Token:
    """A term and the ``[start, end)`` character offsets of its source text."""

    text: str
    start: int
    end: int


Span = tuple[str, int, int]
"""A term and its ``[start, end)`` in the folded text."""


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
        self.search_mode = search_mode
        self._t2s = opencc.OpenCC("t2s") if traditional_to_simplified else None
        self._fold_char = lru_cache(maxsize=65536)(self._fold)

    def terms(self, text: str) -> list[str]:
        """The content terms of ``text``, in order, repeats kept (BM25 counts them).

        The same terms as :meth:`tokenize`, without the offsets: indexing needs only these.
        """
        folded = self._folded(text)
        spans = self._spans(folded)
        terms = [term for term, _, _ in spans]
        if self.char_bigrams:
            terms += [folded[i : i + 2] + BIGRAM_MARK for i in _bigram_starts(spans)]
        return terms

    def tokenize(self, text: str, keep_stopwords: bool = False) -> list[Token]:
        """Tokens with offsets into the original ``text``."""
        folded, origin = self.fold(text)
        spans = self._spans(folded, keep_stopwords)
        if self.char_bigrams:
            spans += [(folded[i : i + 2] + BIGRAM_MARK, i, i + 2) for i in _bigram_starts(spans)]
        return [Token(term, origin[start], origin[end - 1] + 1) for term, start, end in spans]

    def fold(self, text: str) -> tuple[str, list[int]]:
        """Folded text, and for each of its characters the offset it came from in ``text``."""
        folded = self._fold(text)
        if len(folded) == len(text):
            return folded, list(range(len(text)))
        # Some character folded to several (NFKC of "ﬁ", "㎏"): fold one by one to keep offsets.
        pieces = [self._fold_char(char) for char in text]
        return "".join(pieces), [index for index, piece in enumerate(pieces) for _ in piece]

    def _folded(self, text: str) -> str:
        """``fold(text)[0]``, without working out the offsets."""
        folded = self._fold(text)
        return folded if len(folded) == len(text) else "".join(map(self._fold_char, text))

    def _fold(self, text: str) -> str:
        # OpenCC encodes to UTF-8, which a lone surrogate can't be; "?" keeps the length.
        text = text.encode("utf-8", "replace").decode("utf-8")
        folded = unicodedata.normalize("NFKC", text).lower()
        return self._t2s.convert(folded) if self._t2s is not None else folded

    def _spans(self, folded: str, keep_stopwords: bool = False) -> list[Span]:
        """The words of folded text with their ``[start, end)`` in it, in order: all terms
        but the bigrams."""
        stopwords = self.stopwords
        spans: list[Span] = []
        position = 0
        previous: re.Match[str] | None = None
        for match in _ASCII_TERM.finditer(folded):
            start, end = match.span()
            spans += self._jieba_spans(folded, position, start)
            term = match.group()
            spans.append((term, start, end))
            if _PART_SEPARATORS.search(term):
                spans += [
                    (part.group(), start + part.start(), start + part.end())
                    for part in _PART.finditer(term)
                ]
                spans.append((_run_together(term), start, end))
            elif versioned := _VERSIONED.fullmatch(term):
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
                pair = _run_together(previous.group()) + _run_together(term)
                spans.append((pair, previous.start(), end))
            previous = match
            position = end
        spans += self._jieba_spans(folded, position, len(folded))
        if not keep_stopwords:
            spans = [span for span in spans if span[0] not in stopwords]
        return spans

    def _jieba_spans(self, text: str, start: int, end: int) -> list[Span]:
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
            for word in _cut(block, dictionary):
                finish = position + len(word)
                if self.search_mode:
                    found += _search_grams(word, position, dictionary.FREQ)
                found.append((word, position, finish))
                position = finish
            # Only a block with a symbol ("c++", "--") has words with no word character.
            spans += found if block.isalnum() else [s for s in found if _WORD_CHAR.search(s[0])]
        return spans


def _cut(block: str, dictionary: jieba.Tokenizer) -> list[str]:
    """The words ``dictionary.cut`` (HMM on) cuts a block of Chinese and alphanumerics into.

    jieba's ``get_DAG``, ``calc`` and ``__cut_DAG`` in one pass, with the same
    arithmetic in the same order, so the same route and the same words, but faster.
    """
    frequencies = dictionary.FREQ
    frequency = frequencies.get
    log_total = log(dictionary.total)
    size = len(block)
    # From each character: the best route's log probability, and where its first word
    # ends. Ties go to the longer word, as with jieba's max() of (score, end) pairs.
    score = [0.0] * (size + 1)
    until = [0] * size
    for k in range(size - 1, -1, -1):
        best, end = 0.0, 0
        j = k + 1
        while j <= size and (count := frequency(block[k:j])) is not None:
            if count:
                value = log(count) - log_total + score[j]
                if not end or value >= best:
                    best, end = value, j
            j += 1
        if not end:  # no word starts here: the character alone, counted once (log 1 = 0)
            best, end = -log_total + score[k + 1], k + 1
        score[k], until[k] = best, end
    # Characters the route leaves single run together, for the HMM to cut unless the
    # run is itself a word.
    words: list[str] = []
    single = position = 0
    while position < size:
        end = until[position]
        if end - position > 1:
            if position - single == 1:  # a character alone, as most are: no HMM
                words.append(block[single])
            elif single < position:
                words += _singles(block[single:position], frequencies)
            words.append(block[position:end])
            single = end
        position = end
    if single < size:
        words += _singles(block[single:], frequencies)
    return words


def _singles(run: str, frequencies: dict[str, int]) -> list[str]:
    """A run of characters the route leaves single, as jieba's ``__cut_DAG`` cuts it."""
    if len(run) == 1 or frequencies.get(run):
        return list(run)
    if not finalseg.re_han.fullmatch(run):
        return list(finalseg.cut(run))  # rare: only Chinese characters take the fast path
    words = _hmm_cut(run)
    if force_split := finalseg.Force_Split_Words:  # words taken out with jieba.del_word
        return [piece for word in words for piece in (word if word in force_split else (word,))]
    return words


def _hmm_cut(run: str) -> list[str]:
    """The words ``finalseg.cut`` cuts a run of Chinese characters into, before forced splits.

    finalseg's ``viterbi`` with its four states (Begin, Middle, End, Single) unrolled,
    with the same sums in the same order and the same ties (its ``max()`` of
    (probability, state) pairs takes the state later in the alphabet), but faster.
    """
    low = finalseg.MIN_FLOAT
    start, trans, emit_p = finalseg.start_P, finalseg.trans_P, finalseg.emit_P
    emit_b, emit_m, emit_e, emit_s = emit_p["B"], emit_p["M"], emit_p["E"], emit_p["S"]
    e_b, s_b = trans["E"].get("B", low), trans["S"].get("B", low)
    m_m, b_m = trans["M"].get("M", low), trans["B"].get("M", low)
    b_e, m_e = trans["B"].get("E", low), trans["M"].get("E", low)
    s_s, e_s = trans["S"].get("S", low), trans["E"].get("S", low)
    char = run[0]
    b = start["B"] + emit_b.get(char, low)
    m = start["M"] + emit_m.get(char, low)
    e = start["E"] + emit_e.get(char, low)
    s = start["S"] + emit_s.get(char, low)
    # For each later character, the state each of B, M, E, S comes from (0-3 for BMES).
    steps: list[tuple[int, int, int, int]] = []
    for char in run[1:]:
        emit = emit_b.get(char, low)
        x, y = e + e_b + emit, s + s_b + emit
        if y >= x:
            new_b, from_b = y, 3
        else:
            new_b, from_b = x, 2
        emit = emit_m.get(char, low)
        x, y = m + m_m + emit, b + b_m + emit
        if x >= y:
            new_m, from_m = x, 1
        else:
            new_m, from_m = y, 0
        emit = emit_e.get(char, low)
        x, y = b + b_e + emit, m + m_e + emit
        if y >= x:
            new_e, from_e = y, 1
        else:
            new_e, from_e = x, 0
        emit = emit_s.get(char, low)
        x, y = s + s_s + emit, e + e_s + emit
        if x >= y:
            s, from_s = x, 3
        else:
            s, from_s = y, 2
        b, m, e = new_b, new_m, new_e
        steps.append((from_b, from_m, from_e, from_s))
    # Walk back from the best last state, E or S; a word ends at each E or S.
    state = 3 if s >= e else 2
    words: list[str] = []
    end = len(run)
    for index in range(len(run) - 1, 0, -1):
        state = steps[index - 1][state]
        if state >= 2:
            words.append(run[index:end])
            end = index
    words.append(run[:end])
    words.reverse()
    return words


def _search_grams(word: str, start: int, frequencies: dict[str, int]) -> list[Span]:
    """The dictionary words of two and three characters inside a long word, as
    ``jieba.tokenize`` gives them in search mode (before the word itself)."""
    return [
        (word[i : i + n], start + i, start + i + n)
        for n in (2, 3)
        if len(word) > n
        for i in range(len(word) - n + 1)
        if frequencies.get(word[i : i + n])
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


def _bigram_starts(spans: list[Span]) -> list[int]:
    """Where the character bigrams of each run of adjacent Chinese terms start.

    Words cut differently in a question and a note ("总参|数量" against "总|参数量")
    still share bigrams. Runs stop at stopwords and punctuation, so no bigram
    straddles a question word.
    """
    starts: list[int] = []
    run_start = run_end = 0
    # Sorted, as search mode puts the words inside a word before it.
    for start, end in sorted([(start, end) for term, start, end in spans if _CJK.fullmatch(term)]):
        if start > run_end:
            starts += range(run_start, run_end - 1)
            run_start = start
        run_end = max(run_end, end)
    starts += range(run_start, run_end - 1)
    return starts
