"""String tables and the hash index over them."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qabot.arrays.strings as strings_module
from qabot.arrays import StringIndex, StringTable
from qabot.arrays.strings import crc32s

# Few characters, short strings: many repeats and many clashes in small tables.
_STRINGS = st.lists(st.text(alphabet="ab梯度😀é\x00", max_size=4), max_size=40)


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


@given(_STRINGS)
def test_a_string_table_holds_its_strings_as_utf8(strings: list[str]) -> None:
    table = StringTable.of(strings)
    encoded = [text.encode() for text in strings]
    assert table.data.tobytes() == b"".join(encoded)
    assert table.offsets.tolist() == [0, *np.cumsum([len(item) for item in encoded]).tolist()]
    assert table.to_list() == list(table) == strings
    assert [table[row] for row in range(len(strings))] == strings
    third, half = len(strings) // 3, len(strings) // 2
    assert table.rows(third, half) == strings[third:half]


def test_a_long_table_is_iterated_a_batch_at_a_time_in_order() -> None:
    strings = [f"梯度{n}" for n in range(10_000)]
    assert list(StringTable.of(strings)) == strings


@settings(max_examples=300)
@given(_STRINGS, st.data())
def test_a_built_index_is_a_valid_probing_table(strings: list[str], data: st.DataObject) -> None:
    count = data.draw(st.integers(0, len(strings)), label="count")
    index = StringIndex.build(StringTable.of(strings), count)
    slots = index.slots
    # The slots the one-by-one insertion would fill (linear probing fills the same
    # slots in any order of insertion), each row once.
    assert np.array_equal(slots >= 0, _inserted_one_by_one(strings[:count], len(slots)) >= 0)
    assert sorted(slots[slots >= 0].tolist()) == list(range(count))
    # Every slot from a row's home to its own is taken, so probing finds it.
    for place, row in enumerate(slots.tolist()):
        if row >= 0:
            assert all(slots[slot] >= 0 for slot in _probed(strings[row], len(slots), place))
    first = {text: row for row, text in reversed(list(enumerate(strings[:count])))}
    assert index.lookup(strings) == [first.get(text) for text in strings]
    assert index.lookup(["not one of them"]) == [None]


@pytest.mark.parametrize(("together", "batch"), [(1, 7), (3, 100), (64, 1 << 16)])
def test_the_crc32_of_each_string_is_zlibs(
    together: int, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Together is how few strings still being read numpy takes on: 1 leaves zlib none.
    monkeypatch.setattr(strings_module, "_CRC_TOGETHER", together)
    monkeypatch.setattr(strings_module, "_CRC_BATCH", batch)
    rng = random.Random(together)
    texts = [
        "",
        "a",
        "梯度",
        *("".join(rng.choices("ab梯度😀", k=rng.randint(0, 90))) for _ in range(300)),
    ]
    table = StringTable.of(texts)
    expected = [zlib.crc32(text.encode()) for text in texts]
    assert crc32s(table, len(texts)).tolist() == expected
    assert crc32s(table, 100).tolist() == expected[:100]
    assert crc32s(table, 0).tolist() == []


def test_rows_that_run_past_the_end_of_the_table_wrap_to_its_start() -> None:
    # Four strings in 16 slots: three at home in the last slot, and one at home in the
    # first, which the first row to wrap around takes before it.
    last = _with_home(15, 16)
    strings = [*last[:3], _with_home(0, 16)[0], "not indexed"]
    index = StringIndex.build(StringTable.of(strings), count=4)
    assert index.slots.tolist()[:3] == [3, 1, 2]
    assert index.slots[15] == 0
    assert index.lookup(strings) == [0, 1, 2, 3, None]


def test_clashing_rows_take_the_next_free_slots_and_keep_their_order() -> None:
    strings = _with_home(5, 16)[:4]
    index = StringIndex.build(StringTable.of([*strings, strings[0]]), count=5)
    assert index.slots.tolist()[5:10] == [0, 1, 2, 3, 4]
    assert index.lookup(strings) == [0, 1, 2, 3]  # a repeat is found at its first row


def _with_home(slot: int, size: int) -> list[str]:
    """Strings whose home is ``slot`` in a table of ``size`` slots."""
    found = (f"k{n}" for n in range(100_000))
    return [text for text in found if zlib.crc32(text.encode()) % size == slot][:5]


def _probed(text: str, size: int, place: int) -> Iterator[int]:
    """The slots from the home of ``text`` to ``place``, wrapping around."""
    slot = zlib.crc32(text.encode()) % size
    while slot != place:
        yield slot
        slot = (slot + 1) % size


def _inserted_one_by_one(strings: list[str], size: int) -> np.ndarray:
    slots = np.full(size, -1)
    for row, text in enumerate(strings):
        slot = zlib.crc32(text.encode()) % size
        while slots[slot] >= 0:
            slot = (slot + 1) % size
        slots[slot] = row
    return slots
