"""Stage 6 of the build: the BM25 matrices — over snippets, and over whole notes.

The snippets' matrix is what :class:`~qabot.retriever.bm25.BM25Index` serves. The
notes' matrix is the note ranker's (:mod:`qabot.retriever.note_ranker`): its
documents are the distinct notes, each a note's snippets' terms, then its title's
distinct terms ``title_repeats`` times; words and bigrams are weighed as two corpora.
Both are built with numpy alone and saved with the index, so the first question of a
process costs no more than the next one.

Example:
    >>> bm25 = snippet_matrix(corpus, settings.retriever)  # doctest: +SKIP
    >>> ranker = note_matrix(corpus, NoteParams())  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from qabot.arrays import StringIndex, StringTable, copy_rows, gather_rows
from qabot.config import RetrieverSettings
from qabot.index.arrays import CorpusArrays, IndexArrays
from qabot.retriever.bm25 import BM25Arrays, BM25Index
from qabot.retriever.note_ranker import NoteParams, NoteRankArrays
from qabot.retriever.weights import WeightBlock, stacked_weight_matrix
from qabot.tokenizer import BIGRAM_MARK

# Documents' terms handled per numpy pass when splitting them by kind.
_TERM_BATCH = 1 << 22


def snippet_matrix(corpus: CorpusArrays, retriever: RetrieverSettings) -> BM25Arrays:
    """The snippets' BM25 matrix; raises ``ValueError`` when they hold no searchable word."""
    snippets = corpus.snippets
    if not len(snippets.term_ids):
        raise ValueError("no searchable words in the notes")
    bm25 = BM25Index.from_term_ids(
        np.diff(snippets.term_ptr),
        snippets.term_ids,
        corpus.terms,
        # The snippets' terms come first, numbered from 0 in order of first appearance.
        int(snippets.term_ids.max()) + 1,
        retriever.k1,
        retriever.b,
        retriever.epsilon,
    )
    return bm25.to_arrays()


def note_matrix(corpus: CorpusArrays, params: NoteParams) -> NoteRankArrays:
    """The note ranker's arrays for ``corpus``; raises ``ValueError`` if no note has a
    searchable word."""
    doc_of_note, first_note = _distinct_notes(corpus.note_ptr, corpus.note_order)
    terms, document_ptr = _document_terms(corpus, first_note, params.title_repeats)
    table = corpus.terms
    bigram = _ends_with_bigram_mark(table)
    kinds = [(~bigram, 1.0)] + ([(bigram, params.bigram_weight)] if params.bigram_weight else [])
    # Each kind's terms, renumbered, and document lengths, before any matrix is made:
    # the documents' terms are then freed.
    blocks: list[WeightBlock] = []
    columns: list[np.ndarray] = []
    for kind, weight in kinds:
        if (block := _kind_block(terms, document_ptr, kind, weight)) is not None:
            blocks.append(block[0])
            columns.append(block[1])
    del terms
    if not blocks:
        raise ValueError("no searchable words in the notes")
    merged = stacked_weight_matrix(blocks, params.k1, params.b, params.epsilon)
    del blocks
    offsets, data = gather_rows(table.offsets, table.data, np.concatenate(columns))
    column_terms = StringTable(data, offsets)
    slots = StringIndex.build(column_terms).slots
    bm25 = BM25Arrays(merged.indptr, merged.indices, merged.data, slots)
    return NoteRankArrays(params, doc_of_note, first_note, column_terms, bm25)


def note_matrix_for(arrays: IndexArrays, params: NoteParams) -> NoteRankArrays:
    """The note matrix saved with ``arrays`` if it was built with ``params``; else (a
    reader with other settings) a new one."""
    saved = arrays.note_ranker
    return saved if saved.params == params else note_matrix(arrays.corpus, params)


