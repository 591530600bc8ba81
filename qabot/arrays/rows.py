"""Ragged tables: rows of varying length stored as ``(ptr, values)``, row ``i`` being
``values[ptr[i]:ptr[i + 1]]``, copied and gathered in batches of rows.

Example:
    >>> ptr, values = np.array([0, 2, 3]), np.array([7, 8, 9])
    >>> gather_rows(ptr, values, np.array([1, 0]))
    (array([0, 1, 3]), array([9, 7, 8]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

import numpy as np

Row = TypeVar("Row")

# Rows gathered per batch, bounding the index arrays of a gather.
_GATHER_ROWS = 1 << 16


class LazyRows(Sequence[Row]):
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


def concat_rows(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join ``(ptr, values)`` tables into one, rows in order."""
    sizes = np.concatenate([np.diff(ptr) for ptr, _ in rows])
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return ptr, np.concatenate([values for _, values in rows])


def gather_rows(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, values)`` of the given ``rows`` of a ``(ptr, values)`` table, in that order."""
    new_ptr = np.concatenate([[0], np.cumsum(ptr[rows + 1] - ptr[rows])]).astype(np.int64)
    gathered = np.empty(new_ptr[-1], dtype=values.dtype)
    copy_rows(ptr, values, rows, gathered, new_ptr[:-1])
    return new_ptr, gathered


def copy_rows(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray, out: np.ndarray, starts: np.ndarray
) -> None:
    """Copy row ``rows[i]`` of a ``(ptr, values)`` table to ``out`` from ``starts[i]`` on.

    In batches of rows: an index per value for a 100 MB text would take 800 MB.
    """
    sizes = ptr[rows + 1] - ptr[rows]
    for start in range(0, len(rows), _GATHER_ROWS):
        batch = slice(start, start + _GATHER_ROWS)
        # Each value's place in the batch, shifted to its row's place in values and in out.
        before = np.cumsum(sizes[batch]) - sizes[batch]
        places = np.arange(int(sizes[batch].sum()))
        source = places + np.repeat(ptr[rows[batch]] - before, sizes[batch])
        places += np.repeat(starts[batch] - before, sizes[batch])
        out[places] = values[source]
