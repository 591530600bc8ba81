"""Building the index: the same content as the plain definition, serial or parallel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qabot.arrays.rows as rows_module
import qabot.build.assemble as assemble_module
import qabot.build.dedup as dedup_module
import qabot.build.parts as parts
import qabot.build.pool as pool
from qabot.build import build_index
from qabot.build.dedup import Deduplicator
from qabot.config import Settings
from qabot.index import NotesIndex
from qabot.ingest.loader import NoteLoader, NotesFolderError
from qabot.ingest.splitter import SentenceSplitter
from qabot.schema import Location
from qabot.store.jieba_cache import make_tokenizer

FOLDER = {
    "ml/adam.md": "---\ntitle: x\n---\n# AdamW\nAdamW 把权重衰减和梯度更新解耦。它是默认优化器。\n"
    "## 学习率\n余弦退火让学习率按余弦曲线下降。余弦退火让学习率按余弦曲线下降。\n",
    "ckpt.txt": "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算其余的激活值。\n"
    "混合精度训练用半精度计算，用单精度保存主权重！Loss scaling 防止下溢。\n",
    "copy.txt": "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算其余的激活值\n"
    "ADAMW   把权重衰减和梯度更新解耦。\n",
    "empty.txt": "",
    "sub/deep/moe.txt": "DeepSeek-V3 总参数量 671B，每个 token 激活 37B。MoE 用路由选择专家。\n"
    * 2,
}


@pytest.fixture
def folder(notes_folder: Callable[[dict[str, str | bytes]], Path]) -> Path:
    return notes_folder(FOLDER)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index={"cache_dir": tmp_path / "cache"})


@pytest.mark.parametrize("batch", [None, 3])
def test_the_index_holds_what_the_plain_definition_gives(
    folder: Path,
    settings: Settings,
    batch: int | None,
    monkeypatch: pytest.MonkeyPatch,
    plain_load: Callable[..., Any],
) -> None:
    if batch:  # assembling in tiny batches must not change a thing
        for name in ("_FIRST_BATCH", "_RENUMBER_BATCH"):
            monkeypatch.setattr(assemble_module, name, batch)
        monkeypatch.setattr(rows_module, "_GATHER_ROWS", batch)
        monkeypatch.setattr(dedup_module, "_SIGNATURE_BATCH", batch)
        monkeypatch.setattr(parts, "_BATCH_BYTES", batch)  # a file or two per tokenize call
    ingest = settings.ingest
    splitter = SentenceSplitter(ingest.min_snippet_chars, ingest.max_snippet_chars)
    loaded = plain_load(folder, NoteLoader.from_settings(ingest), splitter)
    notes, raw = loaded.notes, loaded.snippets
    groups = Deduplicator(ingest.near_duplicate_threshold).assign([s.text for s in raw])
    expected: list[tuple[str, str, list[Location], list[int]]] = []
    for snippet, group in zip(raw, groups.tolist(), strict=True):
        if group == len(expected):
            expected.append((snippet.text, notes[snippet.note_id].title, [], []))
        expected[group][2].append(snippet.location)
        expected[group][3].append(snippet.note_id)
    tokenizer = make_tokenizer(settings)

    index = build_index(folder, settings, tokenizer)
    assert list(index.notes) == notes
    assert [(s.text, s.title, s.locations, s.note_ids) for s in index.snippets] == expected
    assert list(index.snippet_terms) == [tokenizer.terms(text, notes=True) for text, *_ in expected]
    assert dict(index.title_terms) == {
        n.title: frozenset(tokenizer.terms(n.title, notes=True)) for n in notes
    }
    for note in notes:
        places = sorted(
            (place.start, sid)
            for sid, (_, _, locations, owners) in enumerate(expected)
            for place, owner in zip(locations, owners, strict=True)
            if owner == note.id
        )
        assert index.note_snippets[note.id] == [sid for _, sid in places]
    assert index.stats.skipped == tuple(loaded.skipped)
    assert (index.stats.files, index.stats.notes) == (loaded.files, len(notes))
    assert index.stats.snippets_before_dedup == len(raw)
    assert index.stats.snippets == len(expected) < len(raw)


def test_a_neighbour_is_the_following_or_preceding_sentence_of_the_note(
    folder: Path, settings: Settings
) -> None:
    index = build_index(folder, settings)
    note = next(n for n in index.notes if n.text.startswith("混合精度"))
    first, second = index.note_snippets[note.id]
    assert index.snippets[first].text.endswith("主权重！")
    assert (index.neighbour(first), index.neighbour(second)) == (second, None)
    assert (index.neighbour(second, -1), index.neighbour(first, -1)) == (first, None)


def test_parallel_tokenizing_gives_the_serial_index(
    folder: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = build_index(folder, settings.model_copy(update={"index": no_cache(settings)}))
    monkeypatch.setattr(pool, "PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr(pool, "_CHUNK_CHARS", 40)  # many small tasks over two workers
    monkeypatch.setattr(parts, "_BATCH_BYTES", 400)  # in two batches, each its own pool
    seen: list[tuple[int, int]] = []
    two = settings.index.model_copy(update={"cache": False, "workers": 2})
    parallel = build_index(
        folder,
        settings.model_copy(update={"index": two}),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert arrays_of(parallel) == arrays_of(serial)
    assert len(seen) > 2 and seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def no_cache(settings: Settings) -> object:
    return settings.index.model_copy(update={"cache": False})


def arrays_of(index: NotesIndex) -> tuple:
    return (
        [(s.text, s.locations) for s in index.snippets],
        list(index.snippet_terms),
        [array.tolist() for array in (index.bm25.indptr, index.bm25.indices, index.bm25.data)],
    )


def test_notes_without_a_searchable_word_are_a_bad_folder(
    notes_folder: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    folder = notes_folder({"empty.md": "# 的\n的了吗？……\n", "marks.txt": "。。。!!!\n"})
    with pytest.raises(NotesFolderError, match="no searchable words"):
        build_index(folder, Settings(index={"cache_dir": tmp_path / "cache"}))
