"""The index of a notes folder as typed numpy arrays: what the build makes and the cache saves.

Every field is an array, a :class:`~qabot.arrays.StringTable`, a nested group of
them, or plain JSON-able metadata; :mod:`qabot.store.arrays_io` saves and loads any
such dataclass, one ``.npy`` per array.

Example:
    >>> arrays = build_index(Path("seeds"), Settings()).arrays  # doctest: +SKIP
    >>> arrays.corpus.snippets.text[0]  # doctest: +SKIP
    '简介 24年12月,研究团队开发了 DeepSeek-V3,…'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qabot.arrays import StringTable
from qabot.retriever.bm25 import BM25Arrays
from qabot.retriever.note_glossary import GlossaryArrays
from qabot.retriever.note_ranker import NoteRankArrays


@dataclass(eq=False, slots=True)
class NoteArrays:
    """One row per note: its file (a row of ``IndexMeta.sources``), 1-based line,
    ``[start, end)`` character offsets in the file, title (a row of the titles), kind
    (:data:`~qabot.schema.NOTE_KINDS`) and text."""

    source: np.ndarray
    line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    title: np.ndarray
    kind: np.ndarray
    text: StringTable


@dataclass(eq=False, slots=True)
class TitleArrays:
    """The distinct note titles, a hash lookup of them, and each one's term ids."""

    text: StringTable
    slots: np.ndarray
    term_ptr: np.ndarray
    term_ids: np.ndarray


@dataclass(eq=False, slots=True)
class SnippetArrays:
    """The unique snippets: text, term ids (``term_ptr`` rows) and places. Snippet ``i``
    stands at ``place_*[place_ptr[i]:place_ptr[i + 1]]``, first seen first: a note, the
    character offsets in its file, and the 1-based line."""

    text: StringTable
    term_ptr: np.ndarray
    term_ids: np.ndarray
    place_ptr: np.ndarray
    place_note: np.ndarray
    place_start: np.ndarray
    place_end: np.ndarray
    place_line: np.ndarray


@dataclass(slots=True)
class IndexMeta:
    """What the index was built from: the readable files, the counts, skipped files and
    files with undecodable bytes replaced."""

    sources: list[str]
    stats: dict[str, int]
    skipped_sources: list[str] = field(default_factory=list)
    skipped_reasons: list[str] = field(default_factory=list)
    replaced_sources: list[str] = field(default_factory=list)
    replaced_counts: list[int] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class CorpusArrays:
    """Notes, snippets and terms, deduplicated, before any BM25 weighing.

    ``terms`` are BM25's terms in order of first appearance in the snippets, then the
    terms found only in titles; ``note_ptr``/``note_order`` list each note's snippets
    in reading order.
    """

    meta: IndexMeta
    terms: StringTable
    notes: NoteArrays
    titles: TitleArrays
    snippets: SnippetArrays
    note_ptr: np.ndarray
    note_order: np.ndarray


@dataclass(eq=False, slots=True)
class IndexArrays:
    """A whole index: the corpus, the snippets' BM25 matrix, the note ranker's, and the
    notes' own glossary."""

    corpus: CorpusArrays
    bm25: BM25Arrays
    note_ranker: NoteRankArrays
    glossary: GlossaryArrays
