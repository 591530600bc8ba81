"""String tables and the hash index over them."""

from __future__ import annotations

import random

import pytest

from qabot.arrays import StringIndex, StringTable


def test_the_string_index_finds_every_string_and_nothing_else() -> None:
    rng = random.Random(4)
    alphabet = "梯度检查点学习率abcxyz0123-_ "
    words = list(
        dict.fromkeys("".join(rng.choices(alphabet, k=rng.randint(0, 6))) for _ in range(5000))
    )
    table = StringTable.of(words)
    index = StringIndex.build(table, count=len(words) - 100)  # the last 100 are not indexed
    assert index.lookup(words) == [*range(len(words) - 100), *[None] * 100]
    assert index.lookup(["not there", "梯度梯度梯度梯度梯度梯度梯度"]) == [None, None]
    saved = StringIndex(table, index.slots.copy(), index.count)
    assert saved.lookup(words[:50]) == list(range(50))
    assert dict(saved) == {word: row for row, word in enumerate(words[:-100])}
    with pytest.raises(ValueError, match="does not fit"):
        StringIndex(table, index.slots[: len(index.slots) // 4], index.count)
