"""Stage 2 of the build: each note file as a part — its notes, snippets and terms.

A part depends only on its file's bytes and suffix and on the settings, so an
unchanged file's part comes from the cache and only changed files are tokenized
again. Files are read and split one by one (:class:`FileText`), then tokenized a
batch of files at a time, each batch in one call to :func:`qabot.build.pool.tokenize`
(on every core when large).

Example:
    >>> parts = make_parts(files, settings, tokenizer)  # doctest: +SKIP
    >>> next(parts).snippets.text[0]  # doctest: +SKIP
    '梯度检查点在前向传播时只保存部分激活值。'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from qabot.arrays import (
    StringTable,
    first_appearance_numbers,
    gather_rows,
    return_freed_memory,
)
from qabot.build.pool import Progress, tokenize
from qabot.build.scan import NoteFile
from qabot.config import Settings
from qabot.ingest.encoding import UndecodableError
from qabot.ingest.loader import NoteLoader
from qabot.ingest.splitter import SentenceSplitter
from qabot.schema import NOTE_KINDS
from qabot.tokenizer import Tokenizer

# UTF-8 bytes of text tokenized per call, ~8M Chinese characters (about 80 s on one
# core): a new process pool per batch costs a few seconds, and the strings of a batch
# about 400 MB.
_BATCH_BYTES = 24_000_000

_EMPTY_INTS = np.zeros(0, dtype=np.int64)


@dataclass(eq=False, slots=True)
class PartNotes:
    """A file's notes: 1-based line, ``[start, end)`` offsets, title (a row of the part's
    titles), kind (a place in :data:`~qabot.schema.NOTE_KINDS`) and text."""

    line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    title: np.ndarray
    kind: np.ndarray
    text: StringTable


@dataclass(eq=False, slots=True)
class PartSnippets:
    """A file's snippets before dedup: note (a row of the part's notes), offsets, line
    and text."""

    note: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    text: StringTable


@dataclass(eq=False, slots=True)
class FileText:
    """A note file read and split: what :class:`Part` holds but for the terms.

    ``skipped`` says why a file was not indexed (its arrays are empty then);
    ``replaced`` counts undecodable bytes replaced while decoding it.
    """

    skipped: str | None
    replaced: int
    notes: PartNotes
    titles: StringTable
    snippets: PartSnippets

    @classmethod
    def unreadable(cls, reason: str) -> FileText:
        ints, strings = _EMPTY_INTS, StringTable.of([])
        return cls(
            reason,
            0,
            PartNotes(ints, ints, ints, ints, ints, strings),
            strings,
            PartSnippets(ints, ints, ints, ints, strings),
        )

    @property
    def text_count(self) -> int:
        """How many texts are tokenized for this file: its snippets, then its titles."""
        return len(self.snippets.text) + len(self.titles)


@dataclass(eq=False, slots=True)
class Part:
    """A note file read, split and tokenized: what the cache keeps per file.

    The terms of text ``i`` (the snippets, then the distinct titles) are
    ``terms[term_ids[term_ptr[i]:term_ptr[i + 1]]]``, ``terms`` in order of first
    appearance in the part.
    """

    text: FileText
    terms: StringTable
    term_ptr: np.ndarray
    term_ids: np.ndarray

    @classmethod
    def unreadable(cls, reason: str) -> Part:
        """The part of a file that could not be read, and why."""
        return cls(
            FileText.unreadable(reason), StringTable.of([]), np.zeros(1, np.int64), _EMPTY_INTS
        )


def make_parts(
    files: Sequence[NoteFile],
    settings: Settings,
    tokenizer: Tokenizer,
    progress: Progress | None = None,
) -> Iterator[Part]:
    """The parts of readable ``files``, in order, as each batch is tokenized.

    The strings tokenizing makes (the texts and each chunk's terms) take a few kB per
    snippet and exist for one batch only.
    """
    loader = NoteLoader.from_settings(settings.ingest)
    splitter = SentenceSplitter(
        settings.ingest.min_snippet_chars, settings.ingest.max_snippet_chars
    )
    texts = []
    for file in files:
        texts.append(read_file(file, loader, splitter))
        file.data = None  # decoded now; a large folder's bytes need not stay
    total = sum(text.text_count for text in texts)
    batches = list(_batches(texts, _BATCH_BYTES))
    del texts
    done = 0
    while batches:
        # Popped, so a batch is not held here once its parts are yielded.
        batch = batches.pop(0)
        report = None if progress is None else _offset(progress, done, total)
        done += sum(text.text_count for text in batch)
        yield from _tokenized(batch, settings, tokenizer, report)
        del batch
        # A batch's millions of term strings are freed now.
        return_freed_memory()


def read_file(file: NoteFile, loader: NoteLoader, splitter: SentenceSplitter) -> FileText:
    """Decode, parse and split one file."""
    assert file.data is not None
    try:
        decoded = loader.decode(file.data)
        document = loader.document(file.source, decoded.text)
    except UndecodableError as error:
        return FileText.unreadable(str(error))
    notes = document.notes
    if not notes:
        return FileText.unreadable("no notes in it")
    titles: dict[str, int] = {}
    for note in notes:
        titles.setdefault(note.title, len(titles))
    snippets = document.snippets(splitter)
    return FileText(
        skipped=None,
        replaced=decoded.replaced,
        notes=PartNotes(
            line=np.array([document.line_of(n.start) for n in notes], dtype=np.int32),
            start=np.array([n.start for n in notes], dtype=np.int64),
            end=np.array([n.end for n in notes], dtype=np.int64),
            title=np.array([titles[n.title] for n in notes], dtype=np.int32),
            kind=np.array([NOTE_KINDS.index(n.kind) for n in notes], dtype=np.uint8),
            text=StringTable.of([n.text for n in notes]),
        ),
        titles=StringTable.of(list(titles)),
        snippets=PartSnippets(
            note=np.array([s[0] for s in snippets], dtype=np.int32),
            start=np.array([s[2] for s in snippets], dtype=np.int64),
            end=np.array([s[3] for s in snippets], dtype=np.int64),
            line=np.array([s[4] for s in snippets], dtype=np.int32),
            text=StringTable.of([s[1] for s in snippets]),
        ),
    )


def _batches(texts: list[FileText], size: int) -> Iterator[list[FileText]]:
    """Runs of ``texts`` holding about ``size`` bytes of text each."""
    batch: list[FileText] = []
    filled = 0
    for text in texts:
        batch.append(text)
        filled += len(text.snippets.text.data) + len(text.titles.data)
        if filled >= size:
            yield batch
            batch, filled = [], 0
    if batch:
        yield batch


def _offset(progress: Progress, done: int, total: int) -> Progress:
    """``progress`` for a batch that starts after ``done`` of ``total`` texts."""
    return lambda finished, _: progress(done + finished, total)


def _tokenized(
    batch: list[FileText], settings: Settings, tokenizer: Tokenizer, progress: Progress | None
) -> list[Part]:
    """The parts of ``batch``, all their texts tokenized in one call."""
    texts = [
        string
        for text in batch
        for table in (text.snippets.text, text.titles)
        for string in table.to_list()
    ]
    terms, term_ids, term_ptr = tokenize(texts, settings, tokenizer, progress)
    del texts  # a string per snippet and title: freed before the parts are made
    # Encoded once, and each part's terms copied out as bytes.
    table = StringTable.of(terms)
    del terms
    parts: list[Part] = []
    row = 0
    for text in batch:
        count = text.text_count
        ptr = term_ptr[row : row + count + 1]
        row += count
        used, local_ids = first_appearance_numbers(term_ids[ptr[0] : ptr[-1]])
        offsets, data = gather_rows(table.offsets, table.data, used)
        parts.append(Part(text, StringTable(data, offsets), ptr - ptr[0], local_ids))
    return parts
