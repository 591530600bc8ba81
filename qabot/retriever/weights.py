"""BM25Okapi weight matrices: each term's weight in each document, as rank-bm25 computes it.

Built in batches of documents with numpy, so no array the size of all the corpus's
tokens is made besides the result. The IDF is rank-bm25's own ``_calc_idf``.

Example:
    >>> matrix = weight_matrix(np.array([2, 1]), np.array([0, 1, 1]), 2, 1.5, 0.75, 0.25)
    >>> matrix.indptr.tolist(), matrix.indices.tolist()
    ([0, 1, 3], [0, 0, 1])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from qabot.arrays import return_freed_memory

# Tokens sorted and weighed per numpy pass when building; bounds the temporary arrays.
_WEIGHT_BATCH = 1 << 18


@dataclass(eq=False, slots=True)
class WeightMatrix:
    """A CSC matrix: column ``t`` (a term) holds ``data[indptr[t]:indptr[t + 1]]``, the
    term's weights in documents ``indices[indptr[t]:indptr[t + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def weight_matrix(
    lengths: np.ndarray,
    term_ids: np.ndarray,
    vocabulary_size: int,
    k1: float,
    b: float,
    epsilon: float,
) -> WeightMatrix:
    """The BM25Okapi weights of documents of ``lengths`` tokens."""
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
) -> WeightMatrix:
    """One matrix holding each block's BM25Okapi weight columns in turn.

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
    return WeightMatrix(indptr, indices, data)


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
