"""BM25 over whole notes: the reader's first stage.

Retrieving the right note is much easier than retrieving the right sentence: a note
holds the topic's name and its context, the answer sentence often holds neither. So
notes are ranked first, over documents made of their snippets' terms; notes with the
same snippets (copies of a note in several files) are one document, so copies do not
lower a term's IDF.

Words and character bigrams are weighed apart (each with its own document lengths
and IDF) and a bigram's weight is multiplied by ``bigram_weight``: a four-character
word brings three bigrams, and at full weight would outweigh an English name, which
brings none. Both kinds of columns then sit in one matrix, so a question is one
sparse top-k, however many notes there are. The matrix is built with the index
(:mod:`qabot.build.note_matrix`) and saved with it.

Example:
    >>> ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)  # doctest: +SKIP
    >>> ranker.top(["deepseek-v3", "参数"], 2)  # doctest: +SKIP
    [(2, 14.71), (0, 3.05)]
    >>> ranker.snippets_of(2)[:3]  # doctest: +SKIP
    [18, 19, 20]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qabot.arrays import StringTable
from qabot.config import ReaderSettings, RetrieverSettings
from qabot.retriever.bm25 import BM25Arrays, BM25Index


@dataclass(frozen=True, slots=True)
class NoteParams:
    """What the note matrix depends on besides the notes: BM25's parameters, how many
    times a note's title terms are added to it, and the bigrams' weight."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    title_repeats: int = 1
    bigram_weight: float = 0.25

    @classmethod
    def from_settings(cls, retriever: RetrieverSettings, reader: ReaderSettings) -> NoteParams:
        return cls(
            retriever.k1, retriever.b, retriever.epsilon, reader.title_repeats, reader.bigram_weight
        )


@dataclass(eq=False, slots=True)
class NoteRankArrays:
    """The note matrix: ``doc_of_note[note]`` is a note's document (-1 for a note without
    snippets), ``first_note[doc]`` the first note of a document; ``terms`` are the
    matrix's column terms; ``params`` what it was built with."""

    params: NoteParams
    doc_of_note: np.ndarray
    first_note: np.ndarray
    terms: StringTable
    bm25: BM25Arrays


class NoteRanker:
    """Ranks the distinct notes of an index."""

    def __init__(self, arrays: NoteRankArrays, note_snippets: Mapping[int, list[int]]) -> None:
        self.doc_of_note = arrays.doc_of_note
        self.first_note = arrays.first_note
        self.note_snippets = note_snippets
        self.bm25 = BM25Index.from_arrays(arrays.bm25, arrays.terms, len(self.first_note))

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(document, score)`` pairs with a positive score, best first."""
        return self.bm25.top_k(query, k)

    def snippets_of(self, document: int) -> list[int]:
        """The snippets of ``document``, in reading order."""
        return self.note_snippets[int(self.first_note[document])]