def _distinct_notes(note_ptr: np.ndarray, note_order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each note's document (-1 without snippets), and each document's first note."""
    doc_of_note = np.full(len(note_ptr) - 1, -1, dtype=np.int32)
    first_notes: list[int] = []
    seen: dict[bytes, int] = {}
    raw = note_order.tobytes()
    ends = (note_ptr * note_order.itemsize).tolist()
    for note in np.flatnonzero(np.diff(note_ptr)).tolist():
        document = seen.setdefault(raw[ends[note] : ends[note + 1]], len(first_notes))
        if document == len(first_notes):
            first_notes.append(note)
        doc_of_note[note] = document
    return doc_of_note, np.array(first_notes, dtype=np.int64)


def _document_terms(
    corpus: CorpusArrays, first_note: np.ndarray, title_repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """The documents' terms, one after the other, and where each one starts (``ptr``):
    the terms of its first note's snippets, then its title's distinct terms
    ``title_repeats`` times.

    Each part is copied straight to its place, so besides the result only the title
    terms are held twice (a million notes' terms take 200 MB).
    """
    sequence_ptr, sequence = gather_rows(corpus.note_ptr, corpus.note_order, first_note)
    snippet_ptr, snippet_terms = corpus.snippets.term_ptr, corpus.snippets.term_ids
    snippet_sizes = snippet_ptr[sequence + 1] - snippet_ptr[sequence]
    sizes = np.add.reduceat(snippet_sizes, sequence_ptr[:-1])  # a document has snippets
    if title_repeats:
        title_ptr, title_terms = _distinct_title_terms(corpus, first_note, title_repeats)
        title_sizes = np.diff(title_ptr)
    else:
        title_sizes = np.zeros_like(sizes)
    document_ptr = np.concatenate([[0], np.cumsum(sizes + title_sizes)])
    terms = np.empty(document_ptr[-1], dtype=snippet_terms.dtype)
    # A snippet's place: where it would be without titles, moved past the earlier titles.
    shift = np.repeat(document_ptr[:-1] - (np.cumsum(sizes) - sizes), np.diff(sequence_ptr))
    starts = np.cumsum(snippet_sizes) - snippet_sizes + shift
    copy_rows(snippet_ptr, snippet_terms, sequence, terms, starts)
    if title_repeats:
        rows = np.arange(len(first_note))
        copy_rows(title_ptr, title_terms, rows, terms, document_ptr[:-1] + sizes)
    return terms, document_ptr


def _distinct_title_terms(
    corpus: CorpusArrays, first_note: np.ndarray, repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, terms)``: each document's title's distinct terms, each ``repeats`` times."""
    titles = corpus.titles
    title_ptr, title_terms = gather_rows(
        titles.term_ptr, titles.term_ids, corpus.notes.title[first_note]
    )
    keys = np.repeat(np.arange(len(first_note), dtype=np.int64), np.diff(title_ptr))
    del title_ptr
    keys <<= 32
    keys |= title_terms
    del title_terms
    keys.sort()
    keys = np.repeat(keys[np.diff(keys, prepend=-1) != 0], repeats)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(keys >> 32, minlength=len(first_note)))])
    return ptr, (keys & 0xFFFFFFFF).astype(np.int32)


def _kind_block(
    terms: np.ndarray, document_ptr: np.ndarray, kind: np.ndarray, weight: float
) -> tuple[WeightBlock, np.ndarray] | None:
    """The documents' terms of one ``kind`` (a flag per term) as a weight block, and
    the terms its columns stand for; ``None`` if no document has such a term.

    Columns in term order: rank-bm25's order (first appearance) would only change the
    rounding of its average IDF, and costs a sort. In batches of terms, as the
    documents' terms of a million notes take 200 MB and a bool or int64 for each
    would take as much again.
    """
    # Terms of the kind before each document's start; at the end, how many in all.
    before = np.empty(len(document_ptr), dtype=np.int64)
    present = np.zeros(len(kind), dtype=bool)
    total = 0
    for start in range(0, len(terms), _TERM_BATCH):
        batch = terms[start : start + _TERM_BATCH]
        chosen = kind[batch]
        present[batch[chosen]] = True
        counts = np.concatenate([[total], total + np.cumsum(chosen)])
        inside = slice(*np.searchsorted(document_ptr, [start, start + len(batch)]))
        before[inside] = counts[document_ptr[inside] - start]
        total = int(counts[-1])
    before[document_ptr >= len(terms)] = total
    if not total:
        return None
    vocabulary = np.flatnonzero(present)
    renumber = np.empty(len(kind), dtype=np.int32)
    renumber[vocabulary] = np.arange(len(vocabulary), dtype=np.int32)
    ids = np.empty(total, dtype=np.int32)
    filled = 0
    for start in range(0, len(terms), _TERM_BATCH):
        batch = terms[start : start + _TERM_BATCH]
        kept = renumber[batch[kind[batch]]]
        ids[filled : filled + len(kept)] = kept
        filled += len(kept)
    return WeightBlock(np.diff(before), ids, len(vocabulary), weight), vocabulary


def _ends_with_bigram_mark(table: StringTable) -> np.ndarray:
    """Whether each string of ``table`` is a bigram term, without making the strings."""
    mark = np.frombuffer(BIGRAM_MARK.encode(), dtype=np.uint8)
    ends = table.offsets[1:]
    long_enough = np.diff(table.offsets) >= len(mark)
    found = long_enough.copy()
    for back, byte in enumerate(mark[::-1], start=1):
        found &= table.data[np.where(long_enough, ends - back, 0)] == byte
    return found
