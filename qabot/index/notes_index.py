"""The index a question is answered from: views over :class:`~qabot.index.arrays.IndexArrays`.

Example:
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
    >>> index.snippets[0].location  # doctest: +SKIP
    Location(source='000_518f52ec4929dd4d.txt', line=4, start=16, end=52)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qabot.arrays import StringIndex
from qabot.index.arrays import IndexArrays
from qabot.index.views import NoteSnippets, NoteTable, SnippetTable, TermLists, TitleTerms
from qabot.retriever.bm25 import BM25Index
from qabot.schema import IndexStats, SkippedFile, Snippet


@dataclass(slots=True)
class NotesIndex:
    """Everything a question needs: the notes, their unique snippets and the BM25 index.

    ``snippet_terms[i]`` are the terms of ``snippets[i]``; ``title_terms`` maps each
    note title to its terms; ``note_snippets[note_id]`` lists that note's snippets in
    reading order, so an answer can take the sentence after the best one. The
    sequences are read-only views that make their objects when asked for.
    """

    folder: Path
    notes: NoteTable
    snippets: Sequence[Snippet]
    snippet_terms: Sequence[list[str]]
    title_terms: Mapping[str, frozenset[str]]
    note_snippets: Mapping[int, list[int]]
    bm25: BM25Index
    stats: IndexStats
    # The arrays all of the above are views of; other stages build on them.
    arrays: IndexArrays

    def note_sentences(self, snippet_id: int) -> list[int]:
        """The snippets of ``snippet_id``'s first note, in reading order."""
        return self.note_snippets.get(self.snippets[snippet_id].note_ids[0], [])

    def neighbour(self, snippet_id: int, step: int = 1) -> int | None:
        """The snippet ``step`` places after ``snippet_id`` in its first note (before,
        for a negative ``step``), if any."""
        sequence = self.note_sentences(snippet_id)
        position = sequence.index(snippet_id) + step
        return sequence[position] if 0 <= position < len(sequence) else None

    @classmethod
    def from_arrays(cls, folder: Path, arrays: IndexArrays) -> NotesIndex:
        """The index held by ``arrays``; ``ValueError`` if they do not fit together."""
        corpus = arrays.corpus
        meta = corpus.meta
        titles = corpus.titles
        notes = NoteTable(corpus.notes, titles.text, meta.sources)
        snippets = SnippetTable(corpus.snippets, notes)
        snippet_terms = TermLists(corpus.snippets.term_ptr, corpus.snippets.term_ids, corpus.terms)
        if len(snippet_terms) != len(snippets):
            raise ValueError("term lists do not fit the snippets")
        title_index = StringIndex(titles.text, titles.slots, len(titles.text))
        title_terms = TermLists(titles.term_ptr, titles.term_ids, corpus.terms)
        skipped = zip(meta.skipped_sources, meta.skipped_reasons, strict=True)
        return cls(
            folder=folder,
            notes=notes,
            snippets=snippets,
            snippet_terms=snippet_terms,
            title_terms=TitleTerms(title_index, title_terms),
            note_snippets=NoteSnippets(corpus.note_ptr, corpus.note_order),
            bm25=BM25Index.from_arrays(arrays.bm25, corpus.terms, len(snippets)),
            stats=IndexStats(**meta.stats, skipped=tuple(SkippedFile(*item) for item in skipped)),
            arrays=arrays,
        )
