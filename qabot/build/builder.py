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
from collections.abc import Iterator
from pathlib import Path

from qabot.arrays import return_freed_memory
from qabot.build.assemble import assemble
from qabot.build.join import join
from qabot.build.matrices import note_matrix, snippet_matrix
from qabot.build.note_glossary import mine
from qabot.build.parts import Part, make_parts
from qabot.build.pool import Progress
from qabot.build.scan import NoteFile, part_settings_key, scan
from qabot.config import Settings
from qabot.index import IndexArrays, NotesIndex
from qabot.ingest.loader import NoteLoader, NotesFolderError
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

    tokenizer = tokenizer or make_tokenizer(settings)
    try:
        corpus = assemble(join(_parts(files, settings, tokenizer, cache, progress)), settings)
        # Joining freed the parts and dedup's strings: hand their pages back before the
        # matrices, the build's peak, are made. The note matrix first: weighing it takes
        # the more memory of the two.
        return_freed_memory()
        ranker = note_matrix(corpus, params)
        arrays = IndexArrays(
            corpus, snippet_matrix(corpus, settings.retriever), ranker, mine(corpus, tokenizer)
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


def _parts(
    files: list[NoteFile],
    settings: Settings,
    tokenizer: Tokenizer,
    cache: IndexCache | None,
    progress: Progress | None,
) -> Iterator[tuple[str, Part]]:
    """Each file's part, in order: from the cache, or tokenized a batch at a time.

    Cached parts are read one at a time, as their turn comes, so a large folder's
    parts are never all in memory, nor all open.
    """
    readable = [file for file in files if file.error is None]
    cached = {file.key for file in readable if cache is not None and cache.has_part(file.key)}
    missing = list({f.key: f for f in readable if f.key not in cached}.values())
    if cache is not None and missing and len(missing) < len(readable):
        log.info("tokenizing %d changed of %d files", len(missing), len(readable))
    for file in readable:
        if file.key in cached:
            file.data = None  # read again only if its cached part turns out damaged
    fresh = make_parts(missing, settings, tokenizer, progress)
    built = set()
    # Without a cache, a part that several files share (copies) is kept for the others.
    repeated: dict[str, Part] = {}
    for file in files:
        if file.error is not None:
            yield file.source, Part.unreadable(file.error)
            continue
        part = repeated.get(file.key)
        if part is None and file.key not in built and file.key not in cached:
            part = next(fresh)
            built.add(file.key)
            cache = _saved(cache, file.key, part)
            if cache is None:
                repeated[file.key] = part
        if part is None and cache is not None:
            part = cache.load_part(file.key, Part)
        if part is None:  # its cached part was damaged: tokenize it alone
            assert file.found is not None
            file.data = file.data or NoteLoader.from_settings(settings.ingest).read_bytes(
                file.found
            )
            part = next(make_parts([file], settings, tokenizer))
            cache = _saved(cache, file.key, part)
        yield file.source, part


def _saved(cache: IndexCache | None, key: str, part: Part) -> IndexCache | None:
    """Save ``part`` in ``cache``; the cache to go on with (``None`` once saving fails)."""
    if cache is None:
        return None
    try:
        cache.save_part(key, part)
    except OSError as error:
        log.warning("could not save the index cache in %s: %s", cache.dir, error)
        return None
    return cache


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
