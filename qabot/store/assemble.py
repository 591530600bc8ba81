"""Join a folder's parts into one index: dedup, one vocabulary and reading order; BM25.

Everything here works on flat numpy arrays, so joining a million snippets takes
seconds; only deduplication looks at the texts themselves.

The result is the dictionary of arrays that is saved as the snapshot and that
:meth:`qabot.index.NotesIndex.from_arrays` reads:

- notes: ``note_source``, ``note_line``, ``note_start``, ``note_end``, ``note_title``
  (a row of the distinct ``title`` strings, with a hash lookup), ``note_text``,
  ``note_kind`` (an index into :data:`qabot.schema.NOTE_KINDS`);
- snippets: their text (``snippet``), and their places (``place_*``, grouped by
  ``place_ptr``; a place is a note, character offsets in its file and their line);
- terms: ``terms`` (BM25's terms in order of first appearance, then the terms found
  only in titles), ``snippet_term_*`` and ``title_term_*`` (ids into ``terms``);
- reading order: ``note_order`` grouped by ``note_ptr``, each note's snippets by offset;
- BM25: ``bm25_*``, the weight matrix and term lookup (see :mod:`qabot.retriever.bm25`),
  made by :func:`bm25_arrays` once the rest is joined.

Example:
    >>> arrays = assemble(["a.txt"], [part], [], settings)  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from qabot.config import Settings
from qabot.ingest.dedup import Deduplicator
from qabot.retriever.bm25 import BM25Index
from qabot.store.cache import Arrays, pack_json, unpack_json
from qabot.store.tables import StringIndex, StringTable

# Term ids per batch when finding their first appearances.
_FIRST_BATCH = 1 << 22
# Rows gathered per batch, bounding the index arrays of a gather.
_GATHER_ROWS = 1 << 16
# Term ids renumbered per batch, in place.
_RENUMBER_BATCH = 1 << 22


def assemble(
    sources: Sequence[str],
    parts: Sequence[Arrays],
    skipped: Sequence[tuple[str, str]],
    settings: Settings,
) -> Arrays:
    """The index arrays of the readable files ``sources``, whose parts are ``parts``,
    but for the BM25 matrix (:func:`bm25_arrays`).

    Empties each part once its arrays are copied out, so a cached part's file mapping
    is released at once and a large folder is never held twice.
    """
    joined = _Joined()
    for source, part in zip(sources, parts, strict=True):
        joined.add(source, part)
        part.clear()
    # Joined at once and the parts' pieces freed: the term rows, kept to the end, sat
    # through dedup and BM25 (0.2 GB at 1M snippets).
    raw_term_ptr, raw_terms = _concat_rows(joined.raw_rows)
    title_term_ptr, title_terms = _concat_rows(joined.title_rows)
    del joined.raw_rows, joined.title_rows
    joined.join_pieces()
    # Packed at once: a Python string per term would stay alive through dedup.
    names = StringTable(*StringTable.pack(list(joined.vocabulary)))
    title_table = StringTable(*StringTable.pack(list(joined.titles)))
    del joined.vocabulary, joined.titles
    raw_text_data, raw_text_offsets = joined.strings("snippet")
    raw_note, raw_start, raw_end, raw_line = (
        joined.array(name)
        for name in ("snippet_note", "snippet_start", "snippet_end", "snippet_line")
    )

    groups = Deduplicator(settings.ingest.near_duplicate_threshold).assign(
        StringTable(raw_text_data, raw_text_offsets)
    )
    count = int(groups.max()) + 1
    places = np.argsort(groups, kind="stable")  # grouped by snippet, in reading order
    place_ptr = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=count))])
    first = places[place_ptr[:-1]]
    snippet_offsets, snippet_data = gather_rows(raw_text_offsets, raw_text_data, first)
    del raw_text_data, raw_text_offsets
    snippet_term_ptr, snippet_terms = gather_rows(raw_term_ptr, raw_terms, first)
    del raw_term_ptr, raw_terms

    # Number terms in order of first appearance in the snippets, as rank-bm25 meets them.
    in_order = _first_appearances(snippet_terms, len(names))
    title_only = np.setdiff1d(np.unique(title_terms), in_order)
    renumber = np.full(len(names), -1, dtype=np.int32)
    renumber[in_order] = np.arange(len(in_order), dtype=np.int32)
    renumber[title_only] = np.arange(len(in_order), len(in_order) + len(title_only))
    terms_offsets, terms_data = gather_rows(
        names.offsets, names.data, np.concatenate([in_order, title_only])
    )
    terms = StringTable(terms_data, terms_offsets)
    del names
    _renumber(snippet_terms, renumber)

    notes = joined.notes
    reading = np.lexsort((groups, raw_start, raw_note))
    note_ptr = np.concatenate([[0], np.cumsum(np.bincount(raw_note, minlength=notes))])
    meta = {
        "sources": list(sources),
        "stats": {
            "files": len(parts),
            "notes": notes,
            "snippets_before_dedup": len(groups),
            "snippets": count,
        },
        "skipped": [list(item) for item in skipped],
        "replaced": joined.replaced,
    }
    note_text_data, note_text_offsets = joined.strings("note_text")
    return {
        "meta": pack_json(meta),
        "terms_data": terms.data,
        "terms_offsets": terms.offsets,
        "note_source": joined.array("note_source"),
        "note_line": joined.array("note_line"),
        "note_start": joined.array("note_start"),
        "note_end": joined.array("note_end"),
        "note_title": joined.array("note_title"),
        "note_kind": joined.array("note_kind"),
        "note_text_data": note_text_data,
        "note_text_offsets": note_text_offsets,
        "title_data": title_table.data,
        "title_offsets": title_table.offsets,
        "title_slots": StringIndex.build(title_table).slots,
        "snippet_data": snippet_data,
        "snippet_offsets": snippet_offsets,
        "place_ptr": place_ptr,
        "place_note": raw_note[places],
        "place_start": raw_start[places],
        "place_end": raw_end[places],
        "place_line": raw_line[places],
        "snippet_term_ptr": snippet_term_ptr,
        "snippet_term_ids": snippet_terms,
        "title_term_ptr": title_term_ptr,
        "title_term_ids": renumber[title_terms],
        "note_ptr": note_ptr,
        "note_order": groups[reading].astype(np.int32),
    }


def bm25_arrays(arrays: Arrays, settings: Settings) -> Arrays:
    """The snippets' BM25 matrix (``bm25_*``) for the arrays :func:`assemble` made.

    Raises ``ValueError`` when the snippets hold no searchable word.
    """
    snippet_terms = arrays["snippet_term_ids"]
    if not len(snippet_terms):
        raise ValueError("no searchable words in the notes")
    bm25 = BM25Index.from_term_ids(
        np.diff(arrays["snippet_term_ptr"]),
        snippet_terms,
        StringTable(arrays["terms_data"], arrays["terms_offsets"]),
        # The snippets' terms come first, numbered from 0 in order of first appearance.
        int(snippet_terms.max()) + 1,
        settings.retriever.k1,
        settings.retriever.b,
        settings.retriever.epsilon,
    )
    return {f"bm25_{name}": array for name, array in bm25.to_arrays().items()}


class _Joined:
    """The parts' arrays copied out one part at a time, with one vocabulary and one
    set of distinct titles (each title's terms from the first part that has it)."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.titles: dict[str, int] = {}
        self.pieces: dict[str, list[np.ndarray]] = defaultdict(list)
        self.joined: dict[str, np.ndarray] = {}
        self.raw_rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.title_rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.replaced: list[list[str | int]] = []
        self.notes = 0
        self.files = 0

    def add(self, source: str, part: Arrays) -> None:
        terms = unpack_json(part["terms"])
        vocabulary = self.vocabulary
        global_ids = np.array([vocabulary.setdefault(t, len(vocabulary)) for t in terms], np.int32)
        term_ids = global_ids[part["term_ids"]]
        snippets = len(part["snippet_note"])
        titles = StringTable(part["title_data"], part["title_offsets"]).to_list()
        new = [snippets + row for row, title in enumerate(titles) if title not in self.titles]
        rows = np.array([self.titles.setdefault(t, len(self.titles)) for t in titles], np.int32)
        # A part's snippets are its first rows, its titles the rest (copied: views
        # would keep the whole part alive).
        ptr = part["term_ptr"]
        self.raw_rows.append((np.array(ptr[: snippets + 1]), term_ids[: ptr[snippets]].copy()))
        self.title_rows.append(gather_rows(ptr, term_ids, np.array(new, int)))
        pieces = self.pieces
        pieces["note_title"].append(rows[part["note_title"]])
        pieces["snippet_note"].append(part["snippet_note"] + self.notes)
        pieces["note_source"].append(np.full(len(part["note_line"]), self.files, np.int32))
        for name in (
            *("note_line", "note_start", "note_end", "note_kind"),
            *("snippet_start", "snippet_end", "snippet_line"),
        ):
            pieces[name].append(np.array(part[name]))
        for name in ("note_text", "snippet"):
            pieces[f"{name}_data"].append(np.array(part[f"{name}_data"]))
            pieces[f"{name}_sizes"].append(np.diff(part[f"{name}_offsets"]))
        if replaced := unpack_json(part["meta"])["replaced"]:
            self.replaced.append([source, replaced])
        self.notes += len(part["note_line"])
        self.files += 1

    def join_pieces(self) -> None:
        """Concatenate each array's pieces, for :meth:`array` and :meth:`strings`."""
        for name in list(self.pieces):
            self.joined[name] = np.concatenate(self.pieces.pop(name))

    def array(self, name: str) -> np.ndarray:
        return self.joined.pop(name)

    def strings(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        sizes = self.array(f"{name}_sizes")
        return self.array(f"{name}_data"), np.concatenate([[0], np.cumsum(sizes)])


def _first_appearances(ids: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``ids`` (all below ``size``) in order of first appearance."""
    first = np.full(size, len(ids), dtype=np.int64)
    # In batches, to keep np.unique's sort small; earlier batches win.
    for start in range(0, len(ids), _FIRST_BATCH):
        values, where = np.unique(ids[start : start + _FIRST_BATCH], return_index=True)
        new = first[values] == len(ids)
        first[values[new]] = start + where[new]
    seen = np.flatnonzero(first < len(ids))
    return seen[np.argsort(first[seen])]


def _renumber(ids: np.ndarray, renumber: np.ndarray) -> None:
    """``ids[:] = renumber[ids]``, in batches, so no second array of every id is made."""
    for start in range(0, len(ids), _RENUMBER_BATCH):
        batch = ids[start : start + _RENUMBER_BATCH]
        batch[:] = renumber[batch]


def _concat_rows(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join ``(ptr, values)`` tables into one, rows in order."""
    sizes = np.concatenate([np.diff(ptr) for ptr, _ in rows])
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return ptr, np.concatenate([values for _, values in rows])


def gather_rows(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, values)`` of the given ``rows`` of a ``(ptr, values)`` table, in that order."""
    new_ptr = np.concatenate([[0], np.cumsum(ptr[rows + 1] - ptr[rows])]).astype(np.int64)
    gathered = np.empty(new_ptr[-1], dtype=values.dtype)
    copy_rows(ptr, values, rows, gathered, new_ptr[:-1])
    return new_ptr, gathered


def copy_rows(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray, out: np.ndarray, starts: np.ndarray
) -> None:
    """Copy row ``rows[i]`` of a ``(ptr, values)`` table to ``out`` from ``starts[i]`` on.

    In batches of rows: an index per value for a 100 MB text would take 800 MB.
    """
    sizes = ptr[rows + 1] - ptr[rows]
    for start in range(0, len(rows), _GATHER_ROWS):
        batch = slice(start, start + _GATHER_ROWS)
        # Each value's place in the batch, shifted to its row's place in values and in out.
        before = np.cumsum(sizes[batch]) - sizes[batch]
        places = np.arange(int(sizes[batch].sum()))
        source = places + np.repeat(ptr[rows[batch]] - before, sizes[batch])
        places += np.repeat(starts[batch] - before, sizes[batch])
        out[places] = values[source]
