"""Stage 3 of the build: join the parts of a folder's files into one set of arrays.

One vocabulary and one set of distinct titles across files (each title's terms from
the first part that has it); notes and snippets renumbered and concatenated. Parts
are taken one at a time and dropped once copied, so a large folder's parts are never
all in memory, nor all open.

Example:
    >>> joined = join(zip(sources, parts))  # doctest: +SKIP
    >>> joined.snippet_text[0]  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from qabot.arrays import StringTable, TermNumbering, concat_rows, gather_rows
from qabot.build.parts import Part


@dataclass(eq=False, slots=True)
class JoinedParts:
    """A folder's parts joined: the readable files (``sources``) and the others with the
    reason (``skipped``); notes (``note_*``, ``note_source`` a row of ``sources``,
    ``note_title`` a row of ``titles``); snippets before dedup (``snippet_*``, their terms
    as ``snippet_term_ptr`` rows of ``vocabulary`` ids); each distinct title's terms; and
    the files with undecodable bytes replaced."""

    sources: list[str]
    skipped: list[tuple[str, str]]
    vocabulary: StringTable
    titles: StringTable
    title_term_ptr: np.ndarray
    title_term_ids: np.ndarray
    note_source: np.ndarray
    note_line: np.ndarray
    note_start: np.ndarray
    note_end: np.ndarray
    note_title: np.ndarray
    note_kind: np.ndarray
    note_text: StringTable
    snippet_note: np.ndarray
    snippet_start: np.ndarray
    snippet_end: np.ndarray
    snippet_line: np.ndarray
    snippet_text: StringTable
    snippet_term_ptr: np.ndarray
    snippet_term_ids: np.ndarray
    replaced: list[tuple[str, int]]


def join(parts: Iterable[tuple[str, Part]]) -> JoinedParts:
    """``(source, part)`` of each note file, in order, joined; parts of files that could
    not be read (``part.text.skipped``) are listed as skipped."""
    sources: list[str] = []
    skipped: list[tuple[str, str]] = []
    vocabulary = TermNumbering()
    titles: dict[str, int] = {}
    pieces: dict[str, list[np.ndarray]] = defaultdict(list)
    snippet_rows: list[tuple[np.ndarray, np.ndarray]] = []
    title_rows: list[tuple[np.ndarray, np.ndarray]] = []
    replaced: list[tuple[str, int]] = []
    notes = 0
    for source, part in parts:
        text = part.text
        if text.skipped is not None:
            skipped.append((source, text.skipped))
            continue
        number = len(sources)
        sources.append(source)
        global_ids, _ = vocabulary.add(part.terms.to_list())
        term_ids = global_ids[part.term_ids]
        snippets = len(text.snippets.text)
        new = [
            snippets + row for row, title in enumerate(text.titles.to_list()) if title not in titles
        ]
        rows = np.array(
            [titles.setdefault(t, len(titles)) for t in text.titles.to_list()], np.int32
        )
        # A part's snippets are its first rows, its titles the rest (copied: views
        # would keep the whole part alive).
        ptr = part.term_ptr
        snippet_rows.append((np.array(ptr[: snippets + 1]), term_ids[: ptr[snippets]].copy()))
        title_rows.append(gather_rows(ptr, term_ids, np.array(new, int)))
        pieces["note_title"].append(rows[text.notes.title])
        pieces["note_source"].append(np.full(len(text.notes.line), number, np.int32))
        pieces["snippet_note"].append(text.snippets.note + notes)
        for group, names in (
            (text.notes, ("line", "start", "end", "kind")),
            (text.snippets, ("start", "end", "line")),
        ):
            prefix = "note" if group is text.notes else "snippet"
            for name in names:
                pieces[f"{prefix}_{name}"].append(np.array(getattr(group, name)))
        for name, table in (("note_text", text.notes.text), ("snippet_text", text.snippets.text)):
            pieces[f"{name}_data"].append(np.array(table.data))
            pieces[f"{name}_sizes"].append(np.diff(table.offsets))
        if text.replaced:
            replaced.append((source, text.replaced))
        notes += len(text.notes.line)
    # Joined at once and the parts' pieces freed: the term rows, kept to the end, sat
    # through dedup and BM25 (0.2 GB at 1M snippets).
    snippet_term_ptr, snippet_term_ids = concat_rows(snippet_rows)
    title_term_ptr, title_term_ids = concat_rows(title_rows)
    del snippet_rows, title_rows
    joined = {name: np.concatenate(pieces.pop(name)) for name in list(pieces)}
    return JoinedParts(
        sources=sources,
        skipped=skipped,
        # Packed at once: a Python string per term would stay alive through dedup.
        vocabulary=StringTable.of(vocabulary.terms()),
        titles=StringTable.of(list(titles)),
        title_term_ptr=title_term_ptr,
        title_term_ids=title_term_ids,
        note_source=joined["note_source"],
        note_line=joined["note_line"],
        note_start=joined["note_start"],
        note_end=joined["note_end"],
        note_title=joined["note_title"],
        note_kind=joined["note_kind"],
        note_text=_strings(joined, "note_text"),
        snippet_note=joined["snippet_note"],
        snippet_start=joined["snippet_start"],
        snippet_end=joined["snippet_end"],
        snippet_line=joined["snippet_line"],
        snippet_text=_strings(joined, "snippet_text"),
        snippet_term_ptr=snippet_term_ptr,
        snippet_term_ids=snippet_term_ids,
        replaced=replaced,
    )


def _strings(joined: dict[str, np.ndarray], name: str) -> StringTable:
    sizes = joined.pop(f"{name}_sizes")
    return StringTable(joined.pop(f"{name}_data"), np.concatenate([[0], np.cumsum(sizes)]))
