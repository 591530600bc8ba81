"""Build the searchable index of a notes folder: load, split, deduplicate, tokenize, BM25.

Example:
    >>> from qabot.config import Settings
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
    >>> index.stats.snippets < index.stats.snippets_before_dedup  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qabot.config import Settings
from qabot.ingest.dedup import Deduplicator, RawSnippet
from qabot.ingest.loader import NoteLoader, NotesFolderError
from qabot.ingest.splitter import SentenceSplitter
from qabot.retriever.bm25 import BM25Index
from qabot.schema import IndexStats, Location, Note, Snippet
from qabot.tokenizer import Tokenizer, default_stopwords

Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` snippets while tokenizing."""


@dataclass(slots=True)
class NotesIndex:
    """Everything a question needs: the notes, their unique snippets and the BM25 index.

    ``snippet_terms[i]`` are the terms of ``snippets[i]``; ``title_terms`` maps each
    note title to its terms; ``note_snippets[note_id]`` lists that note's snippets in
    reading order, so an answer can take the sentence after the best one.
    """

    folder: Path
    notes: list[Note]
    snippets: list[Snippet]
    snippet_terms: list[list[str]]
    title_terms: dict[str, frozenset[str]]
    note_snippets: dict[int, list[int]]
    bm25: BM25Index
    stats: IndexStats

    def next_snippet(self, snippet_id: int) -> int | None:
        """The snippet that follows ``snippet_id`` in its first note, if any."""
        sequence = self.note_snippets.get(self.snippets[snippet_id].note_ids[0], [])
        position = sequence.index(snippet_id)
        return sequence[position + 1] if position + 1 < len(sequence) else None


def build_index(
    folder: Path,
    settings: Settings,
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
) -> NotesIndex:
    """Index every note file under ``folder``; raises :class:`NotesFolderError` if none."""
    ingest = settings.ingest
    tokenizer = tokenizer or make_tokenizer(settings)
    loaded = NoteLoader(ingest.extensions, ingest.boilerplate_patterns).load(folder)
    if not loaded.notes:
        raise NotesFolderError(f"no readable notes in {folder}")

    splitter = SentenceSplitter(ingest.min_snippet_chars, ingest.max_snippet_chars)
    raw = [
        RawSnippet(text, note.title, _within(note.location, start, end), note.id)
        for note in loaded.notes
        for text, start, end in splitter.split(note.text)
    ]
    snippets = Deduplicator(ingest.near_duplicate_threshold).merge(raw)

    snippet_terms: list[list[str]] = []
    for done, snippet in enumerate(snippets, start=1):
        snippet_terms.append(tokenizer.terms(snippet.text))
        if progress is not None and (done % 1000 == 0 or done == len(snippets)):
            progress(done, len(snippets))
    try:
        bm25 = BM25Index(
            snippet_terms, settings.retriever.k1, settings.retriever.b, settings.retriever.epsilon
        )
    except ValueError as error:
        raise NotesFolderError(f"{error} in {folder}") from None

    return NotesIndex(
        folder=folder,
        notes=loaded.notes,
        snippets=snippets,
        snippet_terms=snippet_terms,
        title_terms={
            title: frozenset(tokenizer.terms(title)) for title in {n.title for n in loaded.notes}
        },
        note_snippets=_reading_order(snippets),
        bm25=bm25,
        stats=IndexStats(
            files=loaded.files,
            notes=len(loaded.notes),
            snippets_before_dedup=len(raw),
            snippets=len(snippets),
            skipped=tuple(loaded.skipped),
        ),
    )


def make_tokenizer(settings: Settings) -> Tokenizer:
    """The tokenizer the settings describe, shared by indexing and questions."""
    options = settings.tokenizer
    return Tokenizer(
        stopwords=default_stopwords() | set(options.extra_stopwords),
        traditional_to_simplified=options.traditional_to_simplified,
    )


def _within(note: Location, start: int, end: int) -> Location:
    return Location(note.source, note.line, note.start + start, note.start + end)


def _reading_order(snippets: list[Snippet]) -> dict[int, list[int]]:
    placed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for snippet in snippets:
        for location, note_id in zip(snippet.locations, snippet.note_ids, strict=True):
            placed[note_id].append((location.start, snippet.id))
    return {note_id: [sid for _, sid in sorted(pairs)] for note_id, pairs in placed.items()}
