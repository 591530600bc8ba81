"""Join a folder's parts into one index: dedup, one vocabulary, BM25 and reading order.

Everything here works on flat numpy arrays, so joining a million snippets takes
seconds; only deduplication looks at the texts themselves.

The result is the dictionary of arrays that is saved as the snapshot and that
:meth:`qabot.index.NotesIndex.from_arrays` reads:

- notes: ``note_source``, ``note_line``, ``note_start``, ``note_end``, ``note_title``
  (a row of the distinct ``title`` strings, with a hash lookup), ``note_text``;
- snippets: their text (``snippet``), and their places (``place_*``, grouped by
  ``place_ptr``; a place is a note and character offsets in its file);
- terms: ``terms`` (BM25's terms in order of first appearance, then the terms found
  only in titles), ``snippet_term_*`` and ``title_term_*`` (ids into ``terms``);
- reading order: ``note_order`` grouped by ``note_ptr``, each note's snippets by offset;
- BM25: ``bm25_*``, the weight matrix and term lookup (see :mod:`qabot.retriever.bm25`).

Example:
    >>> arrays = assemble(["a.txt"], [part], [], settings)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qabot.config import Settings
from qabot.ingest.dedup import Deduplicator
from qabot.retriever.bm25 import BM25Index
from qabot.store.cache import Arrays, pack_json, unpack_json
from qabot.store.tables import StringIndex, StringTable

# Term ids per batch when finding their first appearances.
_FIRST_BATCH = 1 << 22


def assemble(
    sources: Sequence[str],
    parts: Sequence[Arrays],
    skipped: Sequence[tuple[str, str]],
    settings: Settings,
) -> Arrays:
    """The index arrays of the readable files ``sources``, whose parts are ``parts``.

    Takes the arrays out of ``parts`` as it joins them, so a large folder is never
    held twice. Raises ``ValueError`` when the notes hold no searchable word.
    """
    vocabulary: dict[str, int] = {}
    to_global = [_vocabulary_map(part, vocabulary) for part in parts]
    names = list(vocabulary)
    del vocabulary
    note_counts = np.array([len(part["note_line"]) for part in parts], dtype=np.int64)
    note_offsets = np.concatenate([[0], np.cumsum(note_counts)])
    snippet_counts = [len(part["snippet_note"]) for part in parts]

    # Titles: distinct across files, each with its terms from the first part that has it.
    titles: dict[str, int] = {}
    title_rows: list[tuple[np.ndarray, np.ndarray]] = []
    note_title: list[np.ndarray] = []
    for part, mapping, count in zip(parts, to_global, snippet_counts, strict=True):
        part_titles = StringTable(part.pop("title_data"), part.pop("title_offsets")).to_list()
        new = [row for row, title in enumerate(part_titles) if title not in titles]
        rows = [titles.setdefault(title, len(titles)) for title in part_titles]
        title_rows.append(
            _gather_rows(part["term_ptr"], mapping[part["term_ids"]], count + np.array(new, int))
        )
        note_title.append(np.asarray(rows, dtype=np.int32)[part.pop("note_title")])
    title_term_ptr, title_terms = _concat_rows(title_rows)
    del title_rows

    # Raw snippets (before dedup) of all files; every one is a place of some snippet.
    raw_note = np.concatenate(
        [part.pop("snippet_note") + note_offsets[i] for i, part in enumerate(parts)]
    )
    raw_start = _take(parts, "snippet_start")
    raw_end = _take(parts, "snippet_end")
    raw_text_data, raw_text_offsets = _take_strings(parts, "snippet")
    raw_term_ptr, raw_terms = _concat_rows(
        [
            _gather_rows(part.pop("term_ptr"), mapping[part.pop("term_ids")], np.arange(count))
            for part, mapping, count in zip(parts, to_global, snippet_counts, strict=True)
        ]
    )

    groups = Deduplicator(settings.ingest.near_duplicate_threshold).assign(
        StringTable(raw_text_data, raw_text_offsets).to_list()
    )
    count = int(groups.max()) + 1
    places = np.argsort(groups, kind="stable")  # grouped by snippet, in reading order
    place_ptr = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=count))])
    first = places[place_ptr[:-1]]
    snippet_offsets, snippet_data = _gather_rows(raw_text_offsets, raw_text_data, first)
    del raw_text_data, raw_text_offsets
    snippet_term_ptr, snippet_terms = _gather_rows(raw_term_ptr, raw_terms, first)
    del raw_term_ptr, raw_terms

    # Number terms in order of first appearance in the snippets, as rank-bm25 meets them.
    in_order = _first_appearances(snippet_terms, len(names))
    title_only = np.setdiff1d(np.unique(title_terms), in_order)
    renumber = np.full(len(names), -1, dtype=np.int32)
    renumber[in_order] = np.arange(len(in_order), dtype=np.int32)
    renumber[title_only] = np.arange(len(in_order), len(in_order) + len(title_only))
    terms = StringTable(
        *StringTable.pack([names[t] for t in [*in_order.tolist(), *title_only.tolist()]])
    )
    del names
    snippet_terms = renumber[snippet_terms]
    bm25 = BM25Index.from_term_ids(
        np.diff(snippet_term_ptr),
        snippet_terms,
        terms,
        len(in_order),
        settings.retriever.k1,
        settings.retriever.b,
        settings.retriever.epsilon,
    )

    reading = np.lexsort((groups, raw_start, raw_note))
    note_ptr = np.concatenate([[0], np.cumsum(np.bincount(raw_note, minlength=note_offsets[-1]))])
    meta = {
        "sources": list(sources),
        "stats": {
            "files": len(parts),
            "notes": int(note_offsets[-1]),
            "snippets_before_dedup": len(groups),
            "snippets": count,
        },
        "skipped": [list(item) for item in skipped],
        "replaced": [
            [source, replaced]
            for source, part in zip(sources, parts, strict=True)
            if (replaced := unpack_json(part["meta"])["replaced"])
        ],
    }
    title_table = StringTable(*StringTable.pack(list(titles)))
    title_index = StringIndex.build(title_table)
    note_text_data, note_text_offsets = _take_strings(parts, "note_text")
    return {
        "meta": pack_json(meta),
        "terms_data": terms.data,
        "terms_offsets": terms.offsets,
        "note_source": np.repeat(np.arange(len(parts), dtype=np.int32), note_counts),
        "note_line": _take(parts, "note_line"),
        "note_start": _take(parts, "note_start"),
        "note_end": _take(parts, "note_end"),
        "note_title": np.concatenate(note_title),
        "note_text_data": note_text_data,
        "note_text_offsets": note_text_offsets,
        "title_data": title_table.data,
        "title_offsets": title_table.offsets,
        "title_slots": title_index.slots,
        "snippet_data": snippet_data,
        "snippet_offsets": snippet_offsets,
        "place_ptr": place_ptr,
        "place_note": raw_note[places].astype(np.int32),
        "place_start": raw_start[places],
        "place_end": raw_end[places],
        "snippet_term_ptr": snippet_term_ptr,
        "snippet_term_ids": snippet_terms,
        "title_term_ptr": title_term_ptr,
        "title_term_ids": renumber[title_terms],
        "note_ptr": note_ptr,
        "note_order": groups[reading].astype(np.int32),
        **{f"bm25_{name}": array for name, array in bm25.to_arrays().items()},
    }


def _vocabulary_map(part: Arrays, vocabulary: dict[str, int]) -> np.ndarray:
    """Global ids of a part's terms, adding new terms to ``vocabulary``."""
    terms = unpack_json(part["terms"])
    return np.array([vocabulary.setdefault(t, len(vocabulary)) for t in terms], dtype=np.int32)


def _take(parts: Sequence[Arrays], name: str) -> np.ndarray:
    """The ``name`` arrays of all parts joined, taken out of the parts."""
    return np.concatenate([part.pop(name) for part in parts])


def _take_strings(parts: Sequence[Arrays], name: str) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.concatenate([np.diff(part.pop(f"{name}_offsets")) for part in parts])
    return _take(parts, f"{name}_data"), np.concatenate([[0], np.cumsum(sizes)])


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


def _concat_rows(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join ``(ptr, values)`` tables into one, rows in order."""
    sizes = np.concatenate([np.diff(ptr) for ptr, _ in rows])
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return ptr, np.concatenate([values for _, values in rows])


def _gather_rows(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, values)`` of the given ``rows`` of a ``(ptr, values)`` table, in that order."""
    sizes = ptr[rows + 1] - ptr[rows]
    new_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    index = np.repeat(ptr[rows] - new_ptr[:-1], sizes) + np.arange(new_ptr[-1])
    return new_ptr, values[index]
