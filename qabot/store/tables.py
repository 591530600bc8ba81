"""Read-only views that build notes, snippets and term lists from arrays on demand.

A loaded index keeps its text and numbers in a few flat numpy arrays; objects such
as :class:`~qabot.schema.Snippet` are made only for the rows a question touches, so
start-up does not pay for a million of them.

Example:
    >>> table = StringTable.pack(["梯度", "检查点"])
    >>> StringTable(*table)[1]
    '检查点'
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar, overload

import numpy as np

from qabot.schema import NOTE_KINDS, Location, Note, Snippet

Row = TypeVar("Row")
# Rows of a TermLists read one term at a time before it decodes all its terms at once.
_FEW_READS = 2000


def first_appearance_ids(terms: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct ``terms`` in order of first appearance, and each term's number among
    them.

    >>> first_appearance_ids(["a", "b", "a"])
    (['a', 'b'], array([0, 1, 0], dtype=int32))
    """
    numbering = TermNumbering()
    ids, _ = numbering.add(terms)
    return numbering.terms(), ids


def first_appearance_numbers(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``ids`` in order of first appearance, and each id's place among them:
    :func:`first_appearance_ids` for numbers, in numpy.

    >>> first_appearance_numbers(np.array([7, 3, 7, 5]))
    (array([7, 3, 5]), array([0, 1, 0, 2], dtype=int32))
    """
    distinct, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    order = np.argsort(first)
    place = np.empty(len(order), dtype=np.int32)
    place[order] = np.arange(len(order), dtype=np.int32)
    return distinct[order], place[inverse.reshape(-1)]


class TermNumbering:
    """Numbers terms in order of first appearance, across calls; a term already
    numbered costs one dict lookup made from C, as it runs once per token of a corpus.

    >>> numbering = TermNumbering()
    >>> numbering.add(["a", "b", "a"])
    (array([0, 1, 0], dtype=int32), ['a', 'b'])
    >>> numbering.add(["c", "b"])
    (array([2, 1], dtype=int32), ['c'])
    """

    def __init__(self) -> None:
        self._numbers = _NumbersOnDemand()

    def __len__(self) -> int:
        return len(self._numbers)

    def add(self, terms: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """The numbers of ``terms``, and the terms among them numbered just now."""
        numbers = self._numbers
        numbers.fresh = []
        ids = np.fromiter(map(numbers.__getitem__, terms), dtype=np.int32, count=len(terms))
        return ids, numbers.fresh

    def terms(self) -> list[str]:
        """Every term numbered so far, in order of number."""
        return list(self._numbers)


class _NumbersOnDemand(dict[str, int]):
    """Each term's number; looking up a new term numbers it and notes it in ``fresh``."""

    __slots__ = ("fresh",)

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list[str] = []

    def __missing__(self, term: str) -> int:
        self[term] = number = len(self)
        self.fresh.append(term)
        return number


class StringTable(Sequence[str]):
    """Strings stored as one UTF-8 byte array and the offsets where each one starts."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        if len(offsets) == 0 or offsets[-1] != len(data):
            raise ValueError("string table offsets do not fit its data")
        self.data = data
        self.offsets = offsets

    @staticmethod
    def pack(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(data, offsets)`` arrays holding ``strings``."""
        encoded = [text.encode() for text in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        start, end = self.offsets[index], self.offsets[index + 1]
        return self.data[start:end].tobytes().decode()

    def to_list(self) -> list[str]:
        """Every string, decoded in one go."""
        text = self.data.tobytes()
        bounds = self.offsets.tolist()
        return [text[a:b].decode() for a, b in itertools.pairwise(bounds)]


class StringIndex(Mapping[str, int]):
    """The row of each of the first ``count`` strings of a table, found by hash.

    A dict of a million strings takes about a second to rebuild at every start-up.
    This index is an open-addressing hash table saved as one array (``slots``: a row
    number, or -1, at ``crc32(string) mod len(slots)``, probing onwards on a clash),
    so it loads as it is and a lookup costs about as much as a dict's.

    Example:
        >>> index = StringIndex.build(StringTable(*StringTable.pack(["梯度", "检查点"])))
        >>> index.lookup(["检查点", "学习率"])
        [1, None]
    """

    def __init__(self, strings: StringTable, slots: np.ndarray, count: int) -> None:
        size = len(slots)
        if count > len(strings) or size < 2 * count or size & (size - 1) or slots.dtype != np.int32:
            raise ValueError("string index does not fit its strings")
        self.strings, self.slots, self.count = strings, slots, count
        # Memoryviews: item access without numpy's per-call cost.
        self._slots = _items(slots, "i")
        self._offsets = _items(strings.offsets, "q")
        self._text = _items(strings.data, "B")

    @classmethod
    def build(cls, strings: StringTable, count: int | None = None) -> StringIndex:
        """An index of the first ``count`` strings (all by default), at most half full."""
        count = len(strings) if count is None else count
        slots = np.full(1 << max(3, (2 * count).bit_length()), -1, dtype=np.int32)
        mask = len(slots) - 1
        view, offsets = _items(slots, "i"), _items(strings.offsets, "q")
        text = _items(strings.data, "B")
        for row in range(count):
            slot = zlib.crc32(text[offsets[row] : offsets[row + 1]]) & mask
            while view[slot] >= 0:
                slot = (slot + 1) & mask
            view[slot] = row
        return cls(strings, slots, count)

    def lookup(self, keys: Iterable[str]) -> list[int | None]:
        """The row of each key, or ``None`` for a key not indexed."""
        slots, offsets, text = self._slots, self._offsets, self._text
        mask = len(slots) - 1
        found: list[int | None] = []
        for key in keys:
            encoded = key.encode()
            slot = zlib.crc32(encoded) & mask
            row = slots[slot]
            while row >= 0 and text[offsets[row] : offsets[row + 1]] != encoded:
                slot = (slot + 1) & mask
                row = slots[slot]
            found.append(row if row >= 0 else None)
        return found

    def __getitem__(self, key: str) -> int:
        row = self.lookup([key])[0]
        if row is None:
            raise KeyError(key)
        return row

    def __iter__(self) -> Iterator[str]:
        return (self.strings[row] for row in range(self.count))

    def __len__(self) -> int:
        return self.count


def _items(array: np.ndarray, code: str) -> memoryview:
    """``array`` seen as a flat memoryview of ``code`` items (numpy's formats vary)."""
    if array.dtype.itemsize != struct.calcsize(code) or not array.flags.c_contiguous:
        raise ValueError(f"{array.dtype} array cannot be read as {code!r}")
    return memoryview(array).cast("B").cast(code)


class _Rows(Sequence[Row]):
    """A sequence of ``count`` rows, each made by ``_row`` when asked for."""

    count: int

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self.count))]
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self._row(index)

    def _row(self, index: int) -> Row:
        raise NotImplementedError


