"""Build the index of a notes folder, or load it from the cache: the build's stages in order.

1. :mod:`~qabot.build.scan`: find the note files, read them, key each by its content;
2. :mod:`~qabot.build.parts`: per file, its notes (:mod:`qabot.ingest`), their
   sentence-sized snippets and the snippets' terms (:mod:`~qabot.build.pool`) — cached
   per file, so after an edit only the changed files are tokenized again;
3. :mod:`~qabot.build.join`: one vocabulary and one set of arrays for the folder;
4. :mod:`~qabot.build.dedup` and 5. :mod:`~qabot.build.assemble`: one snippet per
   repeated text, with all its places, and the corpus laid out;
6. :mod:`~qabot.build.matrices`: the BM25 matrices over snippets and over notes, and
   :mod:`~qabot.build.note_glossary`: the English terms the notes pair with Chinese;
7. :mod:`qabot.store`: the snapshot, so an unchanged folder loads in a fraction of a
   second next time.

Example:
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
    >>> index.stats.snippets < index.stats.snippets_before_dedup  # doctest: +SKIP
    True
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from qabot.build.pool import Progress
from qabot.build.scan import part_settings_key, scan
from qabot.config import Settings
from qabot.index import IndexArrays, NotesIndex
from qabot.ingest.discovery import NotesFolderError
from qabot.ingest.skipped import summarize_skipped
from qabot.retriever.note_ranker import NoteParams
from qabot.store.cache import IndexCache
from qabot.store.jieba_cache import make_tokenizer, save_jieba_dictionary
from qabot.store.key import digest
from qabot.tokenizer import Tokenizer

log = logging.getLogger(__name__)


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
    scanned = scan(folder, settings)
    files = scanned.files
    params = NoteParams.from_settings(settings.retriever, settings.reader)
    key = digest(
        part_settings_key(settings),
        settings.retriever.model_dump(mode="json"),
        dataclasses.asdict(params),
        [
            (file.source, file.found and file.found.raw_name.hex(), file.key or file.error)
            for file in files
        ],
    )
    cache = IndexCache(settings.index.cache_dir, folder) if settings.index.cache else None
    arrays = cache.load_snapshot(key) if cache is not None else None
    if arrays is not None:
        try:
            return _opened(folder, arrays, scanned.ignored)
        except ValueError as error:
            log.warning("index cache for %s is corrupt (%s); rebuilding it", folder, error)

    # Imported here: a start from the cache needs none of the stages.
    from qabot.build.stages import build_arrays

    try:
        arrays = build_arrays(
            files, settings, tokenizer or make_tokenizer(settings), cache, progress
        )
    except ValueError as error:
        raise NotesFolderError(f"{error} in {folder}") from None
    if cache is not None:
        try:
            cache.save_snapshot(key, arrays)
            cache.prune({file.key for file in files if file.key})
            save_jieba_dictionary(settings.index.cache_dir)
        except OSError as error:
            log.warning("could not save the index cache in %s: %s", cache.dir, error)
    return _opened(folder, arrays, scanned.ignored)


def _opened(folder: Path, arrays: IndexArrays, ignored: int) -> NotesIndex:
    """The index, after repeating the warnings its files gave when they were read."""
    index = NotesIndex.from_arrays(folder, arrays)
    index.stats = dataclasses.replace(index.stats, ignored=ignored)
    for line in summarize_skipped(index.stats.skipped):
        log.warning("%s", line)
    meta = arrays.corpus.meta
    for source, replaced in zip(meta.replaced_sources, meta.replaced_counts, strict=True):
        log.warning("%s: %d undecodable bytes replaced", folder / source, replaced)
    return index
