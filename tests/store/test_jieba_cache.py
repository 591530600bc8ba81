"""jieba's dictionary saved in the index cache loads as jieba's own."""

from __future__ import annotations

import logging
from pathlib import Path

import jieba
import pytest

from qabot.store.jieba_cache import load_jieba_dictionary, save_jieba_dictionary


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
    for path in tmp_path.rglob("jieba-*.npz"):
        path.write_bytes(path.read_bytes()[:-10])
    with caplog.at_level(logging.WARNING):
        assert not load_jieba_dictionary(tmp_path, jieba.Tokenizer())
    assert "unusable" in caplog.text