class TermLists(_Rows[list[str]]):
    """``terms[ids[ptr[i]:ptr[i + 1]]]`` as a list of strings for each row ``i``."""

    def __init__(self, ptr: np.ndarray, ids: np.ndarray, terms: StringTable) -> None:
        if len(ptr) == 0 or ptr[-1] != len(ids):
            raise ValueError("term lists do not fit their ids")
        self.ptr, self.ids, self.terms = ptr, ids, terms
        self.count = len(ptr) - 1
        self._ptr = _items(ptr, "q")
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


class NoteTable(_Rows[Note]):
    """The notes, as :class:`~qabot.schema.Note` objects made on access."""

    def __init__(self, arrays: Mapping[str, np.ndarray], sources: list[str]) -> None:
        self.source = arrays["note_source"]
        self.line = arrays["note_line"]
        self.start = arrays["note_start"]
        self.end = arrays["note_end"]
        self.title_id = arrays["note_title"]
        self.kind = arrays["note_kind"]
        self.titles = StringTable(arrays["title_data"], arrays["title_offsets"])
        self.text = StringTable(arrays["note_text_data"], arrays["note_text_offsets"])
        self.sources = sources
        self.count = len(self.source)
        sizes = {len(self.line), len(self.start), len(self.end), len(self.text), len(self.kind)}
        if sizes != {self.count}:
            raise ValueError("note arrays do not fit together")

    def title(self, note: int) -> str:
        return self.titles[int(self.title_id[note])]

    def kind_of(self, note: int) -> str:
        """``"prose"``, ``"code"`` or ``"math"``."""
        return NOTE_KINDS[self.kind[note]]

    def location(self, note: int, start: int, end: int, line: int | None = None) -> Location:
        """A place in ``note``'s file: on ``line``, or on the note's first line."""
        line = int(self.line[note]) if line is None else line
        return Location(self.sources[self.source[note]], line, start, end)

    def _row(self, index: int) -> Note:
        return Note(
            id=index,
            title=self.title(index),
            text=self.text[index],
            location=self.location(index, int(self.start[index]), int(self.end[index])),
            kind=self.kind_of(index),
        )


class SnippetTable(_Rows[Snippet]):
    """The unique snippets, as :class:`~qabot.schema.Snippet` objects made on access."""

    def __init__(self, arrays: Mapping[str, np.ndarray], notes: NoteTable) -> None:
        self.text = StringTable(arrays["snippet_data"], arrays["snippet_offsets"])
        self.place_ptr = arrays["place_ptr"]
        self.place_note = arrays["place_note"]
        self.place_start = arrays["place_start"]
        self.place_end = arrays["place_end"]
        self.place_line = arrays["place_line"]
        self.notes = notes
        self.count = len(self.text)
        if len(self.place_ptr) != self.count + 1 or self.place_ptr[-1] != len(self.place_note):
            raise ValueError("snippet arrays do not fit together")

    def _row(self, index: int) -> Snippet:
        places = slice(self.place_ptr[index], self.place_ptr[index + 1])
        note_ids = self.place_note[places].tolist()
        locations = [
            self.notes.location(note, start, end, line)
            for note, start, end, line in zip(
                note_ids,
                self.place_start[places].tolist(),
                self.place_end[places].tolist(),
                self.place_line[places].tolist(),
                strict=True,
            )
        ]
        title = self.notes.title(note_ids[0])
        return Snippet(index, self.text[index], title, locations, note_ids)


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
