"""Tokenizing on every core gives what one process gives, with forked or spawned workers.

Workers are forked while this process runs no other thread, and spawned otherwise
(forking beside a thread can deadlock).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import qabot.store.parts as parts
from qabot.config import Settings
from qabot.index import make_tokenizer

REPO = Path(__file__).resolve().parent.parent


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
    serial = parts.tokenize(texts, one, tokenizer)

    monkeypatch.setattr(parts, "PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr(parts, "_CHUNK_CHARS", 500)  # many small tasks
    methods: list[str] = []
    get_context = multiprocessing.get_context

    def recording(method: str) -> object:
        methods.append(method)
        return get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", recording)
    forked = parts.tokenize(texts, settings, tokenizer)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        spawned = parts.tokenize(texts, settings, tokenizer)
    finally:
        stop.set()
        thread.join()

    assert methods == ["fork" if sys.platform == "linux" else "spawn", "spawn"]
    for result in (forked, spawned):
        assert result[0] == serial[0]
        assert np.array_equal(result[1], serial[1]) and np.array_equal(result[2], serial[2])
