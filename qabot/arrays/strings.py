"""Strings kept as one UTF-8 byte array, and a hash index over them saved as one array.

A million Python strings take about a second to make and 100 MB to hold; a loaded
index keeps its text in these tables instead and decodes only the rows a question
reads.

Both are made with numpy rather than a string at a time, CRC-32 included
(:func:`crc32s`), for a measured reason: every build saves jieba's 500k words this
way, and making their table took 0.08 s (now 0.03 s) and their index 0.15 s (now
0.06 s); the terms of a 100k-snippet folder are indexed twice more.

Example:
    >>> table = StringTable.of(["梯度", "检查点"])
    >>> table[1], len(table)
    ('检查点', 2)
    >>> StringIndex.build(table).lookup(["检查点", "学习率"])
    [1, None]
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qabot.arrays.rows import LazyRows

# Rows decoded per batch when iterating over a table.
_ITER_ROWS = 4096


@dataclass(eq=False, slots=True)
class StringTable(LazyRows[str]):
    """Strings as one UTF-8 byte array (``data``) and where each one starts (``offsets``,
    one more than there are strings)."""

    data: np.ndarray
    offsets: np.ndarray

    def __post_init__(self) -> None:
        if len(self.offsets) == 0 or self.offsets[-1] != len(self.data):
            raise ValueError("string table offsets do not fit its data")

    @property
    def count(self) -> int:  # type: ignore[override]
        return len(self.offsets) - 1

    @classmethod
    def of(cls, strings: Sequence[str]) -> StringTable:
        """A table holding ``strings``."""
        # Encoded in one go, and each string's byte offset counted from its characters.
        joined = "".join(strings)
        data = np.frombuffer(joined.encode(), dtype=np.uint8)
        starts = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, strings), np.int64, len(strings)), out=starts[1:])
        if len(data) == len(joined):  # ASCII: a byte per character
            return cls(data, starts)
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        # The bytes each character takes beyond its first, summed before each character.
        extra = np.zeros(len(points) + 1, dtype=np.int64)
        wide = (points >= 0x80).astype(np.uint8)
        wide += points >= 0x800
        wide += points >= 0x10000
        np.cumsum(wide, out=extra[1:])
        return cls(data, starts + extra[starts])

    def _row(self, index: int) -> str:
        start, end = self.offsets[index], self.offsets[index + 1]
        return self.data[start:end].tobytes().decode()

    def to_list(self) -> list[str]:
        """Every string, decoded in one go."""
        return self.rows(0, self.count)

    def rows(self, start: int, stop: int) -> list[str]:
        """Strings ``start`` to ``stop``, decoded in one go."""
        bounds = self.offsets[start : stop + 1]
        text = self.data[bounds[0] : bounds[-1]].tobytes()
        ends = (bounds - bounds[0]).tolist()
        return [text[a:b].decode() for a, b in itertools.pairwise(ends)]

    def __iter__(self) -> Iterator[str]:
        # A batch of rows at a time: a row at a time costs ~1 µs of numpy indexing.
        for start in range(0, self.count, _ITER_ROWS):
            yield from self.rows(start, min(start + _ITER_ROWS, self.count))


class StringIndex(Mapping[str, int]):
    """The row of each of the first ``count`` strings of a table, found by hash.

    A dict of a million strings takes about a second to rebuild at every start-up.
    This index is an open-addressing hash table saved as one array (``slots``: a row
    number, or -1, at ``crc32(string) mod len(slots)``, probing onwards on a clash),
    so it loads as it is and a lookup costs about as much as a dict's.
    """

    def __init__(self, strings: StringTable, slots: np.ndarray, count: int) -> None:
        size = len(slots)
        if count > len(strings) or size < 2 * count or size & (size - 1) or slots.dtype != np.int32:
            raise ValueError("string index does not fit its strings")
        self.strings, self.slots, self.count = strings, slots, count
        # Memoryviews: item access without numpy's per-call cost.
        self._slots = memory_items(slots, "i")
        self._offsets = memory_items(strings.offsets, "q")
        self._text = memory_items(strings.data, "B")

    @classmethod
    def build(cls, strings: StringTable, count: int | None = None) -> StringIndex:
        """An index of the first ``count`` strings (all by default), at most half full."""
        count = len(strings) if count is None else count
        slots = np.full(1 << max(3, (2 * count).bit_length()), -1, dtype=np.int32)
        # One number per row, its home slot then the row, sorted: rows in order of
        # home, ties in row order. Made in place: this runs near the build's peak of
        # memory, after a weight matrix is weighed.
        keys = crc32s(strings, count).astype(np.int64)
        keys &= len(slots) - 1
        keys <<= 32
        keys |= np.arange(count)
        keys.sort()
        # Placed all at once, not probed for one by one: each row takes its home or the
        # slot after the previous row's, whichever is later, so every slot from a row's
        # home to its own is taken, as a lookup's probing needs; a repeated string is
        # found at its first row.
        steps = np.arange(count)
        places = keys >> 32
        places -= steps
        np.maximum.accumulate(places, out=places)
        places += steps
        del steps
        keys &= 0xFFFFFFFF  # now the rows
        fit = int(np.searchsorted(places, len(slots)))
        slots[places[:fit]] = keys[:fit]
        if fit < count:  # rows pushed past the end wrap around, to the first free slots
            slots[np.flatnonzero(slots < 0)[: count - fit]] = keys[fit:]
        return cls(strings, slots, count)

    def row(self, key: str) -> int | None:
        """The row of ``key``, or ``None`` if it is not indexed."""
        slots, offsets, text = self._slots, self._offsets, self._text
        mask = len(slots) - 1
        encoded = key.encode()
        slot = zlib.crc32(encoded) & mask
        row = slots[slot]
        while row >= 0 and text[offsets[row] : offsets[row + 1]] != encoded:
            slot = (slot + 1) & mask
            row = slots[slot]
        return row if row >= 0 else None

    def lookup(self, keys: Iterable[str]) -> list[int | None]:
        """The row of each key, or ``None`` for a key not indexed."""
        return [self.row(key) for key in keys]

    def __getitem__(self, key: str) -> int:
        row = self.row(key)
        if row is None:
            raise KeyError(key)
        return row

    def __iter__(self) -> Iterator[str]:
        return (self.strings[row] for row in range(self.count))

    def __len__(self) -> int:
        return self.count


def crc32s(strings: StringTable, count: int) -> np.ndarray:
    """``zlib.crc32`` of each of the first ``count`` strings, as ``uint32``.

    zlib's table-driven CRC, a byte position at a time over all the strings of a batch
    still that long, shortest first; the few longest are finished by zlib.
    """
    crcs = np.empty(count, dtype=np.uint32)
    for first in range(0, count, _CRC_BATCH):
        last = min(first + _CRC_BATCH, count)
        crcs[first:last] = _batch_crc32s(strings, first, last)
    return crcs


def _batch_crc32s(strings: StringTable, first: int, last: int) -> np.ndarray:
    starts = strings.offsets[first:last]
    lengths = strings.offsets[first + 1 : last + 1] - starts
    order = np.argsort(lengths, kind="stable")
    starts, lengths = starts[order], lengths[order]
    crcs = np.full(len(order), 0xFFFFFFFF, dtype=np.uint32)  # zlib's register, not inverted
    position = 0
    going = int(np.searchsorted(lengths, position, side="right"))  # the first still going
    while len(order) - going >= _CRC_TOGETHER:
        register = crcs[going:]
        byte = strings.data[starts[going:] + position]
        register[:] = _CRC_TABLE[(register ^ byte) & 0xFF] ^ (register >> 8)
        position += 1
        going = int(np.searchsorted(lengths, position, side="right"))
    crcs ^= 0xFFFFFFFF
    for row in range(going, len(order)):
        start, end = int(starts[row]) + position, int(starts[row] + lengths[row])
        crcs[row] = zlib.crc32(strings.data[start:end].tobytes(), int(crcs[row]))
    unsorted = np.empty(len(order), dtype=np.uint32)
    unsorted[order] = crcs
    return unsorted


def _crc_table() -> np.ndarray:
    """zlib's CRC-32 table: each byte's remainder of the reflected polynomial."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1)
    return table


_CRC_TABLE = _crc_table()
# Strings whose CRCs are taken together: bounds the temporary arrays to a few MB.
_CRC_BATCH = 1 << 16
# Strings still being read below which zlib finishes them one by one (a numpy step
# costs about what zlib takes for this many).
_CRC_TOGETHER = 64


def memory_items(array: np.ndarray, code: str) -> memoryview:
    """``array`` seen as a flat memoryview of ``code`` items (numpy's formats vary)."""
    if array.dtype.itemsize != struct.calcsize(code) or not array.flags.c_contiguous:
        raise ValueError(f"{array.dtype} array cannot be read as {code!r}")
    return memoryview(array).cast("B").cast(code)
