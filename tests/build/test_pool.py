"""Tokenizing on every core gives what one process gives, with forked or spawned workers.

Workers are forked while this process runs no other thread, and spawned otherwise
(forking beside a thread can deadlock).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

import qabot.build.parts as parts
import qabot.build.pool as pool
from qabot.build.scan import scan
from qabot.config import Settings
from qabot.store.arrays_io import flatten
from qabot.store.jieba_cache import make_tokenizer

REPO = Path(__file__).resolve().parents[2]


def test_forked_and_spawned_workers_tokenize_as_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [
        line
        for path in sorted((REPO / "seeds").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    settings = Settings(index={"cache_dir": tmp_path / "cache", "workers": 2})
    one = settings.model_copy(update={"index": settings.index.model_copy(update={"workers": 1})})
    tokenizer = make_tokenizer(settings)
    serial = pool.tokenize(texts, one, tokenizer)

    monkeypatch.setattr(pool, "PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr(pool, "_CHUNK_CHARS", 500)  # many small tasks
    methods: list[str] = []
    get_context = multiprocessing.get_context

    def recording(method: str) -> object:
        methods.append(method)
        return get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", recording)
    forked = pool.tokenize(texts, settings, tokenizer)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        spawned = pool.tokenize(texts, settings, tokenizer)
    finally:
        stop.set()
        thread.join()

    assert methods == ["fork" if sys.platform == "linux" else "spawn", "spawn"]
    expected = _terms_per_text(*serial)
    assert expected == [make_tokenizer(settings).terms(text, notes=True) for text in texts]
    for result in (forked, spawned):
        assert len(set(result[0])) == len(result[0])  # each term numbered once
        assert _terms_per_text(*result) == expected


def _terms_per_text(terms: list[str], ids: np.ndarray, ptr: np.ndarray) -> list[list[str]]:
    return [[terms[i] for i in ids[start:end]] for start, end in pairwise(ptr)]


def test_a_part_is_the_same_from_workers_and_from_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index={"cache_dir": tmp_path / "cache", "workers": 2})
    one = settings.model_copy(update={"index": settings.index.model_copy(update={"workers": 1})})
    tokenizer = make_tokenizer(settings)

    def built(settings: Settings) -> list[dict[str, np.ndarray]]:
        made = parts.make_parts(scan(REPO / "seeds", settings).files, settings, tokenizer)
        return [flatten(part)[0] for part in made]

    alone = built(one)
    monkeypatch.setattr(pool, "PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr(pool, "_CHUNK_CHARS", 300)
    monkeypatch.setattr(parts, "_BATCH_BYTES", 20_000)  # several batches, several numberings
    shared = built(settings)

    assert len(alone) == len(shared) > 1
    for expected, part in zip(alone, shared, strict=True):
        assert expected.keys() == part.keys()
        for name, array in expected.items():
            assert np.array_equal(array, part[name]), name
