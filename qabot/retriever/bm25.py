"""BM25 retrieval: rank-bm25's BM25Okapi scores, served from a sparse weight matrix.

The IDF is computed by rank-bm25's own ``BM25Okapi._calc_idf``; document lengths and
``avgdl`` are the token counts and their mean, as rank-bm25 takes them. Those fill a
compressed sparse column matrix (CSC: ``indptr``, ``indices``, ``data``) holding each
term's BM25Okapi weight in each document, computed with rank-bm25's expression in
float64. A query adds up only its terms' postings, in query order, so scores equal
``BM25Okapi.get_scores`` bit for bit, at a cost proportional to the postings read
instead of a Python loop over every document, in a few numpy calls whatever the
number of query terms (at 0.1 ms a query, each call counts).

One change to rank-bm25, for tiny corpora: an IDF that comes out zero or negative
(every term of a one-note folder; a term in half of a two-note one) is raised to
``epsilon * average_idf``, or to ``epsilon`` when that average is not positive, so a
one- or two-note folder still answers. Larger corpora are not affected. Every weight
is therefore positive, which the scorer relies on.

Example:
    >>> index = BM25Index([["adamw", "优化器"], ["梯度", "检查点"], ["学习率"]])
    >>> [doc for doc, _ in index.top_k(["检查点"], k=1)]
    [1]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

import numpy as np

from qabot.arrays import StringIndex, StringTable, first_appearance_ids
from qabot.retriever.weights import WeightMatrix, weight_matrix

# Up to this many entries, the best are picked by sorting them all.
_SORT_IN_PYTHON = 64
# From this many entries, a first cut-off is taken from a few columns, the shortest.
_CUT_OFF_FROM = 4096
# Three, not one: at 100k documents it keeps a sixth of the entries one column kept
# for the slowest questions; six were no faster.
_CUT_OFF_COLUMNS = 3
# Query terms whose columns are remembered; past this the memo starts afresh.
_MEMO_TERMS = 100_000


@dataclass(eq=False, slots=True)
class BM25Arrays(WeightMatrix):
    """What a :class:`BM25Index` saves: its weight matrix and its term lookup (``term_slots``
    of a :class:`~qabot.arrays.StringIndex` over the caller's term strings)."""

    term_slots: np.ndarray


class BM25Index:
    """Scores and ranks tokenized documents for tokenized queries.

    Build it from token lists, from flat term ids (:meth:`from_term_ids`), or from
    saved arrays (:meth:`from_arrays`, the inverse of :meth:`to_arrays`).
    """

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        documents = list(corpus)
        vocabulary, term_ids = first_appearance_ids(list(chain.from_iterable(documents)))
        lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        terms = StringTable.of(vocabulary)
        matrix = weight_matrix(lengths, term_ids, len(vocabulary), k1, b, epsilon)
        self._open(StringIndex.build(terms), matrix, len(documents))

    @classmethod
    def from_term_ids(
        cls,
        lengths: np.ndarray,
        term_ids: np.ndarray,
        terms: StringTable,
        vocabulary_size: int,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> BM25Index:
        """Index documents given as their ``lengths`` and concatenated ``term_ids``.

        Term ``i`` is ``terms[i]`` for ``i < vocabulary_size`` (``terms`` may hold
        more). Ids must be numbered in order of first appearance, as rank-bm25 meets
        them, for its average IDF to come out the same.
        """
        index = cls.__new__(cls)
        matrix = weight_matrix(lengths, term_ids, vocabulary_size, k1, b, epsilon)
        index._open(StringIndex.build(terms, vocabulary_size), matrix, len(lengths))
        return index

    @classmethod
    def from_arrays(cls, arrays: BM25Arrays, terms: StringTable, size: int) -> BM25Index:
        """The index :meth:`to_arrays` saved, over ``size`` documents and ``terms``."""
        index = cls.__new__(cls)
        vocabulary = StringIndex(terms, arrays.term_slots, len(arrays.indptr) - 1)
        index._open(vocabulary, arrays, size)
        return index

    def _open(self, vocabulary: StringIndex, matrix: WeightMatrix, size: int) -> None:
        self.vocabulary = vocabulary
        self.indptr = np.asarray(matrix.indptr, dtype=np.int64)
        self.indices = np.asarray(matrix.indices, dtype=np.int32)
        self.data = np.asarray(matrix.data, dtype=np.float64)
        if not (
            len(self.indptr) == len(vocabulary) + 1
            and self.indptr[-1] == len(self.indices) == len(self.data)
        ):
            raise ValueError("BM25 arrays do not fit together")
        self._size = size
        # Item access without numpy's per-call cost.
        self._indptr = memoryview(self.indptr).cast("B").cast("q")
        # Columns of recent query terms: most questions reuse common words.
        self._memo: dict[str, int | None] = {}
        # The largest weight of each column asked for, by its span.
        self._peaks: dict[tuple[int, int], float] = {}
        # Scratch scores for multi-term queries, zero between queries; the lock lets
        # several threads (the Telegram adapter) ask at once.
        self._scores: np.ndarray | None = None
        self._lock = threading.Lock()

    def to_arrays(self) -> BM25Arrays:
        """The weight matrix and the term lookup (the term strings are the caller's)."""
        return BM25Arrays(self.indptr, self.indices, self.data, self.vocabulary.slots)

    @property
    def size(self) -> int:
        return self._size

    def smooth_idf(self, term: str) -> float:
        """Lucene's always-positive IDF, ``log(1 + (N - df + 0.5) / (df + 0.5))``.

        Used to weigh how much of a question an answer covers: unlike BM25Okapi's IDF
        it stays meaningful on tiny corpora, and an unseen term (df 0) weighs the most.
        """
        df = self.document_frequency(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def document_frequency(self, term: str) -> int:
        """How many documents hold ``term``."""
        columns = self._columns([term])
        return self._indptr[columns[0] + 1] - self._indptr[columns[0]] if columns else 0

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi.get_scores`` computes it."""
        scores = np.zeros(self.size)
        spans = self._spans(self._columns(query))
        if spans:
            np.add.at(scores, *self._postings(spans))
        return scores

    def score(self, query: Sequence[str], document: int) -> float:
        """One document's score."""
        total = 0.0
        for column in self._columns(query):
            start, end = self._indptr[column], self._indptr[column + 1]
            found = start + int(np.searchsorted(self.indices[start:end], document))
            if found < end and self.indices[found] == document:
                total += float(self.data[found])
        return total

    def top_k(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(document, score)`` pairs with a positive score, best first.

        Ties go to the lower document number, at the cut-off too, so the list is
        exactly the head of rank-bm25's scores sorted by score, then document.
        """
        spans = self._spans(self._columns(query))
        if not spans or k <= 0:
            return []
        documents, sums = self._sums(spans, k)
        # A document is listed at most once per query column, each time with its
        # whole score: the ``k * columns`` best entries hold at least k documents.
        entries = k * len(spans)
        if len(sums) > max(entries, _SORT_IN_PYTHON):
            keep = sums >= np.partition(sums, len(sums) - entries)[len(sums) - entries]
            documents, sums = documents[keep], sums[keep]
        order = np.lexsort((documents, -sums))
        best: list[tuple[int, float]] = []
        # By score, then document: a document's entries are side by side.
        for pair in zip(documents[order].tolist(), sums[order].tolist(), strict=True):
            if not best or pair[0] != best[-1][0]:
                best.append(pair)
                if len(best) == k:
                    break
        return best

    def _columns(self, query: Sequence[str]) -> list[int]:
        """The columns of the known terms of ``query``, in query order."""
        memo = self._memo
        found = {term: memo.get(term, -1) for term in query}
        missing = [term for term, column in found.items() if column == -1]
        if missing:
            looked_up = dict(zip(missing, self.vocabulary.lookup(missing), strict=True))
            found.update(looked_up)
            if len(memo) > _MEMO_TERMS:
                memo.clear()
            memo.update(looked_up)
        return [column for term in query if (column := found[term]) is not None]

    def _spans(self, columns: list[int]) -> list[tuple[int, int]]:
        """Where each column lies in ``indices`` and ``data``."""
        indptr = self._indptr
        return [(indptr[column], indptr[column + 1]) for column in columns]

    def _postings(self, spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """The documents and weights of the columns, one after the other, in query order."""
        rows = np.concatenate([self.indices[start:end] for start, end in spans], dtype=np.intp)
        weights = np.concatenate([self.data[start:end] for start, end in spans])
        return rows, weights

    def _sums(self, spans: list[tuple[int, int]], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Postings' documents and those documents' scores (so a document holding
        several columns may be listed several times, with the same score): every
        document that can be among the ``k`` best, at least once.

        ``np.add.at`` adds the weights one by one in query order, as rank-bm25 adds its
        columns, so every score is rank-bm25's to the last bit. Only the postings read
        are touched, in a few numpy calls whatever the number of columns; the scratch
        scores are cleared whole only when the postings cover much of them.
        """
        if len(spans) == 1:
            start, end = spans[0]
            return self.indices[start:end], self.data[start:end]
        rows, weights = self._postings(spans)
        with self._lock:
            if self._scores is None:
                self._scores = np.zeros(self.size)
            scores = self._scores
            np.add.at(scores, rows, weights)
            cut_off, read = 0.0, None  # all the rows, unless the cut-off skips columns
            if len(rows) > _CUT_OFF_FROM:
                cut_off, read = self._cut_off(spans, rows, scores, k)
            documents = rows if read is None else np.concatenate([rows[i:j] for i, j in read])
            sums = scores[documents]
            # Past one posting in ten documents, clearing the whole array costs less
            # than clearing each posting's document (at 100k and 1M documents alike).
            if len(rows) > len(scores) // 10:
                scores.fill(0)
            else:
                scores[rows] = 0
        if cut_off > 0:
            keep = sums >= cut_off
            documents, sums = documents[keep], sums[keep]
        return documents, sums

    def _cut_off(
        self, spans: list[tuple[int, int]], rows: np.ndarray, scores: np.ndarray, k: int
    ) -> tuple[float, list[tuple[int, int]] | None]:
        """A score at least k documents reach, and the stretches of ``rows`` (one per
        column) that hold every document reaching it (None: all of them).

        The documents of one column are distinct, so the k-th best score in a column
        holding k of them is reached by k documents. The shortest such columns are rare
        terms', whose documents score high: the best of their cut-offs drops most
        documents of a question with a common word. A document found only in columns
        whose largest weights add up to less than the cut-off cannot reach it, so the
        longest such columns are not read back: at 1M documents they hold most of a slow
        question's postings, and gathering their scores took a third of its time.
        """
        lengths = [end - start for start, end in spans]
        starts = list(accumulate(lengths, initial=0))
        fitting = sorted((length, column) for column, length in enumerate(lengths) if length >= k)
        if not fitting:
            return 0.0, None
        cut_off = 0.0
        for _, column in fitting[:_CUT_OFF_COLUMNS]:
            sample = scores[rows[starts[column] : starts[column + 1]]]
            kth = np.partition(sample, len(sample) - k)[len(sample) - k]
            cut_off = max(cut_off, float(kth))
        skipped: set[int] = set()
        bound = 0.0
        for column in sorted(range(len(spans)), key=lengths.__getitem__, reverse=True):
            bound += self._peak(spans[column])
            # A sum of float64s errs by far less than this margin.
            if bound * (1 + 1e-9) >= cut_off:
                break
            skipped.add(column)
        if not skipped:
            return cut_off, None
        return cut_off, [(starts[c], starts[c + 1]) for c in range(len(spans)) if c not in skipped]

    def _peak(self, span: tuple[int, int]) -> float:
        """The largest weight in a column, remembered: common words come back."""
        peak = self._peaks.get(span)
        if peak is None:
            if len(self._peaks) > _MEMO_TERMS:
                self._peaks.clear()
            peak = self._peaks[span] = float(self.data[span[0] : span[1]].max())
        return peak
