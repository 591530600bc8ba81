"""The notes' own glossary, as saved with the index, and its lookup.

:mod:`qabot.build.note_glossary` mines the English terms the notes pair with Chinese
(``权重衰减（weight decay）``); :class:`NoteGlossary` finds the ones a question names.
Each term is kept as the words a question must hold to use it.

Example:
    >>> glossary = NoteGlossary(index.arrays.glossary)  # doctest: +SKIP
    >>> glossary.expand(["weight", "decay", "weightdecay"])  # doctest: +SKIP
    {'weight decay': ['权重', '衰减', '权重²', '重衰²', '衰减²']}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qabot.arrays import StringTable

_Entry = tuple[str, frozenset[str], tuple[str, ...]]


@dataclass(eq=False, slots=True)
class GlossaryArrays:
    """English term ``i`` (its words, space-joined) is ``keys[i]``; the Chinese terms
    paired with it are ``terms[ptr[i]:ptr[i + 1]]``."""

    keys: StringTable
    ptr: np.ndarray
    terms: StringTable


class NoteGlossary:
    """Looks a question's words up in a glossary; the lookup table is made on the first
    lookup."""

    def __init__(self, arrays: GlossaryArrays) -> None:
        self._arrays = arrays
        self._by_word: dict[str, list[_Entry]] | None = None

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

    def _lookup(self) -> dict[str, list[_Entry]]:
        if self._by_word is None:
            self._by_word = {}
            keys, terms = self._arrays.keys, self._arrays.terms
            ptr = self._arrays.ptr.tolist()
            for number, english in enumerate(keys):
                needed = frozenset(english.split())
                entry = (english, needed, tuple(terms[ptr[number] : ptr[number + 1]]))
                for word in needed:
                    self._by_word.setdefault(word, []).append(entry)
        return self._by_word
