import gzip
import logging
from pathlib import Path

import pytest

from qabot.store import dictionary_cache
from qabot.store.dictionary_cache import dictionary_text

TEXT = "中中 中中 [zhong1 zhong1] /hub/\n".encode() * 50


@pytest.fixture
def gzipped(tmp_path: Path) -> Path:
    path = tmp_path / "dict.txt.gz"
    path.write_bytes(gzip.compress(TEXT))
    return path


def test_the_text_is_decompressed_once_then_read_from_the_cache(
    tmp_path: Path, gzipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assert dictionary_text(cache, gzipped) == TEXT
    assert len(list(cache.rglob("*.text"))) == 1

    def no_decompressing(data: bytes) -> bytes:
        raise AssertionError("decompressed again")

    monkeypatch.setattr(dictionary_cache.gzip, "decompress", no_decompressing)
    assert dictionary_text(cache, gzipped) == TEXT


def test_a_damaged_cache_is_written_afresh(
    tmp_path: Path, gzipped: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    dictionary_text(cache, gzipped)
    (saved,) = cache.rglob("*.text")
    saved.write_bytes(saved.read_bytes()[:-7])
    with caplog.at_level(logging.WARNING):
        assert dictionary_text(cache, gzipped) == TEXT
    assert "unreadable" in caplog.text
    assert dictionary_text(cache, gzipped) == TEXT
    assert saved.stat().st_size > len(TEXT)


def test_a_cache_that_cannot_be_written_only_costs_time(
    tmp_path: Path, gzipped: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        assert dictionary_text(blocked, gzipped) == TEXT
    assert "could not save" in caplog.text
