"""Tokenizing many texts at once, on every core when there are enough of them.

Tokenizing is the slow step of indexing (jieba reads about 100k characters a second
on one core), so a large batch of texts (:mod:`qabot.build.parts`) is spread over a
process pool, one chunk per task, with this process tokenizing too, so every core is
busy from the start. Each
worker numbers the terms it finds itself and sends back only those new to it. A
small batch stays in this process: starting workers would cost more than it saves.

Example:
    >>> terms, ids, ptr = tokenize(["梯度检查点", "显存"], settings, tokenizer)  # doctest: +SKIP
    >>> [terms[i] for i in ids[ptr[0] : ptr[1]]]  # doctest: +SKIP
    ['梯度', '检查点', ...]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from queue import SimpleQueue

import jieba
import numpy as np

from qabot.arrays import TermNumbering
from qabot.build.worker_lifetime import die_with_parent
from qabot.config import Settings
from qabot.store.jieba_cache import make_tokenizer, use_a_dict
from qabot.tokenizer import Tokenizer

Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` texts while tokenizing."""

# From this many characters jieba's words are worth a dict (0.2 s to make; each of the
# few lookups a character costs then takes 0.1 µs instead of 1.5 µs).
DICT_FROM_CHARS = 50_000
# Below this many characters to tokenize (about 10 s on one core) one process is faster.
PARALLEL_FROM_CHARS = 1_000_000
# Characters per task: big enough to amortize pickling, small enough to balance cores.
_CHUNK_CHARS = 20_000
# The smallest task, near the end, where smaller tasks let every core finish together.
_SMALLEST_CHUNK_CHARS = 2_000


