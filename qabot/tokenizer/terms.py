"""The shapes of terms: bigrams, joined and versioned names, Chinese characters, stopwords.

Shared by the tokenizer, which makes terms, and the reader, which weighs them.

Example:
    >>> split_joined("seed-thinking"), run_together("seed-thinking")
    (['seed', 'thinking'], 'seedthinking')
    >>> is_bigram("参数" + BIGRAM_MARK), CJK_CHAR.match("参") is not None
    (True, True)
"""

from __future__ import annotations

import re
from importlib.resources import files

BIGRAM_MARK = "²"
"""Ends every bigram term. NFKC folds "²" to "2", so no word of folded text has it."""

CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
"""One Chinese character (CJK unified ideographs, extension A, compatibility)."""
CJK_RUN = re.compile(f"{CJK_CHAR.pattern}+")

Span = tuple[str, int, int]
"""A term and its ``[start, end)`` in the folded text."""

PART_SEPARATORS = re.compile(r"[-_/]")
PART = re.compile(r"[a-z0-9.+#]+")
# A name of three or more letters with a version glued on: seedthinkingv1.5, yolov5.
VERSIONED = re.compile(r"([a-z]{3,})(v\d+(?:\.\d+)*)")


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


def split_joined(term: str) -> list[str]:
    """The parts of a term joined by ``-``, ``_`` or ``/``; ``[]`` for any other term.

    The tokenizer yields a joined term whole, its parts, and the parts run together
    (``seed-thinking`` → ``seedthinking``), so notes that drop the hyphens still match.
    """
    return PART.findall(term) if PART_SEPARATORS.search(term) else []


def split_version(term: str) -> list[str]:
    """A name run together with its version, as ``[name, version]``; ``[]`` otherwise.

    >>> split_version("seedthinkingv1.5")
    ['seedthinking', 'v1.5']
    """
    versioned = VERSIONED.fullmatch(term)
    return [versioned.group(1), versioned.group(2)] if versioned else []


def run_together(term: str) -> str:
    """A joined term's parts run together (``seed-thinking`` → ``seedthinking``), else itself."""
    return "".join(split_joined(term)) or term


def is_bigram(term: str) -> bool:
    """Whether ``term`` is a character bigram rather than a word."""
    return term.endswith(BIGRAM_MARK)
