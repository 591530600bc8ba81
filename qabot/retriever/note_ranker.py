"""BM25 over whole notes: the reader's first stage, built with the index and saved with it.

Retrieving the right note is much easier than retrieving the right sentence: a note
holds the topic's name and its context, the answer sentence often holds neither. So
notes are ranked first, over documents made of their snippets' terms; notes with the
same snippets (copies of a note in several files) are one document, so copies do not
lower a term's IDF.

Words and character bigrams are weighed apart (each with its own document lengths
and IDF) and a bigram's weight is multiplied by ``bigram_weight``: a four-character
word brings three bigrams, and at full weight would outweigh an English name, which
brings none. Both kinds of columns then sit in one matrix, so a question is one
sparse top-k, however many notes there are.

The matrix is built from the index arrays with numpy alone, when the index is built
(:func:`note_arrays`), and saved in the snapshot, so the first question of a process
costs no more than the next one.

Example:
    >>> ranker = NoteRanker.for_index(index, NoteParams())  # doctest: +SKIP
    >>> ranker.top(["deepseek-v3", "参数"], 2)  # doctest: +SKIP
    [(2, 14.71), (0, 3.05)]
    >>> ranker.snippets_of(2)[:3]  # doctest: +SKIP
    [18, 19, 20]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qabot.retriever.bm25 import BM25Index, WeightBlock, stacked_weight_matrix
from qabot.store.assemble import copy_rows, gather_rows
from qabot.store.cache import Arrays, pack_json, unpack_json
from qabot.store.tables import StringIndex, StringTable
from qabot.tokenizer import BIGRAM_MARK

if TYPE_CHECKING:
    from qabot.config import ReaderSettings, RetrieverSettings
    from qabot.index import NotesIndex

_PREFIX = "notes_"
# Documents' terms handled per numpy pass when splitting them by kind.
_TERM_BATCH = 1 << 22


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


class NoteRanker:
    """Ranks the distinct notes of an index; ``doc_of_note[note]`` is a note's document
    (-1 for a note without snippets)."""

    def __init__(self, index: NotesIndex, arrays: Mapping[str, np.ndarray]) -> None:
        self.index = index
        self.doc_of_note = arrays[f"{_PREFIX}doc_of_note"]
        self.first_note = arrays[f"{_PREFIX}first_note"]
        terms = StringTable(arrays[f"{_PREFIX}terms_data"], arrays[f"{_PREFIX}terms_offsets"])
        prefix = f"{_PREFIX}bm25_"
        self.bm25 = BM25Index.from_arrays(
            {name.removeprefix(prefix): a for name, a in arrays.items() if name.startswith(prefix)},
            terms,
            len(self.first_note),
        )

    @classmethod
    def for_index(cls, index: NotesIndex, params: NoteParams) -> NoteRanker:
        """The ranker saved with ``index`` if it was built with ``params``, else a new one."""
        arrays = index.arrays
        saved = arrays.get(f"{_PREFIX}params")
        if saved is None or unpack_json(saved) != dataclasses.asdict(params):
            arrays = note_arrays(arrays, params)
        return cls(index, arrays)

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(document, score)`` pairs with a positive score, best first."""
        return self.bm25.top_k(query, k)

    def snippets_of(self, document: int) -> list[int]:
        """The snippets of ``document``, in reading order."""
        return self.index.note_snippets[int(self.first_note[document])]


def note_arrays(arrays: Mapping[str, np.ndarray], params: NoteParams) -> Arrays:
    """The note ranker's arrays (all named ``notes_*``) for the index ``arrays``."""
    doc_of_note, first_note = _distinct_notes(arrays["note_ptr"], arrays["note_order"])
    terms, document_ptr = _document_terms(arrays, first_note, params.title_repeats)
    table = StringTable(arrays["terms_data"], arrays["terms_offsets"])
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
    merged["term_slots"] = StringIndex.build(StringTable(data, offsets)).slots
    return {
        f"{_PREFIX}params": pack_json(dataclasses.asdict(params)),
        f"{_PREFIX}doc_of_note": doc_of_note,
        f"{_PREFIX}first_note": first_note,
        f"{_PREFIX}terms_data": data,
        f"{_PREFIX}terms_offsets": offsets,
        **{f"{_PREFIX}bm25_{name}": array for name, array in merged.items()},
    }


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
    arrays: Mapping[str, np.ndarray], first_note: np.ndarray, title_repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """The documents' terms, one after the other, and where each one starts (``ptr``):
    the terms of its first note's snippets, then its title's distinct terms
    ``title_repeats`` times.

    Each part is copied straight to its place, so besides the result only the title
    terms are held twice (a million notes' terms take 200 MB).
    """
    sequence_ptr, sequence = gather_rows(arrays["note_ptr"], arrays["note_order"], first_note)
    snippet_ptr, snippet_terms = arrays["snippet_term_ptr"], arrays["snippet_term_ids"]
    snippet_sizes = snippet_ptr[sequence + 1] - snippet_ptr[sequence]
    sizes = np.add.reduceat(snippet_sizes, sequence_ptr[:-1])  # a document has snippets
    if title_repeats:
        title_ptr, title_terms = _distinct_title_terms(arrays, first_note, title_repeats)
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
    arrays: Mapping[str, np.ndarray], first_note: np.ndarray, repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, terms)``: each document's title's distinct terms, each ``repeats`` times."""
    title_ptr, title_terms = gather_rows(
        arrays["title_term_ptr"], arrays["title_term_ids"], arrays["note_title"][first_note]
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
