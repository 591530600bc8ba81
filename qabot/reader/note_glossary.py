"""The notes' own glossary: English terms and the Chinese terms the notes pair them with.

Chinese notes name a concept in both languages side by side: ``权重衰减（weight
decay）``, ``随机梯度下降（Stochastic Gradient Descent，SGD）``, ``HMM（隐马尔科夫模型）``.
:func:`mine_pairs` finds every such pair, in both orders, full-width or ASCII
brackets; :func:`mine` turns them into arrays saved with the index, and
:class:`NoteGlossary` looks a question's English words up in them. An English
question ("What is weight decay?") then meets the Chinese note through the notes' own
words, before any dictionary is asked.

On the Chinese side of ``中文（English）`` only the last words before the bracket are
the term: words are taken back from the bracket up to a stopword or
:data:`MAX_CHINESE` characters (``研究人员将幻觉分为事实性幻觉（Factuality
Hallucination）`` gives 事实性幻觉). Code notes are left out: they are no prose.

Example:
    >>> mine_pairs(["权重衰减（weight decay）是正则化技术。"], tokenizer)  # doctest: +SKIP
    {'weight decay': {'权重衰减'}}
    >>> glossary = NoteGlossary(mine(index.arrays, tokenizer))  # doctest: +SKIP
    >>> glossary.expand(["weight", "decay", "weightdecay"])  # doctest: +SKIP
    {'weight decay': ['权重', '衰减', '权重²', '重衰²', '衰减²']}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from qabot.ingest.document import NOTE_KINDS
from qabot.store.tables import StringTable
from qabot.tokenizer import CJK_CHAR, Tokenizer, is_bigram

MAX_CHINESE = 8
"""The most characters the Chinese side of ``中文（English）`` takes before the bracket."""

_PREFIX = "glossary_"
_CJK = CJK_CHAR.pattern[1:-1]
# 中文（English…）: Chinese right before a bracket holding at least one Latin letter.
_CHINESE_FIRST = re.compile(rf"([{_CJK}]+)\s*[（(]([^（）()\n]{{1,80}})[)）]")
# English（中文…）: an English term right before a bracket that starts with Chinese.
_ENGLISH_FIRST = re.compile(
    rf"([A-Za-z][A-Za-z0-9.+'/-]*(?: [A-Za-z0-9][A-Za-z0-9.+'/-]*){{0,5}})\s*"
    rf"[（(]([{_CJK}][^（）()\n]{{0,40}})[)）]"
)
_SEPARATOR = re.compile(r"[，,、;；]|\bor\b")
# Words that introduce a name inside the bracket: 简称 RAG, 即 PTQ, 全称 …
_INTRODUCER = re.compile(r"^(?:简称|又称|全称|英文|英文名|即|也叫|或)\s*")
_ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9 .+'/-]*[A-Za-z0-9+]|[A-Za-z]")
_CHINESE = re.compile(rf"[{_CJK}]{{2,{MAX_CHINESE}}}")
_WORD = re.compile(r"[a-z0-9]+")


def mine_pairs(texts: Iterable[str], tokenizer: Tokenizer) -> dict[str, set[str]]:
    """Every English term of ``texts`` paired with a Chinese one, lower-cased, with the
    Chinese terms it is paired with."""
    pairs: dict[str, set[str]] = {}
    for text in texts:
        if "(" not in text and "（" not in text:
            continue
        for match in _CHINESE_FIRST.finditer(text):
            chinese = _last_words(match.group(1), tokenizer)
            for english in _names(match.group(2), _ENGLISH) if chinese else ():
                pairs.setdefault(english, set()).add(chinese)
        for match in _ENGLISH_FIRST.finditer(text):
            english = _normal(match.group(1))
            for chinese in _names(match.group(2), _CHINESE):
                pairs.setdefault(english, set()).add(chinese)
    return pairs


def mine(arrays: Mapping[str, np.ndarray], tokenizer: Tokenizer) -> dict[str, np.ndarray]:
    """The glossary's arrays (named ``glossary_*``) for the notes of the index ``arrays``.

    Each English term is kept as the words a question must hold to use it (its words
    less stopwords), with the terms the tokenizer makes of the Chinese it is paired with.
    """
    texts = StringTable(arrays["note_text_data"], arrays["note_text_offsets"])
    code = np.asarray(arrays["note_kind"]) == NOTE_KINDS.index("code")
    prose = (texts[row] for row in np.flatnonzero(~code))
    keys: list[str] = []
    terms: list[str] = []
    ptr = [0]
    for english, chinese in sorted(mine_pairs(prose, tokenizer).items()):
        words = [w for w in _WORD.findall(english) if w not in tokenizer.stopwords]
        found = dict.fromkeys(t for phrase in sorted(chinese) for t in tokenizer.terms(phrase))
        if words and found and any(not w.isdigit() for w in words):
            keys.append(" ".join(words))
            terms += found
            ptr.append(len(terms))
    key_data, key_offsets = StringTable.pack(keys)
    term_data, term_offsets = StringTable.pack(terms)
    return {
        f"{_PREFIX}key_data": key_data,
        f"{_PREFIX}key_offsets": key_offsets,
        f"{_PREFIX}ptr": np.array(ptr, dtype=np.int64),
        f"{_PREFIX}term_data": term_data,
        f"{_PREFIX}term_offsets": term_offsets,
    }


class NoteGlossary:
    """The glossary saved with an index (empty for one saved without); its lookup
    table is made on the first lookup."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._arrays = arrays
        self._by_word: dict[str, list[tuple[str, frozenset[str], tuple[str, ...]]]] | None = None

    def expand(self, query: Sequence[str]) -> dict[str, list[str]]:
        """``{English term: its Chinese terms}`` for each glossary term all of whose
        words are in ``query``."""
        words = set(query)
        found: dict[str, list[str]] = {}
        lookup = self._lookup()
        for word in words:
            for english, needed, terms in lookup.get(word, ()):
                if english not in found and needed <= words:
                    found[english] = list(terms)
        return found

    def _lookup(self) -> dict[str, list[tuple[str, frozenset[str], tuple[str, ...]]]]:
        if self._by_word is None:
            self._by_word = {}
            a = self._arrays
            if f"{_PREFIX}ptr" in a:
                keys = StringTable(a[f"{_PREFIX}key_data"], a[f"{_PREFIX}key_offsets"])
                terms = StringTable(a[f"{_PREFIX}term_data"], a[f"{_PREFIX}term_offsets"])
                ptr = a[f"{_PREFIX}ptr"].tolist()
                for number, english in enumerate(keys):
                    needed = frozenset(english.split())
                    entry = (english, needed, tuple(terms[ptr[number] : ptr[number + 1]]))
                    for word in needed:
                        self._by_word.setdefault(word, []).append(entry)
        return self._by_word


def _names(inside: str, shape: re.Pattern[str]) -> list[str]:
    """The names a bracket holds, split at commas: ``Stochastic Gradient Descent，SGD``."""
    names = []
    for part in _SEPARATOR.split(inside):
        part = _INTRODUCER.sub("", part.strip())
        if part and shape.fullmatch(part):
            names.append(_normal(part) if shape is _ENGLISH else part)
    return names


def _last_words(run: str, tokenizer: Tokenizer) -> str:
    """The Chinese term that ends a run of Chinese: its last words, back to a stopword."""
    words = [t.text for t in tokenizer.tokenize(run, keep_stopwords=True) if not is_bigram(t.text)]
    taken = ""
    for word in reversed(words):
        if word in tokenizer.stopwords or len(taken) + len(word) > MAX_CHINESE:
            break
        taken = word + taken
    return taken if len(taken) >= 2 else ""


def _normal(english: str) -> str:
    return " ".join(english.lower().split())
