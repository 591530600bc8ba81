"""BM25 retrieval: rank-bm25's BM25Okapi model, served from a sparse weight matrix.

The model is rank-bm25's own; its IDF, document lengths and ``avgdl`` fill a sparse
matrix holding each term's BM25 weight in each document, so a query costs only its
terms' postings instead of a Python loop over every document.

One change to rank-bm25, for tiny corpora: an IDF that comes out zero or negative
(every term of a one-note folder; a term in half of a two-note one) is raised to
``epsilon * average_idf``, or to ``epsilon`` when that average is not positive, so a
one- or two-note folder still answers. Larger corpora are not affected.

Example:
    >>> index = BM25Index([["adamw", "优化器"], ["梯度", "检查点"], ["学习率"]])
    >>> [doc for doc, _ in index.top_k(["检查点"], k=1)]
    [1]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi
from scipy import sparse


class BM25Index:
    """Scores and ranks tokenized documents for tokenized queries."""

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        if not any(corpus):
            raise ValueError("no searchable words in the notes")
        self.model = BM25Okapi([list(doc) for doc in corpus], k1=k1, b=b, epsilon=epsilon)
        _raise_nonpositive_idf(self.model)
        self.vocabulary = {term: column for column, term in enumerate(self.model.idf)}
        self.matrix = self._weights()

    @property
    def size(self) -> int:
        return self.model.corpus_size

    def smooth_idf(self, term: str) -> float:
        """Lucene's always-positive IDF, ``log(1 + (N - df + 0.5) / (df + 0.5))``.

        Used to weigh how much of a question an answer covers: unlike BM25Okapi's IDF
        it stays meaningful on tiny corpora, and an unseen term (df 0) weighs the most.
        """
        column = self.vocabulary.get(term)
        df = (
            0
            if column is None
            else int(self.matrix.indptr[column + 1] - self.matrix.indptr[column])
        )
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi.get_scores`` computes it."""
        scores = np.zeros(self.size)
        documents, sums = self._candidates(query)
        scores[documents] = sums
        return scores

    def score(self, query: Sequence[str], document: int) -> float:
        """One document's score."""
        documents, sums = self._candidates(query)
        found = np.flatnonzero(documents == document)
        return float(sums[found[0]]) if len(found) else 0.0

    def top_k(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(document, score)`` pairs with a positive score, best first."""
        documents, sums = self._candidates(query)
        positive = sums > 0
        documents, sums = documents[positive], sums[positive]
        if len(sums) > k:
            # argpartition on the candidates only: most documents score exactly 0.
            keep = np.argpartition(-sums, k - 1)[:k]
            documents, sums = documents[keep], sums[keep]
        order = np.lexsort((documents, -sums))
        return [(int(documents[i]), float(sums[i])) for i in order]

    def _candidates(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(term for term in query if term in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = [self.vocabulary[term] for term in counts]
        postings = self.matrix[:, columns]
        weights = postings.data * np.repeat(list(counts.values()), np.diff(postings.indptr))
        documents, inverse = np.unique(postings.indices, return_inverse=True)
        return documents.astype(np.int64), np.bincount(inverse, weights=weights)

    def _weights(self) -> sparse.csc_matrix:
        model = self.model
        rows: list[int] = []
        columns: list[int] = []
        frequencies: list[int] = []
        for document, term_counts in enumerate(model.doc_freqs):
            for term, count in term_counts.items():
                rows.append(document)
                columns.append(self.vocabulary[term])
                frequencies.append(count)
        row_array = np.asarray(rows, dtype=np.int64)
        tf = np.asarray(frequencies, dtype=np.float64)
        idf = np.asarray(list(model.idf.values()), dtype=np.float64)[columns]
        lengths = np.asarray(model.doc_len, dtype=np.float64)[row_array]
        avgdl = model.avgdl or 1.0
        norm = model.k1 * (1 - model.b + model.b * lengths / avgdl)
        weights = idf * tf * (model.k1 + 1) / (tf + norm)
        shape = (model.corpus_size, len(self.vocabulary))
        return sparse.csc_matrix((weights, (row_array, columns)), shape=shape)


def _raise_nonpositive_idf(model: BM25Okapi) -> None:
    floor = model.epsilon * model.average_idf
    if floor <= 0:
        floor = model.epsilon or 0.25
    for term, value in model.idf.items():
        if value <= 0:
            model.idf[term] = floor
