"""Note files as parts: each file decoded, cut into snippets and tokenized on its own.

A part depends only on its file's bytes and suffix and on the settings, so an
unchanged file's part comes from the cache and only changed files are tokenized again.

Tokenizing is the slow step of indexing (jieba reads about 100k characters a second
on one core), so a large batch of texts is spread over a process pool, one chunk per
task, with this process tokenizing too, so every core is busy from the start. A
small batch stays in this process: starting workers, each loading jieba's
dictionary, would cost more than it saves.

Example:
    >>> files = scan(Path("seeds"), settings, loader)  # doctest: +SKIP
    >>> parts = build_parts(files, settings, tokenizer, loader)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import jieba
import numpy as np

from qabot.config import Settings
from qabot.ingest.encoding import UndecodableError
from qabot.ingest.loader import NoteFileTooLarge, NoteLoader
from qabot.ingest.splitter import SentenceSplitter
from qabot.store.cache import Arrays, code_version, digest, pack_json
from qabot.store.memory import return_freed_memory
from qabot.store.tables import StringTable, first_appearance_ids
from qabot.tokenizer import Tokenizer

Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` texts while tokenizing."""
Chunk = tuple[list[str], np.ndarray, np.ndarray]

# Below this many characters to tokenize (about 10 s on one core) one process is faster.
PARALLEL_FROM_CHARS = 1_000_000
# Characters per task: big enough to amortize pickling, small enough to balance cores.
_CHUNK_CHARS = 20_000
# UTF-8 bytes of text tokenized per call, ~8M Chinese characters (about 80 s on one
# core): a new process pool per batch costs a few seconds, and the strings of a batch
# about 400 MB.
_BATCH_BYTES = 24_000_000


@dataclass(slots=True)
class NoteFile:
    """A note file of the folder: its part's key and bytes, or why it could not be read."""

    path: Path
    source: str
    key: str = ""
    data: bytes | None = None
    error: str | None = None


def scan(folder: Path, settings: Settings, loader: NoteLoader) -> list[NoteFile]:
    """Every note file below ``folder``, read and keyed by its content."""
    shaping = digest(
        code_version(),
        settings.ingest.model_dump(mode="json"),
        settings.tokenizer.model_dump(mode="json"),
    )
    files: list[NoteFile] = []
    for path in loader.find_files(folder):
        source = path.relative_to(folder).as_posix()
        try:
            data = loader.read_bytes(path)
        except NoteFileTooLarge as error:
            files.append(NoteFile(path, source, error=str(error)))
            continue
        except OSError as error:
            files.append(NoteFile(path, source, error=error.strerror or type(error).__name__))
            continue
        # The suffix decides how a file is parsed (Markdown or plain text).
        key = digest(shaping, Path(source).suffix.lower(), hashlib.sha256(data).hexdigest())
        files.append(NoteFile(path, source, key, data))
    return files


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


