"""Note files as parts: each file decoded, cut into snippets and tokenized on its own.

A part depends only on its file's bytes and suffix and on the settings, so an
unchanged file's part comes from the cache and only changed files are tokenized again.

Files are tokenized a batch at a time, each batch in one call to
:func:`qabot.store.pool.tokenize` (on every core when large).

Example:
    >>> files = scan(Path("seeds"), settings, loader).files  # doctest: +SKIP
    >>> parts = build_parts(files, settings, tokenizer, loader)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qabot.config import Settings
from qabot.ingest.encoding import UndecodableError
from qabot.ingest.loader import NoteLoader
from qabot.ingest.reading import NoteFileRefused
from qabot.ingest.splitter import SentenceSplitter
from qabot.schema import NOTE_KINDS
from qabot.store.cache import Arrays, code_version, digest, pack_json
from qabot.store.memory import return_freed_memory
from qabot.store.pool import Progress, tokenize
from qabot.store.tables import StringTable, first_appearance_numbers
from qabot.tokenizer import Tokenizer

# UTF-8 bytes of text tokenized per call, ~8M Chinese characters (about 80 s on one
# core): a new process pool per batch costs a few seconds, and the strings of a batch
# about 400 MB.
_BATCH_BYTES = 24_000_000


@dataclass(slots=True)
class NoteFile:
    """A note file of the folder: its part's key and bytes, or why it could not be read.

    ``source`` is the name to show (JSON-safe: undecodable bytes escaped); ``raw_name``
    the relative path's bytes. A skipped folder is a ``NoteFile`` with an error, its
    source ending in ``/``.
    """

    path: str
    source: str
    raw_name: bytes = b""
    key: str = ""
    data: bytes | None = None
    error: str | None = None


@dataclass(slots=True)
class ScannedFolder:
    """A folder's note files, and how many the ignore rules left out."""

    files: list[NoteFile]
    ignored: int = 0


def scan(folder: Path, settings: Settings, loader: NoteLoader) -> ScannedFolder:
    """Every note file below ``folder``, read and keyed by its content."""
    shaping = digest(
        code_version(),
        settings.ingest.model_dump(mode="json"),
        settings.tokenizer.model_dump(mode="json"),
    )
    listing = loader.find(folder)
    files = [NoteFile("", skipped.source, error=skipped.reason) for skipped in listing.skipped]
    for found in listing.files:
        try:
            data = loader.read_bytes(found)
        except NoteFileRefused as error:
            files.append(NoteFile(found.path, found.source, found.raw_name, error=str(error)))
            continue
        except OSError as error:
            reason = error.strerror or type(error).__name__
            files.append(NoteFile(found.path, found.source, found.raw_name, error=reason))
            continue
        # The suffix decides how a file is parsed (Markdown, notebook or plain text).
        suffix = Path(found.source).suffix.lower()
        key = digest(shaping, suffix, hashlib.sha256(data).hexdigest())
        files.append(NoteFile(found.path, found.source, found.raw_name, key, data))
    return ScannedFolder(files, listing.ignored)


def build_parts(
    files: Sequence[NoteFile],
    settings: Settings,
    tokenizer: Tokenizer,
    loader: NoteLoader,
    progress: Progress | None = None,
) -> Iterator[Arrays]:
    """The parts of readable ``files``, in order, as each batch is tokenized.

    Their texts are tokenized a batch of files at a time, each batch in one call (so
    on every core when large): the strings tokenizing makes, the texts and each
    chunk's terms, take a few kB per snippet, and exist for one batch only.
    """
    ingest = settings.ingest
    splitter = SentenceSplitter(ingest.min_snippet_chars, ingest.max_snippet_chars)
    drafts = []
    for file in files:
        drafts.append(_draft(file, loader, splitter))
        file.data = None  # decoded now; a large folder's bytes need not stay
    total = sum(map(_text_count, drafts))
    batches = list(_batches(drafts, _BATCH_BYTES))
    del drafts
    done = 0
    while batches:
        # Popped, so a batch is not held here once its parts are yielded.
        batch = batches.pop(0)
        report = None if progress is None else _offset(progress, done, total)
        done += sum(map(_text_count, batch))
        yield from _tokenized(batch, settings, tokenizer, report)
        del batch
        # A batch's millions of term strings are freed now.
        return_freed_memory()


