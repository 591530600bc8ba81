"""Stages 4 and 5 of the build: deduplicate the joined snippets and lay out the corpus.

Snippets that are the same text (or nearly, see :mod:`qabot.build.dedup`) become one
snippet with every place it appears; terms are numbered in order of first appearance
in the unique snippets, as rank-bm25 meets them; each note's snippets are listed in
reading order. Everything works on flat numpy arrays, so a million snippets take
seconds; only deduplication looks at the texts themselves.

Example:
    >>> corpus = assemble(join(zip(sources, parts)), settings)  # doctest: +SKIP
    >>> corpus.snippets.text[0]  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from qabot.arrays import StringIndex, StringTable, gather_rows
from qabot.build.dedup import Deduplicator
from qabot.build.join import JoinedParts
from qabot.config import Settings
from qabot.index.arrays import CorpusArrays, IndexMeta, NoteArrays, SnippetArrays, TitleArrays

# Term ids per batch when finding their first appearances.
_FIRST_BATCH = 1 << 22
# Term ids renumbered per batch, in place.
_RENUMBER_BATCH = 1 << 22


def assemble(joined: JoinedParts, settings: Settings) -> CorpusArrays:
    """The corpus of a folder whose parts were ``joined``; ``ValueError`` if it has no
    snippet."""
    if not len(joined.snippet_text):
        raise ValueError("no readable notes")
    groups = Deduplicator(settings.ingest.near_duplicate_threshold).assign(joined.snippet_text)
    count = int(groups.max()) + 1
    places = np.argsort(groups, kind="stable")  # grouped by snippet, in reading order
    place_ptr = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=count))])
    first = places[place_ptr[:-1]]
    raw_text = joined.snippet_text
    text_offsets, text_data = gather_rows(raw_text.offsets, raw_text.data, first)
    term_ptr, term_ids = gather_rows(joined.snippet_term_ptr, joined.snippet_term_ids, first)

    # Number terms in order of first appearance in the snippets, as rank-bm25 meets them.
    names = joined.vocabulary
    in_order = _first_appearances(term_ids, len(names))
    title_only = np.setdiff1d(np.unique(joined.title_term_ids), in_order)
    renumber = np.full(len(names), -1, dtype=np.int32)
    renumber[in_order] = np.arange(len(in_order), dtype=np.int32)
    renumber[title_only] = np.arange(len(in_order), len(in_order) + len(title_only))
    terms_offsets, terms_data = gather_rows(
        names.offsets, names.data, np.concatenate([in_order, title_only])
    )
    _renumber(term_ids, renumber)

    notes = len(joined.note_line)
    reading = np.lexsort((groups, joined.snippet_start, joined.snippet_note))
    return CorpusArrays(
        meta=IndexMeta(
            sources=joined.sources,
            stats={
                "files": len(joined.sources),
                "notes": notes,
                "snippets_before_dedup": len(groups),
                "snippets": count,
            },
            skipped_sources=[source for source, _ in joined.skipped],
            skipped_reasons=[reason for _, reason in joined.skipped],
            replaced_sources=[source for source, _ in joined.replaced],
            replaced_counts=[replaced for _, replaced in joined.replaced],
        ),
        terms=StringTable(terms_data, terms_offsets),
        notes=NoteArrays(
            source=joined.note_source,
            line=joined.note_line,
            start=joined.note_start,
            end=joined.note_end,
            title=joined.note_title,
            kind=joined.note_kind,
            text=joined.note_text,
        ),
        titles=TitleArrays(
            text=joined.titles,
            slots=StringIndex.build(joined.titles).slots,
            term_ptr=joined.title_term_ptr,
            term_ids=renumber[joined.title_term_ids],
        ),
        snippets=SnippetArrays(
            text=StringTable(text_data, text_offsets),
            term_ptr=term_ptr,
            term_ids=term_ids,
            place_ptr=place_ptr,
            place_note=joined.snippet_note[places],
            place_start=joined.snippet_start[places],
            place_end=joined.snippet_end[places],
            place_line=joined.snippet_line[places],
        ),
        note_ptr=np.concatenate(
            [[0], np.cumsum(np.bincount(joined.snippet_note, minlength=notes))]
        ),
        note_order=groups[reading].astype(np.int32),
    )


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
