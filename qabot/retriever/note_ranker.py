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

from qabot.retriever.bm25 import BM25Index, weight_matrix
from qabot.store.assemble import gather_rows
from qabot.store.cache import Arrays, pack_json, unpack_json
from qabot.store.tables import StringIndex, StringTable
from qabot.tokenizer import BIGRAM_MARK

if TYPE_CHECKING:
    from qabot.config import Settings
    from qabot.index import NotesIndex

_PREFIX = "notes_"


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
    def from_settings(cls, settings: Settings) -> NoteParams:
        retriever, reader = settings.retriever, settings.reader
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
    documents = len(first_note)
    terms, sizes = _document_terms(arrays, first_note, params.title_repeats)
    filled = np.flatnonzero(sizes)
    starts = (np.cumsum(sizes) - sizes)[filled]
    del sizes
    table = StringTable(arrays["terms_data"], arrays["terms_offsets"])
    bigram = _ends_with_bigram_mark(table)
    kinds = [(~bigram, 1.0)] + ([(bigram, params.bigram_weight)] if params.bigram_weight else [])
    # Each kind's terms, renumbered, and document lengths, before any matrix is made:
    # the documents' terms are then freed.
    counted: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
    for kind, weight in kinds:
        chosen = kind[terms]
        if chosen.any():
            kept, lengths = terms[chosen], np.zeros(documents, dtype=np.int64)
            lengths[filled] = np.add.reduceat(chosen, starts, dtype=np.int64)
            # Columns in term order: rank-bm25's order (first appearance) would only
            # change the rounding of its average IDF, and costs a sort.
            vocabulary = np.flatnonzero(np.bincount(kept, minlength=len(table)))
            renumber = np.empty(len(table), dtype=np.int32)
            renumber[vocabulary] = np.arange(len(vocabulary), dtype=np.int32)
            counted.append((renumber[kept], lengths, vocabulary, weight))
    del terms
    if not counted:
        raise ValueError("no searchable words in the notes")
    matrices: list[dict[str, np.ndarray]] = []
    for ids, lengths, vocabulary, weight in counted:
        matrix = weight_matrix(lengths, ids, len(vocabulary), params.k1, params.b, params.epsilon)
        del ids
        matrix["data"] *= weight
        matrices.append(matrix)
    columns = [vocabulary for _, _, vocabulary, _ in counted]
    del counted
    merged = _side_by_side(matrices)
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
    """The documents' terms, one after the other, and how many each has: the terms of
    its first note's snippets, then its title's distinct terms ``title_repeats`` times."""
    sequence_ptr, sequence = gather_rows(arrays["note_ptr"], arrays["note_order"], first_note)
    term_ptr, terms = gather_rows(arrays["snippet_term_ptr"], arrays["snippet_term_ids"], sequence)
    sizes = np.diff(term_ptr[sequence_ptr])
    del sequence, term_ptr
    if not title_repeats:
        return terms, sizes
    title_ptr, title_terms = gather_rows(
        arrays["title_term_ptr"], arrays["title_term_ids"], arrays["note_title"][first_note]
    )
    keys = np.repeat(np.arange(len(first_note), dtype=np.int64), np.diff(title_ptr)) << 32
    keys |= title_terms
    keys.sort()
    keys = np.repeat(keys[np.diff(keys, prepend=-1) != 0], title_repeats)
    title_sizes = np.bincount(keys >> 32, minlength=len(first_note))
    # Each document's title terms go right after its snippet terms.
    ends = np.repeat(np.cumsum(sizes), title_sizes)
    terms = np.insert(terms, ends, (keys & 0xFFFFFFFF).astype(np.int32))
    return terms, sizes + title_sizes


def _ends_with_bigram_mark(table: StringTable) -> np.ndarray:
    """Whether each string of ``table`` is a bigram term, without making the strings."""
    mark = np.frombuffer(BIGRAM_MARK.encode(), dtype=np.uint8)
    ends = table.offsets[1:]
    long_enough = np.diff(table.offsets) >= len(mark)
    found = long_enough.copy()
    for back, byte in enumerate(mark[::-1], start=1):
        found &= table.data[np.where(long_enough, ends - back, 0)] == byte
    return found


def _side_by_side(matrices: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One CSC matrix holding the columns of each of ``matrices``, in turn; empties them,
    so each piece is freed as soon as it is copied."""
    shifts = np.cumsum([0] + [int(m["indptr"][-1]) for m in matrices])
    merged = {
        "indptr": np.concatenate(
            [matrices[0]["indptr"][:1]]
            + [m.pop("indptr")[1:] + shift for m, shift in zip(matrices, shifts, strict=False)]
        )
    }
    for name in ("indices", "data"):
        merged[name] = np.empty(shifts[-1], dtype=matrices[0][name].dtype)
        for matrix, start, end in zip(matrices, shifts, shifts[1:], strict=False):
            merged[name][start:end] = matrix.pop(name)
    return merged