def _draft(file: NoteFile, loader: NoteLoader, splitter: SentenceSplitter) -> Arrays:
    """Decode, parse and split one file, as ``NoteLoader.load`` would: its part but
    for the terms."""
    assert file.data is not None
    try:
        decoded = loader.decode(file.data)
        document = loader.document(file.source, decoded.text)
    except UndecodableError as error:
        return {"meta": pack_json({"skipped": str(error)})}
    notes = document.notes
    if not notes:
        return {"meta": pack_json({"skipped": "no notes in it"})}
    titles: dict[str, int] = {}
    for note in notes:
        titles.setdefault(note.title, len(titles))
    snippets = document.snippets(splitter)
    return {
        "meta": pack_json({"skipped": None, "replaced": decoded.replaced}),
        "note_line": np.array([document.line_of(n.start) for n in notes], dtype=np.int32),
        "note_start": np.array([n.start for n in notes], dtype=np.int64),
        "note_end": np.array([n.end for n in notes], dtype=np.int64),
        "note_title": np.array([titles[n.title] for n in notes], dtype=np.int32),
        "note_kind": np.array([NOTE_KINDS.index(n.kind) for n in notes], dtype=np.uint8),
        **_strings("note_text", [n.text for n in notes]),
        **_strings("title", list(titles)),
        "snippet_note": np.array([s[0] for s in snippets], dtype=np.int32),
        "snippet_start": np.array([s[2] for s in snippets], dtype=np.int64),
        "snippet_end": np.array([s[3] for s in snippets], dtype=np.int64),
        "snippet_line": np.array([s[4] for s in snippets], dtype=np.int32),
        **_strings("snippet", [s[1] for s in snippets]),
    }


def _texts(draft: Arrays) -> list[str]:
    """What a draft's part holds the terms of: its snippets, then its distinct titles."""
    if "snippet_data" not in draft:  # a skipped file
        return []
    return [
        *StringTable(draft["snippet_data"], draft["snippet_offsets"]).to_list(),
        *StringTable(draft["title_data"], draft["title_offsets"]).to_list(),
    ]


def _text_count(draft: Arrays) -> int:
    if "snippet_data" not in draft:
        return 0
    return len(draft["snippet_offsets"]) + len(draft["title_offsets"]) - 2


def _batches(drafts: list[Arrays], size: int) -> Iterator[list[Arrays]]:
    """Runs of ``drafts`` holding about ``size`` bytes of text each."""
    batch: list[Arrays] = []
    filled = 0
    for draft in drafts:
        batch.append(draft)
        filled += sum(len(draft.get(name, ())) for name in ("snippet_data", "title_data"))
        if filled >= size:
            yield batch
            batch, filled = [], 0
    if batch:
        yield batch


def _offset(progress: Progress, done: int, total: int) -> Progress:
    """``progress`` for a batch that starts after ``done`` of ``total`` texts."""
    return lambda finished, _: progress(done + finished, total)


def _tokenized(
    drafts: list[Arrays], settings: Settings, tokenizer: Tokenizer, progress: Progress | None
) -> list[Arrays]:
    """The parts of ``drafts``, all their texts tokenized in one call."""
    texts = [text for draft in drafts for text in _texts(draft)]
    terms, term_ids, term_ptr = tokenize(texts, settings, tokenizer, progress)
    del texts  # a string per snippet and title: freed before the parts are made
    parts: list[Arrays] = []
    row = 0
    for draft in drafts:
        count = _text_count(draft)
        ptr = term_ptr[row : row + count + 1]
        row += count
        used, local_ids = first_appearance_numbers(term_ids[ptr[0] : ptr[-1]])
        parts.append(
            {
                **draft,
                "terms": pack_json([terms[t] for t in used.tolist()]),
                "term_ids": local_ids,
                "term_ptr": ptr - ptr[0],
            }
        )
    return parts


def _strings(name: str, strings: Sequence[str]) -> Arrays:
    data, offsets = StringTable.pack(strings)
    return {f"{name}_data": data, f"{name}_offsets": offsets}
