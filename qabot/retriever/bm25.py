"""BM25 retrieval: rank-bm25's BM25Okapi scores, served from a sparse weight matrix.

The IDF is computed by rank-bm25's own ``BM25Okapi._calc_idf``; document lengths and
``avgdl`` are the token counts and their mean, as rank-bm25 takes them. Those fill a
compressed sparse column matrix (CSC: ``indptr``, ``indices``, ``data``) holding each
term's BM25Okapi weight in each document, computed with rank-bm25's expression in
float64. A query adds up only its terms' columns, in query order, so scores equal
``BM25Okapi.get_scores`` bit for bit, at a cost proportional to the postings read
instead of a Python loop over every document.

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
from collections.abc import Mapping, Sequence
from itertools import chain, count

import numpy as np

from qabot.store.tables import StringIndex, StringTable

# Up to this many candidates, the best are picked by a plain sort.
_SORT_IN_PYTHON = 64
# Below this many documents per query column, summing into a score for every document
# (a handful of numpy calls) beats visiting the columns one by one (several calls each).
_DENSE_PER_COLUMN = 4000
# Postings weighed per numpy pass when building; bounds the temporary arrays.
_WEIGHT_BATCH = 1 << 22
# Query terms whose columns are remembered; past this the memo starts afresh.
_MEMO_TERMS = 100_000


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
        # Terms numbered in order of first appearance, iterating in C, not per token in Python.
        vocabulary = dict(zip(dict.fromkeys(chain.from_iterable(documents)), count()))
        term_ids = np.fromiter(
            map(vocabulary.__getitem__, chain.from_iterable(documents)), dtype=np.int32
        )
        lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        terms = StringTable(*StringTable.pack(list(vocabulary)))
        arrays = _weight_matrix(lengths, term_ids, len(vocabulary), k1, b, epsilon)
        self._open(StringIndex.build(terms), arrays, len(documents))

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
        arrays = _weight_matrix(lengths, term_ids, vocabulary_size, k1, b, epsilon)
        index._open(StringIndex.build(terms, vocabulary_size), arrays, len(lengths))
        return index

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], terms: StringTable, size: int
    ) -> BM25Index:
        """The index :meth:`to_arrays` saved, over ``size`` documents and ``terms``."""
        index = cls.__new__(cls)
        vocabulary = StringIndex(terms, arrays["term_slots"], len(arrays["indptr"]) - 1)
        index._open(vocabulary, arrays, size)
        return index

    def _open(self, vocabulary: StringIndex, arrays: Mapping[str, np.ndarray], size: int) -> None:
        self.vocabulary = vocabulary
        self.indptr = np.asarray(arrays["indptr"], dtype=np.int64)
        self.indices = np.asarray(arrays["indices"], dtype=np.int32)
        self.data = np.asarray(arrays["data"], dtype=np.float64)
        if not (
            len(self.indptr) == len(vocabulary) + 1
            and self.indptr[-1] == len(self.indices) == len(self.data)
        ):
            raise ValueError("BM25 arrays do not fit together")
        self._size = size
        self._indptr = memoryview(self.indptr).cast("B").cast("q")  # ints without numpy calls
        # Columns of recent query terms: most questions reuse common words.
        self._memo: dict[str, int | None] = {}
        # Scratch scores for multi-term queries, zero between queries; the lock lets
        # several threads (the Telegram adapter) ask at once.
        self._scores: np.ndarray | None = None
        self._lock = threading.Lock()

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The weight matrix and the term lookup as plain arrays (the term strings are
        the caller's ``terms``)."""
        return {
            "indptr": self.indptr,
            "indices": self.indices,
            "data": self.data,
            "term_slots": self.vocabulary.slots,
        }

    @property
    def size(self) -> int:
        return self._size

    def smooth_idf(self, term: str) -> float:
        """Lucene's always-positive IDF, ``log(1 + (N - df + 0.5) / (df + 0.5))``.

        Used to weigh how much of a question an answer covers: unlike BM25Okapi's IDF
        it stays meaningful on tiny corpora, and an unseen term (df 0) weighs the most.
        """
        columns = self._columns([term])
        df = self._indptr[columns[0] + 1] - self._indptr[columns[0]] if columns else 0
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi.get_scores`` computes it."""
        scores = np.zeros(self.size)
        documents, sums = self._candidates(query)
        scores[documents] = sums
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
        documents, sums = self._candidates(query)
        if len(sums) > max(k, _SORT_IN_PYTHON):
            keep = _best(documents, sums, k)
            documents, sums = documents[keep], sums[keep]
        pairs = zip(documents.tolist(), sums.tolist(), strict=True)
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:k]

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

    def _candidates(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding some query term, and their scores.

        Each column is added in query order, as rank-bm25 adds them, so every sum
        is rank-bm25's to the last bit.
        """
        indptr = self._indptr
        bounds = [(indptr[column], indptr[column + 1]) for column in self._columns(query)]
        if len(bounds) <= 1:
            start, end = bounds[0] if bounds else (0, 0)
            return self.indices[start:end], self.data[start:end]
        if self.size < _DENSE_PER_COLUMN * len(bounds):
            return self._dense_sums(bounds)
        return self._sparse_sums(bounds)

    def _dense_sums(self, bounds: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Sums into a zeroed score per document: few numpy calls, but a pass over all."""
        rows = np.concatenate([self.indices[start:end] for start, end in bounds])
        weights = np.concatenate([self.data[start:end] for start, end in bounds])
        scores = np.bincount(rows, weights, minlength=self.size)
        documents = np.flatnonzero(scores)
        return documents, scores[documents]

    def _sparse_sums(self, bounds: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Sums touching only the postings read, column by column, in a kept buffer."""
        with self._lock:
            if self._scores is None:
                self._scores = np.zeros(self.size)
            scores = self._scores
            found = []
            # A document still at 0 is met for the first time: weights are positive.
            for start, end in bounds:
                rows = self.indices[start:end]
                before = scores[rows]
                found.append(rows[before == 0])
                scores[rows] = before + self.data[start:end]
            documents = np.concatenate(found)
            sums = scores[documents]
            scores[documents] = 0
        return documents, sums


def _best(documents: np.ndarray, sums: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best candidates: higher sum, then lower document.

    Partitions the candidates' sums only: numpy's partition is slow when most of its
    input is exactly 0, as a score for every document would be.
    """
    cut = np.partition(sums, len(sums) - k)[len(sums) - k]
    keep = np.flatnonzero(sums >= cut)
    if len(keep) > k:  # ties at the cut: the lowest documents among them
        above = keep[sums[keep] > cut]
        tied = keep[sums[keep] == cut]
        tied = tied[np.argsort(documents[tied], kind="stable")[: k - len(above)]]
        keep = np.concatenate([above, tied])
    return keep


def _weight_matrix(
    lengths: np.ndarray,
    term_ids: np.ndarray,
    vocabulary_size: int,
    k1: float,
    b: float,
    epsilon: float,
) -> dict[str, np.ndarray]:
    """The CSC arrays of BM25Okapi weights for documents of ``lengths`` tokens."""
    size = len(lengths)
    if size == 0 or len(term_ids) == 0:
        raise ValueError("no searchable words in the notes")
    # (term << 32 | document) for every token, sorted: postings by term, then by
    # document (the CSC layout), a document's repeats of a term side by side.
    postings = term_ids.astype(np.int64)
    postings <<= 32
    np.bitwise_or(postings, np.repeat(np.arange(size, dtype=np.int32), lengths), out=postings)
    postings.sort()
    first = np.empty(len(postings), dtype=bool)
    first[0] = True
    np.not_equal(postings[1:], postings[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    del first
    tf = np.diff(starts, append=len(postings)).astype(np.int32)
    postings = postings[starts]
    del starts
    columns = (postings >> 32).astype(np.int32)
    rows = (postings & 0xFFFFFFFF).astype(np.int32)
    del postings
    df = np.bincount(columns, minlength=vocabulary_size)
    idf = _rank_bm25_idf(df, size, epsilon)
    avgdl = int(lengths.sum()) / size
    data = np.empty(len(rows), dtype=np.float64)
    for start in range(0, len(rows), _WEIGHT_BATCH):
        part = slice(start, start + _WEIGHT_BATCH)
        # rank-bm25's get_scores expression, operation for operation:
        # idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avgdl)))
        norm = b * lengths[rows[part]]
        norm /= avgdl
        norm += 1 - b
        norm *= k1
        weight = tf[part].astype(np.float64)
        norm += weight
        weight *= k1 + 1
        weight /= norm
        weight *= idf[columns[part]]
        data[part] = weight
    indptr = np.zeros(vocabulary_size + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return {"indptr": indptr, "indices": rows, "data": data}


def _rank_bm25_idf(df: np.ndarray, size: int, epsilon: float) -> np.ndarray:
    """IDF per term id, by rank-bm25's own ``BM25Okapi._calc_idf``, raised where not positive.

    ``_calc_idf`` reads only ``corpus_size``, ``epsilon`` and the document frequencies
    (in first-appearance order, which sets its average IDF); feeding it those directly
    skips rank-bm25's Python loop over every token of the corpus.
    """
    from rank_bm25 import BM25Okapi  # only when building: it is not needed to answer

    model = BM25Okapi.__new__(BM25Okapi)
    model.corpus_size, model.epsilon, model.idf = size, epsilon, {}
    model._calc_idf(dict(enumerate(df.tolist())))
    floor = model.epsilon * model.average_idf
    if floor <= 0:
        floor = model.epsilon or 0.25
    idf = np.fromiter(model.idf.values(), dtype=np.float64, count=len(df))
    return np.where(idf > 0, idf, floor)