def tokenize(
    texts: Sequence[str],
    settings: Settings,
    tokenizer: Tokenizer,
    progress: Progress | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(terms, term ids, row pointers)``: the terms of ``texts[i]``, cut as notes, are
    ``terms[ids[ptr[i]:ptr[i + 1]]]``, ``terms`` in no set order. Large batches run on
    every core."""
    cores = settings.index.workers or available_cores()
    chunks = list(_chunks(texts, _CHUNK_CHARS, cores))
    report = _Report(chunks, progress)
    numbers = _Numbers()
    characters = sum(map(len, texts))
    if characters >= DICT_FROM_CHARS:
        use_a_dict()  # before any worker forks: they share it
    if cores > 1 and len(chunks) > 1 and characters >= PARALLEL_FROM_CHARS:
        results = _on_every_core(
            chunks, settings, tokenizer, numbers, min(cores, len(chunks)), report
        )
    else:
        results = []
        for index, chunk in enumerate(chunks):
            results.append(_tokenize_chunk(tokenizer, numbers.here, chunk))
            report.done(index)
    ids = numbers.translated(results)
    ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    if texts:
        np.cumsum(np.concatenate([chunk.lengths for chunk in results]), out=ptr[1:])
    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
    return numbers.here.terms(), flat, ptr


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # Linux: honours taskset and container limits
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _chunks(texts: Sequence[str], largest: int, cores: int) -> Iterator[list[str]]:
    """Runs of ``texts`` of about ``largest`` characters, then ever smaller (a quarter
    of each core's share of what is left): cores that take them in order then run out
    of work at about the same time."""
    left = sum(map(len, texts))
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= min(largest, max(_SMALLEST_CHUNK_CHARS, left // (4 * cores))):
            yield chunk
            left -= size
            chunk, size = [], 0
    if chunk:
        yield chunk


@dataclass(slots=True)
class _Chunk:
    """A chunk's term ids and how many terms each of its texts has.

    A worker numbers terms in a numbering of its own: ``fresh`` are the terms it
    numbered first in this chunk, from number ``start`` on.
    """

    ids: np.ndarray
    lengths: np.ndarray
    start: int
    fresh: list[str]
    worker: int | None = None


def _tokenize_chunk(tokenizer: Tokenizer, numbering: TermNumbering, texts: Iterable[str]) -> _Chunk:
    """The chunk's terms, numbered in ``numbering``."""
    terms: list[str] = []
    lengths: list[int] = []
    for text in texts:
        found = tokenizer.terms(text, notes=True)
        lengths.append(len(found))
        terms += found
    start = len(numbering)
    ids, fresh = numbering.add(terms)
    return _Chunk(ids, np.array(lengths, dtype=np.int64), start, fresh)


class _Numbers:
    """The numbering of this process, and where each worker's numbers fall in it.

    Each term a worker tokenizes travels back once, not once per chunk, and is
    numbered here as its chunk arrives, while the workers go on.
    """

    def __init__(self) -> None:
        self.here = TermNumbering()
        self._places: dict[int, list[tuple[int, np.ndarray]]] = {}

    def merge(self, chunk: _Chunk) -> _Chunk:
        """Number here the terms new to the worker that tokenized ``chunk``."""
        assert chunk.worker is not None
        places, _ = self.here.add(chunk.fresh)
        self._places.setdefault(chunk.worker, []).append((chunk.start, places))
        chunk.fresh = []
        return chunk

    def translated(self, chunks: list[_Chunk]) -> list[np.ndarray]:
        """Each chunk's term ids in this process's numbering."""
        tables = {
            worker: np.concatenate([places for _, places in sorted(pieces, key=itemgetter(0))])
            for worker, pieces in self._places.items()
        }
        return [
            chunk.ids if chunk.worker is None else tables[chunk.worker][chunk.ids]
            for chunk in chunks
        ]


class _Report:
    """Calls ``progress(done, total)`` texts as chunks finish, in whatever order."""

    def __init__(self, chunks: list[list[str]], progress: Progress | None) -> None:
        self.sizes = [len(chunk) for chunk in chunks]
        self.total = sum(self.sizes)
        self.finished = 0
        self.progress = progress

    def done(self, index: int) -> None:
        self.finished += self.sizes[index]
        if self.progress is not None:
            self.progress(self.finished, self.total)


def _on_every_core(
    chunks: list[list[str]],
    settings: Settings,
    tokenizer: Tokenizer,
    numbers: _Numbers,
    cores: int,
    report: _Report,
) -> list[_Chunk]:
    """Tokenize in ``cores - 1`` worker processes and this one.

    Each takes the next chunk no other has taken; this process starts at once, so no
    core waits while the workers start.
    """
    # Imported here: only large folders need them, and `qabot ask` starts faster without.
    import multiprocessing
    import threading
    from concurrent.futures import Future, ProcessPoolExecutor

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
    results: dict[int, _Chunk] = {}
    finished: SimpleQueue[int] = SimpleQueue()

    def take(index: int) -> None:
        """Keep a finished chunk a worker took (one this process took was cancelled)."""
        if not futures[index].cancelled():
            results[index] = numbers.merge(futures[index].result())
            report.done(index)

    pool = ProcessPoolExecutor(
        cores - 1,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), *worker_args),
    )
    futures: list[Future[_Chunk]] = []
    try:
        futures += (pool.submit(_tokenize_in_worker, chunk) for chunk in chunks)
        for index, future in enumerate(futures):
            future.add_done_callback(lambda _, index=index: finished.put(index))
        for index, future in enumerate(futures):
            if future.cancel():  # no worker has taken it yet
                results[index] = _tokenize_chunk(tokenizer, numbers.here, chunks[index])
                report.done(index)
            while not finished.empty():
                take(finished.get())
        while len(results) < len(chunks):
            take(finished.get())
    except BaseException:
        # Ctrl-C or an error: drop the chunks no worker has started, rather than wait
        # for the workers to tokenize every one (what leaving a `with` block does).
        # Cancelled here, not by shutdown(cancel_futures=True): the pool's own thread
        # skips that once the pool object is gone, which an exception soon makes it.
        for future in futures:
            future.cancel()
        pool.shutdown(wait=False)
        raise
    pool.shutdown()
    return [results[index] for index in range(len(chunks))]


_worker_tokenizer: Tokenizer | None = None
_worker_numbering = TermNumbering()


def _start_worker(parent_pid: int, source: Tokenizer | dict) -> None:
    """Tie this worker's life to its parent's, and give it its tokenizer (a forked
    worker's parent's, or one made from the settings, as a dict) and a numbering of
    its own."""
    global _worker_tokenizer, _worker_numbering
    die_with_parent(parent_pid)
    if isinstance(source, dict):
        source = make_tokenizer(Settings.model_validate(source))
        use_a_dict()
    _worker_tokenizer = source
    _worker_numbering = TermNumbering()


def _tokenize_in_worker(texts: list[str]) -> _Chunk:
    """A chunk tokenized in this worker: only the terms new to the worker travel back."""
    assert _worker_tokenizer is not None
    chunk = _tokenize_chunk(_worker_tokenizer, _worker_numbering, texts)
    chunk.worker = os.getpid()
    return chunk