def tokenize(
    texts: Sequence[str],
    settings: Settings,
    tokenizer: Tokenizer,
    progress: Progress | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(terms, term ids, row pointers)``: the terms of ``texts[i]`` are
    ``terms[ids[ptr[i]:ptr[i + 1]]]``. Large batches run on every core."""
    chunks = list(_chunks(texts, _CHUNK_CHARS))
    cores = settings.index.workers or available_cores()
    report = _Report(chunks, progress)
    if cores > 1 and len(chunks) > 1 and sum(map(len, texts)) >= PARALLEL_FROM_CHARS:
        results = _on_every_core(chunks, settings, tokenizer, min(cores, len(chunks)), report)
    else:
        results = []
        for index, chunk in enumerate(chunks):
            results.append(_tokenize_chunk(tokenizer, chunk))
            report.done(index)
    vocabulary, global_ids = first_appearance_ids(
        list(chain.from_iterable(terms for terms, _, _ in results))
    )
    ids: list[np.ndarray] = []
    offset = 0
    for chunk_terms, chunk_ids, _ in results:
        ids.append(global_ids[offset : offset + len(chunk_terms)][chunk_ids])
        offset += len(chunk_terms)
    ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    if texts:
        np.cumsum(np.concatenate([lengths for _, _, lengths in results]), out=ptr[1:])
    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
    return vocabulary, flat, ptr


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # Linux: honours taskset and container limits
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _draft(file: NoteFile, loader: NoteLoader, splitter: SentenceSplitter) -> Arrays:
    """Decode, parse and split one file, as ``NoteLoader.load`` would: its part but
    for the terms."""
    assert file.data is not None
    try:
        decoded = loader.decode(file.data)
    except UndecodableError as error:
        return {"meta": pack_json({"skipped": str(error)})}
    notes = loader.parse(file.source, decoded.text)
    if not notes:
        return {"meta": pack_json({"skipped": "no notes in it"})}
    titles: dict[str, int] = {}
    snippets: list[tuple[int, str, int, int]] = []
    for row, note in enumerate(notes):
        titles.setdefault(note.title, len(titles))
        start = note.location.start
        snippets.extend(
            (row, text, start + begin, start + end)
            for text, begin, end in splitter.split(note.text)
        )
    return {
        "meta": pack_json({"skipped": None, "replaced": decoded.replaced}),
        "note_line": np.array([n.location.line for n in notes], dtype=np.int32),
        "note_start": np.array([n.location.start for n in notes], dtype=np.int64),
        "note_end": np.array([n.location.end for n in notes], dtype=np.int64),
        "note_title": np.array([titles[n.title] for n in notes], dtype=np.int32),
        **_strings("note_text", [n.text for n in notes]),
        **_strings("title", list(titles)),
        "snippet_note": np.array([s[0] for s in snippets], dtype=np.int32),
        "snippet_start": np.array([s[2] for s in snippets], dtype=np.int64),
        "snippet_end": np.array([s[3] for s in snippets], dtype=np.int64),
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
        used, local_ids = np.unique(term_ids[ptr[0] : ptr[-1]], return_inverse=True)
        parts.append(
            {
                **draft,
                "terms": pack_json([terms[t] for t in used.tolist()]),
                "term_ids": local_ids.reshape(-1).astype(np.int32),
                "term_ptr": ptr - ptr[0],
            }
        )
    return parts


def _strings(name: str, strings: Sequence[str]) -> Arrays:
    data, offsets = StringTable.pack(strings)
    return {f"{name}_data": data, f"{name}_offsets": offsets}


def _chunks(texts: Sequence[str], chars: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _tokenize_chunk(tokenizer: Tokenizer, texts: Iterable[str]) -> Chunk:
    """The chunk's own vocabulary, its texts' term ids into it, and their counts."""
    terms: list[str] = []
    lengths: list[int] = []
    for text in texts:
        found = tokenizer.terms(text)
        lengths.append(len(found))
        terms += found
    return *first_appearance_ids(terms), np.array(lengths, dtype=np.int64)


class _Report:
    """Calls ``progress(done, total)`` texts as chunks finish, in whatever order."""

    def __init__(self, chunks: list[list[str]], progress: Progress | None) -> None:
        self.sizes = [len(chunk) for chunk in chunks]
        self.total = sum(self.sizes)
        self.finished = 0
        self.seen: set[int] = set()
        self.progress = progress

    def done(self, *indexes: int) -> None:
        new = set(indexes) - self.seen
        if new:
            self.seen |= new
            self.finished += sum(self.sizes[index] for index in new)
            if self.progress is not None:
                self.progress(self.finished, self.total)


def _on_every_core(
    chunks: list[list[str]],
    settings: Settings,
    tokenizer: Tokenizer,
    cores: int,
    report: _Report,
) -> list[Chunk]:
    """Tokenize in ``cores - 1`` worker processes and this one.

    Workers take chunks from the front; this process starts at once from the back, so
    no core waits while the workers start.
    """
    # Imported here: only large folders need them, and `qabot ask` starts faster without.
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    if sys.platform == "linux" and threading.active_count() == 1:
        # A forked worker starts at once with this process's tokenizer and jieba's
        # dictionary, loaded here first so that no worker loads its own.
        jieba.dt.check_initialized()
        context, worker_args = multiprocessing.get_context("fork"), (tokenizer,)
    else:
        # Forking a process that runs threads (a progress bar, the bot) can deadlock:
        # a spawned worker imports qabot and makes the tokenizer the settings describe.
        context = multiprocessing.get_context("spawn")
        worker_args = (settings.model_dump(mode="json"),)
    results: dict[int, Chunk] = {}
    with ProcessPoolExecutor(
        cores - 1, mp_context=context, initializer=_start_worker, initargs=worker_args
    ) as pool:
        futures = [pool.submit(_tokenize_in_worker, chunk) for chunk in chunks]
        for index in reversed(range(len(chunks))):
            if futures[index].cancel():  # no worker has taken it yet
                results[index] = _tokenize_chunk(tokenizer, chunks[index])
                report.done(index, *(i for i, f in enumerate(futures) if _finished(f)))
        for index, future in enumerate(futures):
            if index not in results:
                results[index] = future.result()
                report.done(index)
    return [results[index] for index in range(len(chunks))]


def _finished(future: Future) -> bool:
    return future.done() and not future.cancelled()


_worker_tokenizer: Tokenizer | None = None


def _start_worker(source: Tokenizer | dict) -> None:
    """Give this worker its tokenizer: a forked worker's parent's, or one made from
    the settings (as a dict)."""
    global _worker_tokenizer
    if isinstance(source, dict):
        from qabot.index import make_tokenizer  # the same tokenizer the main process makes

        source = make_tokenizer(Settings.model_validate(source))
    _worker_tokenizer = source


def _tokenize_in_worker(texts: list[str]) -> Chunk:
    assert _worker_tokenizer is not None
    return _tokenize_chunk(_worker_tokenizer, texts)
