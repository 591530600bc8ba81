"""Stages 2 to 6 of the build, in order: parts, join, dedup and assemble, matrices.

Kept apart from :mod:`qabot.build.builder` so that a start from the cache imports
none of them (the Markdown parser, the pool, numpy's heavier paths: about a quarter
of a one-shot ``qabot ask``).

Example:
    >>> arrays = build_arrays(files, settings, tokenizer, cache)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from qabot.arrays import return_freed_memory
from qabot.build.assemble import assemble
from qabot.build.join import join
from qabot.build.matrices import note_matrix, snippet_matrix
from qabot.build.note_glossary import mine
from qabot.build.parts import Part, make_parts
from qabot.build.pool import Progress
from qabot.build.scan import NoteFile, read
from qabot.config import Settings
from qabot.index import IndexArrays
from qabot.retriever.note_ranker import NoteParams
from qabot.store.cache import IndexCache
from qabot.tokenizer import Tokenizer

log = logging.getLogger(__name__)


def build_arrays(
    files: list[NoteFile],
    settings: Settings,
    tokenizer: Tokenizer,
    cache: IndexCache | None,
    progress: Progress | None = None,
) -> IndexArrays:
    """The index of ``files``; raises ``ValueError`` if they hold no searchable note."""
    corpus = assemble(join(_parts(files, settings, tokenizer, cache, progress)), settings)
    # Joining freed the parts and dedup's strings: hand their pages back before the
    # matrices, the build's peak, are made. The note matrix first: weighing it takes
    # the more memory of the two.
    return_freed_memory()
    ranker = note_matrix(corpus, NoteParams.from_settings(settings.retriever, settings.reader))
    bm25 = snippet_matrix(corpus, settings.retriever)
    return IndexArrays(corpus, bm25, ranker, mine(corpus, tokenizer))


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
            file.data = file.data or read(file.found, settings)
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
