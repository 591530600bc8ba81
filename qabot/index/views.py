"""Read-only views that make notes, snippets and term lists from the index arrays on demand.

A loaded index keeps its text and numbers in a few flat numpy arrays; objects such
as :class:`~qabot.schema.Snippet` are made only for the rows a question touches, so
start-up does not pay for a million of them.

Example:
    >>> notes = NoteTable(arrays.corpus.notes, arrays.corpus.meta.sources)  # doctest: +SKIP
    >>> notes[0].location  # doctest: +SKIP
    Location(source='000_518f52ec4929dd4d.txt', line=4, start=16, end=1060)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

import numpy as np

from qabot.arrays import LazyRows, StringIndex, StringTable, memory_items
from qabot.index.arrays import NoteArrays, SnippetArrays
from qabot.schema import NOTE_KINDS, Location, Note, NoteKind, Snippet

# Rows of a TermLists read one term at a time before it decodes all its terms at once.
_FEW_READS = 2000


class TermLists(LazyRows[list[str]]):
    """``terms[ids[ptr[i]:ptr[i + 1]]]`` as a list of strings for each row ``i``."""

    def __init__(self, ptr: np.ndarray, ids: np.ndarray, terms: StringTable) -> None:
        if len(ptr) == 0 or ptr[-1] != len(ids):
            raise ValueError("term lists do not fit their ids")
        self.ptr, self.ids, self.terms = ptr, ids, terms
        self.count = len(ptr) - 1
        self._ptr = memory_items(ptr, "q")
        # A question reads a few rows: decode their terms one by one, each once. A
        # caller reading many rows gets every term decoded in one go instead.
        self._term = lru_cache(maxsize=None)(terms.__getitem__)
        self._names: list[str] | None = None
        self._reads = 0

    def _row(self, index: int) -> list[str]:
        ids = self.ids[self._ptr[index] : self._ptr[index + 1]].tolist()
        if self._names is None:
            self._reads += 1
            if self._reads <= _FEW_READS:
                return [self._term(t) for t in ids]
            self._names = self.terms.to_list()
        return list(map(self._names.__getitem__, ids))


class NoteTable(LazyRows[Note]):
    """The notes, as :class:`~qabot.schema.Note` objects made on access."""

    def __init__(self, arrays: NoteArrays, titles: StringTable, sources: list[str]) -> None:
        self.arrays = arrays
        self.titles = titles
        self.sources = sources
        self.count = len(arrays.source)
        lengths = {len(a) for a in (arrays.line, arrays.start, arrays.end, arrays.kind)}
        if lengths != {self.count} or len(arrays.text) != self.count:
            raise ValueError("note arrays do not fit together")

    def title(self, note: int) -> str:
        return self.titles[int(self.arrays.title[note])]

    def kind(self, note: int) -> NoteKind:
        return NOTE_KINDS[self.arrays.kind[note]]

    def location(self, note: int, line: int, start: int, end: int) -> Location:
        return Location(self.sources[self.arrays.source[note]], line, start, end)

    def _row(self, index: int) -> Note:
        notes = self.arrays
        return Note(
            id=index,
            title=self.title(index),
            text=notes.text[index],
            location=self.location(
                index, int(notes.line[index]), int(notes.start[index]), int(notes.end[index])
            ),
            kind=self.kind(index),
        )


class SnippetTable(LazyRows[Snippet]):
    """The unique snippets, as :class:`~qabot.schema.Snippet` objects made on access."""

    def __init__(self, arrays: SnippetArrays, notes: NoteTable) -> None:
        self.arrays = arrays
        self.notes = notes
        self.count = len(arrays.text)
        places = {len(a) for a in (arrays.place_note, arrays.place_start, arrays.place_line)}
        if len(arrays.place_ptr) != self.count + 1 or places != {int(arrays.place_ptr[-1])}:
            raise ValueError("snippet arrays do not fit together")

    def _row(self, index: int) -> Snippet:
        snippets = self.arrays
        places = slice(snippets.place_ptr[index], snippets.place_ptr[index + 1])
        note_ids = snippets.place_note[places].tolist()
        locations = [
            self.notes.location(note, line, start, end)
            for note, line, start, end in zip(
                note_ids,
                snippets.place_line[places].tolist(),
                snippets.place_start[places].tolist(),
                snippets.place_end[places].tolist(),
                strict=True,
            )
        ]
        title = self.notes.title(note_ids[0])
        return Snippet(index, snippets.text[index], title, locations, note_ids)


class NoteSnippets(Mapping[int, list[int]]):
    """Each note's snippets in reading order, for the notes that have any."""

    def __init__(self, ptr: np.ndarray, order: np.ndarray) -> None:
        self.ptr, self.order = ptr, order

    def __getitem__(self, note: int) -> list[int]:
        if not 0 <= note < len(self.ptr) - 1 or self.ptr[note] == self.ptr[note + 1]:
            raise KeyError(note)
        return self.order[self.ptr[note] : self.ptr[note + 1]].tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(np.diff(self.ptr)).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(np.diff(self.ptr)))


class TitleTerms(Mapping[str, frozenset[str]]):
    """The terms of each distinct note title."""

    def __init__(self, titles: StringIndex, terms: TermLists) -> None:
        if len(terms) != len(titles):
            raise ValueError("title terms do not fit the titles")
        self.titles, self.terms = titles, terms

    def __getitem__(self, title: str) -> frozenset[str]:
        return frozenset(self.terms[self.titles[title]])

    def __iter__(self) -> Iterator[str]:
        return iter(self.titles)

    def __len__(self) -> int:
        return len(self.titles)
