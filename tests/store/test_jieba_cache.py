"""jieba's dictionary saved in the index cache: it loads as jieba's own, and a damaged
file is rebuilt once rather than warned about on every run."""

from __future__ import annotations

import logging
from pathlib import Path

import jieba
import pytest

from qabot.store.jieba_cache import (
    SavedFrequencies,
    load_jieba_dictionary,
    save_jieba_dictionary,
    use_a_dict,
)


def test_jieba_dictionary_from_the_cache_is_jiebas_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jieba.dt.check_initialized()
    save_jieba_dictionary(tmp_path)
    fresh = jieba.Tokenizer()
    assert load_jieba_dictionary(tmp_path, fresh)
    assert fresh.FREQ == jieba.dt.FREQ and fresh.total == jieba.dt.total
    text = "梯度检查点在前向传播时只保存部分激活值，南京市长江大桥"
    assert fresh.lcut(text) == jieba.lcut(text)
    assert not load_jieba_dictionary(tmp_path, fresh)  # already loaded: left alone
    for path in tmp_path.rglob("jieba-*.dict"):
        path.write_bytes(path.read_bytes()[:-10])
    with caplog.at_level(logging.WARNING):
        assert not load_jieba_dictionary(tmp_path, jieba.Tokenizer())
    assert "unusable" in caplog.text


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_cache_is_rebuilt_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    save_jieba_dictionary(tmp_path)
    [path] = tmp_path.rglob("jieba-*.dict")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage == "truncated" else b"not a zip")

    with caplog.at_level(logging.WARNING):
        assert not load_jieba_dictionary(tmp_path, jieba.Tokenizer())
        rebuilt = jieba.Tokenizer()
        assert load_jieba_dictionary(tmp_path, rebuilt)  # the next run: whole again
    assert [r.getMessage() for r in caplog.records] == [caplog.records[0].getMessage()]
    assert "rebuilt it" in caplog.text
    assert rebuilt.FREQ == jieba.dt.FREQ and rebuilt.total == jieba.dt.total
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_an_unwritable_cache_is_reported_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_jieba_dictionary(tmp_path)
    [path] = tmp_path.rglob("jieba-*.dict")
    path.write_bytes(b"not a zip")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("qabot.store.jieba_cache.save_file", refuse)
    fresh = jieba.Tokenizer()
    with caplog.at_level(logging.WARNING):
        assert not load_jieba_dictionary(tmp_path, fresh)
    assert len(caplog.records) == 1
    assert "could not be rebuilt: [Errno 13] Permission denied" in caplog.text
    assert fresh.lcut("梯度检查点") == jieba.lcut("梯度检查点")  # jieba's own, still working


def test_the_saved_dictionary_answers_lookups_until_a_dict_is_worth_making(
    tmp_path: Path,
) -> None:
    jieba.dt.check_initialized()
    save_jieba_dictionary(tmp_path)
    fresh = jieba.Tokenizer()
    assert load_jieba_dictionary(tmp_path, fresh)
    saved = fresh.FREQ
    assert isinstance(saved, SavedFrequencies)  # no dict of 500k words made to open it
    assert saved.get("检查点") == jieba.dt.FREQ["检查点"] and saved.get("不是一个词") is None
    fresh.add_word("梯度检查点", 50)  # jieba's own API still works on it
    assert fresh.lcut("梯度检查点很省显存") == ["梯度检查点", "很省", "显存"]
    use_a_dict(fresh)
    assert type(fresh.FREQ) is dict and saved == fresh.FREQ
    assert fresh.FREQ["梯度检查点"] == 50
