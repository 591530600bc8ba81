"""Build stage: the notes' own glossary, English terms and the Chinese the notes pair them with.

Chinese notes name a concept in both languages side by side: ``权重衰减（weight
decay）``, ``随机梯度下降（Stochastic Gradient Descent，SGD）``, ``HMM（隐马尔科夫模型）``.
:func:`mine_pairs` finds every such pair, in both orders, full-width or ASCII
brackets; :func:`mine` turns them into the arrays saved with the index, which
:class:`~qabot.retriever.note_glossary.NoteGlossary` looks a question's English words
up in. An English question ("What is weight decay?") then meets the Chinese note
through the notes' own words, before any dictionary is asked.

On the Chinese side of ``中文（English）`` only the last words before the bracket are
the term: words are taken back from the bracket up to a stopword or
:data:`MAX_CHINESE` characters (``研究人员将幻觉分为事实性幻觉（Factuality
Hallucination）`` gives 事实性幻觉). Code notes are left out: they are no prose.

Example:
    >>> mine_pairs(["权重衰减（weight decay）是正则化技术。"], tokenizer)  # doctest: +SKIP
    {'weight decay': {'权重衰减'}}
    >>> glossary = NoteGlossary(mine(corpus, tokenizer))  # doctest: +SKIP
    >>> glossary.expand(["weight", "decay", "weightdecay"])  # doctest: +SKIP
    {'weight decay': ['权重', '衰减', '权重²', '重衰²', '衰减²']}
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import numpy as np

from qabot.arrays import StringTable
from qabot.index.arrays import CorpusArrays
from qabot.retriever.note_glossary import GlossaryArrays
from qabot.schema import NOTE_KINDS
from qabot.tokenizer import CJK_CHAR, Tokenizer, is_bigram

MAX_CHINESE = 8
"""The most characters the Chinese side of ``中文（English）`` takes before the bracket."""

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
            names = _names(match.group(2), _ENGLISH)
            # Tokenizing is the cost: only for brackets that hold an English name.
            chinese = _last_words(match.group(1), tokenizer) if names else ""
            for english in names if chinese else ():
                pairs.setdefault(english, set()).add(chinese)
        for match in _ENGLISH_FIRST.finditer(text):
            english = _normal(match.group(1))
            for chinese in _names(match.group(2), _CHINESE):
                pairs.setdefault(english, set()).add(chinese)
    return pairs


def mine(corpus: CorpusArrays, tokenizer: Tokenizer) -> GlossaryArrays:
    """The glossary of the prose notes of ``corpus``.

    Each English term is kept as the words a question must hold to use it (its words
    less stopwords), with the terms the tokenizer makes of the Chinese it is paired with.
    """
    notes = corpus.notes
    code = NOTE_KINDS.index("code")
    prose = itertools.compress(notes.text, (np.asarray(notes.kind) != code).tolist())
    keys: list[str] = []
    terms: list[str] = []
    ptr = [0]
    for english, chinese in sorted(mine_pairs(prose, tokenizer).items()):
        words = [w for w in _WORD.findall(english) if w not in tokenizer.stopwords]
        phrases = sorted(_attested(chinese))
        found = dict.fromkeys(t for phrase in phrases for t in tokenizer.terms(phrase))
        if words and found and any(not w.isdigit() for w in words):
            keys.append(" ".join(words))
            terms += found
            ptr.append(len(terms))
    return GlossaryArrays(
        keys=StringTable.of(keys),
        ptr=np.array(ptr, dtype=np.int64),
        terms=StringTable.of(terms),
    )


def _attested(chinese: set[str]) -> set[str]:
    """The Chinese paired with one English term, less the phrases that only add words
    before another of them: ``中使用权重衰减`` and ``处理权重衰减`` are 权重衰减 in context."""
    return {p for p in chinese if not any(q != p and p.endswith(q) for q in chinese)}


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
