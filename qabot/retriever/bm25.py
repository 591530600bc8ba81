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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np

from qabot.store.memory import return_freed_memory
from qabot.store.tables import StringIndex, StringTable, first_appearance_ids

# Up to this many entries, the best are picked by sorting them all.
_SORT_IN_PYTHON = 64
# Tokens sorted and weighed per numpy pass when building; bounds the temporary arrays.
_WEIGHT_BATCH = 1 << 18
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
        vocabulary, term_ids = first_appearance_ids(list(chain.from_iterable(documents)))
        lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        terms = StringTable(*StringTable.pack(vocabulary))
        arrays = weight_matrix(lengths, term_ids, len(vocabulary), k1, b, epsilon)
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
        arrays = weight_matrix(lengths, term_ids, vocabulary_size, k1, b, epsilon)
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
        # Item access without numpy's per-call cost.
        self._indptr = memoryview(self.indptr).cast("B").cast("q")
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
        documents, sums = self._sums(spans)
        # A document is listed once per query column holding it, each time with its
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

    def _sums(self, spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Each posting's document and that document's score (so a document holding
        several columns is listed several times, with the same score).

        ``np.add.at`` adds the weights one by one in query order, as rank-bm25 adds its
        columns, so every score is rank-bm25's to the last bit. Only the postings read
        are touched: a few numpy calls whatever the number of columns, and no pass
        over every document.
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
            sums = scores[rows]
            scores[rows] = 0
        return rows, sums


def weight_matrix(
    lengths: np.ndarray,
    term_ids: np.ndarray,
    vocabulary_size: int,
    k1: float,
    b: float,
    epsilon: float,
) -> dict[str, np.ndarray]:
    """The CSC arrays of BM25Okapi weights for documents of ``lengths`` tokens."""
    return stacked_weight_matrix([WeightBlock(lengths, term_ids, vocabulary_size)], k1, b, epsilon)


@dataclass(frozen=True, slots=True)
class WeightBlock:
    """Columns of a weight matrix weighed as a corpus of their own: documents of
    ``lengths`` tokens with these ``term_ids`` (below ``vocabulary_size``), weights
    multiplied by ``scale``."""

    lengths: np.ndarray
    term_ids: np.ndarray
    vocabulary_size: int
    scale: float = 1.0


def stacked_weight_matrix(
    blocks: Sequence[WeightBlock], k1: float, b: float, epsilon: float
) -> dict[str, np.ndarray]:
    """One CSC matrix holding each block's BM25Okapi weight columns in turn.

    Each block has its own document lengths, ``avgdl`` and IDF, as if weighed alone.
    Two passes over batches of documents, each sorting only its own postings: the
    first counts each term's documents, the second writes each batch's weights into
    its columns' next free places. So no array the size of all the corpus's tokens
    is made besides the result, whatever the corpus size.
    """
    if not blocks or any(len(block.lengths) == 0 or len(block.term_ids) == 0 for block in blocks):
        raise ValueError("no searchable words in the notes")
    frequencies = [_document_frequencies(block) for block in blocks]
    # Before the result is made: rank-bm25's IDF takes a few dicts of every term.
    idfs = [
        _rank_bm25_idf(df, len(block.lengths), epsilon)
        for block, df in zip(blocks, frequencies, strict=True)
    ]
    # Counting left the batches' temporary arrays in the C heap; the result needs fresh pages.
    return_freed_memory()
    indptr = np.zeros(sum(len(df) for df in frequencies) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(frequencies), out=indptr[1:])
    del frequencies
    indices = np.empty(indptr[-1], dtype=np.int32)
    data = np.empty(indptr[-1], dtype=np.float64)
    first_column = 0
    for block, idf in zip(blocks, idfs, strict=True):
        columns = slice(first_column, first_column + len(idf))
        _fill_weights(block, idf, indptr[columns].copy(), indices, data, k1, b)
        if block.scale != 1.0:
            data[indptr[columns.start] : indptr[columns.stop]] *= block.scale
        first_column = columns.stop
    return {"indptr": indptr, "indices": indices, "data": data}


def _document_frequencies(block: WeightBlock) -> np.ndarray:
    df = np.zeros(block.vocabulary_size, dtype=np.int64)
    for columns, _, _ in _batch_postings(block.lengths, block.term_ids):
        first, counts = _runs(columns)
        df[columns[first]] += counts
    return df


def _fill_weights(
    block: WeightBlock,
    idf: np.ndarray,
    free: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    k1: float,
    b: float,
) -> None:
    """Write the block's postings at their columns' ``free`` places (which advance)."""
    lengths = block.lengths
    avgdl = int(lengths.sum()) / len(lengths)
    for columns, rows, tf in _batch_postings(lengths, block.term_ids):
        # rank-bm25's get_scores expression, operation for operation:
        # idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avgdl)))
        norm = b * lengths[rows]
        norm /= avgdl
        norm += 1 - b
        norm *= k1
        weight = tf.astype(np.float64)
        norm += weight
        weight *= k1 + 1
        weight /= norm
        weight *= idf[columns]
        # Postings come sorted by column: each one's place is its column's next free
        # place plus its rank among the batch's postings of that column.
        first, counts = _runs(columns)
        places = free[columns] + (np.arange(len(columns)) - np.repeat(first, counts))
        indices[places] = rows
        data[places] = weight
        free[columns[first]] += counts


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in sorted ``values``, and its length."""
    first = np.flatnonzero(np.diff(values, prepend=-1))
    return first, np.diff(first, append=len(values))


def _batch_postings(
    lengths: np.ndarray, term_ids: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(term, document, count)`` of each distinct term of each document, in batches of
    documents holding about ``_WEIGHT_BATCH`` tokens, each sorted by term, then document."""
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(_WEIGHT_BATCH, ends[-1], _WEIGHT_BATCH))
    for first, last in pairwise([0, *np.unique(cuts).tolist(), len(lengths)]):
        if first == last:
            continue
        start = ends[first - 1] if first else 0
        documents = np.repeat(np.arange(first, last, dtype=np.int64), lengths[first:last])
        # (term << 32 | document), sorted: a document's repeats of a term side by side.
        keys = term_ids[start : ends[last - 1]].astype(np.int64) << 32
        keys |= documents
        keys.sort()
        starts = np.flatnonzero(np.diff(keys, prepend=-1))
        tf = np.diff(starts, append=len(keys))
        keys = keys[starts]
        yield (keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.int32), tf


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
