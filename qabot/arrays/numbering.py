"""Numbering terms in order of first appearance, as rank-bm25 meets them.

Example:
    >>> first_appearance_ids(["a", "b", "a"])
    (['a', 'b'], array([0, 1, 0], dtype=int32))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
