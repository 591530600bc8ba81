"""Build the searchable index of a notes folder, or load it from the cache.

Building: find and read the note files, decode and split each into snippets,
deduplicate across files, tokenize, and fill the BM25 matrix. The result is saved in
the cache (:mod:`qabot.store.cache`): at the next start-up an unchanged folder loads
in a fraction of a second instead of being tokenized again, and after an edit only
the changed files are tokenized again before the folder's index is rebuilt.

Example:
    >>> from qabot.config import Settings
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
    >>> index.stats.snippets < index.stats.snippets_before_dedup  # doctest: +SKIP
    True
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qabot.config import Settings
from qabot.ingest.loader import NoteLoader, NotesFolderError
from qabot.ingest.skipped import summarize_skipped
from qabot.reader.note_glossary import mine as mine_glossary
from qabot.retriever.bm25 import BM25Index
from qabot.retriever.note_ranker import NoteParams, note_arrays
from qabot.schema import IndexStats, Note, SkippedFile, Snippet
from qabot.store.assemble import assemble, bm25_arrays
from qabot.store.cache import Arrays, IndexCache, code_version, digest, unpack_json
from qabot.store.jieba_cache import load_jieba_dictionary, save_jieba_dictionary
from qabot.store.memory import return_freed_memory
from qabot.store.parts import NoteFile, build_parts, scan
from qabot.store.pool import Progress
from qabot.store.tables import (
    NoteSnippets,
    NoteTable,
    SnippetTable,
    StringIndex,
    StringTable,
    TermLists,
    TitleTerms,
)
from qabot.tokenizer import Tokenizer, default_stopwords

log = logging.getLogger(__name__)

__all__ = ["NotesIndex", "Progress", "build_index", "make_tokenizer"]


@dataclass(slots=True)
class NotesIndex:
    """Everything a question needs: the notes, their unique snippets and the BM25 index.

    ``snippet_terms[i]`` are the terms of ``snippets[i]``; ``title_terms`` maps each
    note title to its terms; ``note_snippets[note_id]`` lists that note's snippets in
    reading order, so an answer can take the sentence after the best one. The
    sequences are read-only views that make their objects when asked for.
    """

    folder: Path
    notes: Sequence[Note]
    snippets: Sequence[Snippet]
    snippet_terms: Sequence[list[str]]
    title_terms: Mapping[str, frozenset[str]]
    note_snippets: Mapping[int, list[int]]
    bm25: BM25Index
    stats: IndexStats
    # The arrays all of the above are views of; other stages build on them.
    arrays: Arrays

    def next_snippet(self, snippet_id: int) -> int | None:
        """The snippet that follows ``snippet_id`` in its first note, if any."""
        sequence = self.note_snippets.get(self.snippets[snippet_id].note_ids[0], [])
        position = sequence.index(snippet_id)
        return sequence[position + 1] if position + 1 < len(sequence) else None

    @classmethod
    def from_arrays(cls, folder: Path, arrays: Arrays) -> NotesIndex:
        """The index held by ``arrays`` (see :mod:`qabot.store.assemble`).

        Raises ``ValueError`` or ``KeyError`` if the arrays do not fit together.
        """
        meta = unpack_json(arrays["meta"])
        terms = StringTable(arrays["terms_data"], arrays["terms_offsets"])
        notes = NoteTable(arrays, meta["sources"])
        snippets = SnippetTable(arrays, notes)
        snippet_terms = TermLists(arrays["snippet_term_ptr"], arrays["snippet_term_ids"], terms)
        if len(snippet_terms) != len(snippets):
            raise ValueError("term lists do not fit the snippets")
        titles = StringIndex(notes.titles, arrays["title_slots"], len(notes.titles))
        title_terms = TermLists(arrays["title_term_ptr"], arrays["title_term_ids"], terms)
        bm25 = BM25Index.from_arrays(
            {
                name.removeprefix("bm25_"): a
                for name, a in arrays.items()
                if name.startswith("bm25_")
            },
            terms,
            len(snippets),
        )
        return cls(
            folder=folder,
            notes=notes,
            snippets=snippets,
            snippet_terms=snippet_terms,
            title_terms=TitleTerms(titles, title_terms),
            note_snippets=NoteSnippets(arrays["note_ptr"], arrays["note_order"]),
            bm25=bm25,
            stats=IndexStats(
                **meta["stats"],
                skipped=tuple(SkippedFile(source, reason) for source, reason in meta["skipped"]),
            ),
            arrays=arrays,
        )


def build_index(
    folder: Path,
    settings: Settings,
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
) -> NotesIndex:
    """Index every note file under ``folder``; raises :class:`NotesFolderError` if none.

    With ``settings.index.cache`` on, an unchanged folder is loaded from the cache, and
    only changed files are tokenized. ``progress`` gets ``(done, total)`` texts while
    tokenizing. ``tokenizer`` must be the one ``make_tokenizer(settings)`` makes: large
    folders are tokenized by worker processes that make their own.
    """
    loader = NoteLoader.from_settings(settings.ingest)
    scanned = scan(folder, settings, loader)
    files = scanned.files
    key = digest(
        code_version(),
        settings.ingest.model_dump(mode="json"),
        settings.tokenizer.model_dump(mode="json"),
        settings.retriever.model_dump(mode="json"),
        dataclasses.asdict(NoteParams.from_settings(settings.retriever, settings.reader)),
        [(file.source, file.key or file.error) for file in files],
    )
    cache = IndexCache(settings.index.cache_dir, folder) if settings.index.cache else None
    arrays = cache.load_snapshot(key) if cache is not None else None
    if arrays is not None:
        try:
            return _opened(folder, arrays, scanned.ignored)
        except (ValueError, KeyError, IndexError) as error:
            log.warning("index cache for %s is corrupt (%s); rebuilding it", folder, error)

    arrays = _build(folder, files, settings, tokenizer or make_tokenizer(settings), cache, progress)
    if cache is not None:
        try:
            cache.save_snapshot(key, arrays)
            cache.prune({file.key for file in files if file.key})
            save_jieba_dictionary(settings.index.cache_dir)
        except OSError as error:
            log.warning("could not save the index cache in %s: %s", cache.dir, error)
    return _opened(folder, arrays, scanned.ignored)


def make_tokenizer(settings: Settings) -> Tokenizer:
    """The tokenizer the settings describe, shared by indexing and questions."""
    if settings.index.cache:
        # jieba's dictionary loads several times faster from the cache, when saved there.
        load_jieba_dictionary(settings.index.cache_dir)
    options = settings.tokenizer
    return Tokenizer(
        stopwords=default_stopwords(options.extended_stopwords) | set(options.extra_stopwords),
        traditional_to_simplified=options.traditional_to_simplified,
        char_bigrams=options.char_bigrams,
        search_mode=options.search_mode,
    )


def _build(
    folder: Path,
    files: list[NoteFile],
    settings: Settings,
    tokenizer: Tokenizer,
    cache: IndexCache | None,
    progress: Progress | None,
) -> Arrays:
    """Assemble the index from each file's part, tokenizing only the parts not cached."""
    readable = [file for file in files if file.error is None]
    parts: dict[str, Arrays] = {}
    for file in readable:
        part = cache.load_part(file.key) if cache is not None else None
        if part is not None:
            parts[file.key] = part
            file.data = None
    missing = list({file.key: file for file in readable if file.key not in parts}.values())
    if cache is not None and missing and len(missing) < len(readable):
        log.info("tokenizing %d changed of %d files", len(missing), len(readable))
    loader = NoteLoader.from_settings(settings.ingest)
    for file, part in zip(
        missing, build_parts(missing, settings, tokenizer, loader, progress), strict=True
    ):
        parts[file.key] = part
        if cache is not None:
            try:
                cache.save_part(file.key, part)
            except OSError as error:
                log.warning("could not save the index cache in %s: %s", cache.dir, error)
                cache = None
            else:
                # Memory-mapped from the cache: a large folder's parts need not all
                # sit in memory until they are joined.
                parts[file.key] = cache.load_part(file.key) or part

    skipped: list[tuple[str, str]] = []
    sources: list[str] = []
    readable_parts: list[Arrays] = []
    for file in files:
        reason = file.error or unpack_json(parts[file.key]["meta"])["skipped"]
        if reason:
            skipped.append((file.source, reason))
        else:
            sources.append(file.source)
            # A copy of the part's dict: assemble() takes arrays out as it joins them,
            # and files with the same content share one part.
            readable_parts.append(dict(parts[file.key]))
    del parts
    if not sources:
        raise NotesFolderError(f"no readable notes in {folder}")
    try:
        arrays = assemble(sources, readable_parts, skipped, settings)
        # Joining freed the parts' copies and dedup's strings: hand their pages back
        # before the matrices, the build's peak, are made.
        return_freed_memory()
        # Saved with the index, so no process builds it at its first question. Made
        # before the snippets' matrix: weighing it takes the more memory of the two.
        arrays.update(
            note_arrays(arrays, NoteParams.from_settings(settings.retriever, settings.reader))
        )
        arrays.update(bm25_arrays(arrays, settings))
        arrays.update(mine_glossary(arrays, tokenizer))
    except ValueError as error:
        raise NotesFolderError(f"{error} in {folder}") from None
    return arrays


def _opened(folder: Path, arrays: Arrays, ignored: int) -> NotesIndex:
    """The index, after repeating the warnings its files gave when they were read."""
    index = NotesIndex.from_arrays(folder, arrays)
    index.stats = dataclasses.replace(index.stats, ignored=ignored)
    meta = unpack_json(arrays["meta"])
    for line in summarize_skipped(index.stats.skipped):
        log.warning("%s", line)
    for source, replaced in meta["replaced"]:
        log.warning("%s: %d undecodable bytes replaced", folder / source, replaced)
    return index
