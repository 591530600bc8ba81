"""The persisted index: warm loads, staleness, corruption, atomic writes, incremental updates."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import qabot.store.arrays_io as arrays_io
from qabot.build import build_index
from qabot.build.parts import Part
from qabot.config import Settings
from qabot.index import NotesIndex
from qabot.store.arrays_io import MANIFEST, CacheError, flatten, load_file
from qabot.store.cache import IndexCache
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import Tokenizer

NOTES = {
    "adam.md": "# AdamW\nAdamW 把权重衰减和梯度更新解耦。它是训练大模型的默认优化器。\n",
    "ckpt.txt": "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算。\n",
    "lr.txt": "余弦退火让学习率按余弦曲线下降。预热阶段学习率线性增大。\n",
    "copy.txt": "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算。\n",
}


def counting_tokenizer(settings: Settings) -> tuple[Tokenizer, list[str]]:
    """The settings' tokenizer, recording every text it tokenizes."""
    tokenizer = make_tokenizer(settings)
    seen: list[str] = []
    terms = tokenizer.terms

    def counted(text: str, notes: bool = False) -> list[str]:
        seen.append(text)
        return terms(text, notes)

    tokenizer.terms = counted  # type: ignore[method-assign]
    return tokenizer, seen


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index={"cache_dir": tmp_path / "cache"})


@pytest.fixture
def folder(notes_folder: Callable[[dict[str, str | bytes]], Path]) -> Path:
    return notes_folder(NOTES)


def build(folder: Path, settings: Settings) -> tuple[NotesIndex, list[str]]:
    tokenizer, seen = counting_tokenizer(settings)
    return build_index(folder, settings, tokenizer), seen


def content(index: NotesIndex) -> tuple:
    """What an index answers from, comparable across builds."""
    return (
        index.stats,
        [(s.text, s.title, s.locations, s.note_ids) for s in index.snippets],
        list(index.snippet_terms),
        dict(index.note_snippets),
        {title: index.title_terms[title] for title in index.title_terms},
        index.bm25.data.tolist(),
    )


def changed(settings: Settings, section: str, **values: object) -> Settings:
    part = getattr(settings, section).model_copy(update=values)
    return settings.model_copy(update={section: part})


def fresh(folder: Path, settings: Settings) -> NotesIndex:
    return build_index(folder, changed(settings, "index", cache=False))


def snapshot(settings: Settings, folder: Path) -> Path:
    """The folder's one snapshot folder."""
    (found,) = IndexCache(settings.index.cache_dir, folder).dir.glob("snapshot-*")
    return found


def test_a_warm_start_loads_the_cache_without_tokenizing(folder: Path, settings: Settings) -> None:
    first, tokenized = build(folder, settings)
    assert tokenized and (snapshot(settings, folder) / MANIFEST).is_file()
    second, tokenized = build(folder, settings)
    assert tokenized == []
    assert content(second) == content(first) == content(fresh(folder, settings))
    assert second.bm25.top_k(["梯度", "检查点"], 3) == first.bm25.top_k(["梯度", "检查点"], 3)


def test_a_changed_file_is_the_only_one_tokenized_again(
    folder: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    build(folder, settings)
    (folder / "lr.txt").write_text("学习率预热避免早期梯度过大。\n", encoding="utf-8")
    with caplog.at_level(logging.INFO):
        index, tokenized = build(folder, settings)
    assert "changed" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # an edit is no fault
    assert tokenized and all(text in "学习率预热避免早期梯度过大。" for text in tokenized)
    assert content(index) == content(fresh(folder, settings))


def test_a_new_deleted_or_renamed_file_is_handled(folder: Path, settings: Settings) -> None:
    build(folder, settings)
    (folder / "lr.txt").rename(folder / "schedule.txt")
    (folder / "adam.md").unlink()
    (folder / "new.txt").write_text("混合精度用半精度计算、单精度保存主权重。\n", encoding="utf-8")
    index, tokenized = build(folder, settings)
    assert all(text in "混合精度用半精度计算、单精度保存主权重。" for text in tokenized)
    assert content(index) == content(fresh(folder, settings))
    sources = {place.source for s in index.snippets for place in s.locations}
    assert sources == {"ckpt.txt", "copy.txt", "new.txt", "schedule.txt"}
    parts = IndexCache(settings.index.cache_dir, folder).parts_dir
    assert (
        len(list(parts.glob("*.part"))) == 3
    )  # copy.txt shares ckpt.txt's part; adam.md's is gone


def test_tokenizer_settings_invalidate_every_part(folder: Path, settings: Settings) -> None:
    build(folder, settings)
    other = changed(settings, "tokenizer", extra_stopwords=["梯度"])
    index, tokenized = build(folder, other)
    assert len(tokenized) >= len(NOTES) - 1
    assert "梯度" not in index.bm25.vocabulary


def test_retriever_settings_rebuild_bm25_from_the_cached_parts(
    folder: Path, settings: Settings
) -> None:
    before, _ = build(folder, settings)
    other = changed(settings, "retriever", k1=0.9)
    after, tokenized = build(folder, other)
    assert tokenized == []
    assert after.bm25.top_k(["梯度"], 1)[0][1] != before.bm25.top_k(["梯度"], 1)[0][1]
    assert content(after) == content(fresh(folder, other))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _bit_rot(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-40] + bytes(b ^ 0xFF for b in data[-40:-20]) + data[-20:])


def _largest_array(folder: Path) -> Path:
    return max(folder.glob("*.npy"), key=lambda path: path.stat().st_size)


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: _truncate(_largest_array(folder)),
        lambda folder: _bit_rot(_largest_array(folder)),
        lambda folder: _largest_array(folder).write_bytes(b""),
        lambda folder: _largest_array(folder).unlink(),
        lambda folder: (folder / MANIFEST).write_text("not json at all"),
        lambda folder: _truncate(folder / MANIFEST),
        lambda folder: (folder / MANIFEST).unlink(),
    ],
)
def test_a_damaged_snapshot_is_rebuilt_with_a_warning(
    folder: Path,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], object],
) -> None:
    good, _ = build(folder, settings)
    damage(snapshot(settings, folder))
    with caplog.at_level(logging.WARNING):
        rebuilt, tokenized = build(folder, settings)
    assert "rebuilding" in caplog.text
    assert tokenized == []  # the parts were intact
    assert content(rebuilt) == content(good)
    assert build(folder, settings)[0].stats == good.stats  # and the cache is whole again


def test_a_damaged_part_is_tokenized_again(folder: Path, settings: Settings) -> None:
    build(folder, settings)
    parts = sorted(IndexCache(settings.index.cache_dir, folder).parts_dir.glob("*.part"))
    for part in parts:
        part.write_bytes(part.read_bytes()[:100])
    (folder / "lr.txt").write_text("学习率预热避免早期梯度过大。\n", encoding="utf-8")
    index, tokenized = build(folder, settings)
    assert len(tokenized) > 5  # every file again: no part could be read
    assert content(index) == content(fresh(folder, settings))


def test_a_crash_while_saving_leaves_the_old_snapshot(
    folder: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(folder, settings)
    before = {path.name: path.read_bytes() for path in snapshot(settings, folder).iterdir()}
    save = np.save
    saved: list[str] = []

    def crash(file: Path, array: np.ndarray, **options: object) -> None:
        if len(saved) == 3:  # a few arrays in
            raise KeyboardInterrupt
        saved.append(str(file))
        save(file, array, **options)

    monkeypatch.setattr(arrays_io.np, "save", crash)
    (folder / "lr.txt").write_text("学习率预热避免早期梯度过大。\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build(folder, settings)
    after = {path.name: path.read_bytes() for path in snapshot(settings, folder).iterdir()}
    assert saved and after == before
    assert not list(settings.index.cache_dir.rglob("*.tmp"))


def test_abandoned_temporary_files_are_pruned(folder: Path, settings: Settings) -> None:
    build(folder, settings)
    cache = IndexCache(settings.index.cache_dir, folder)
    old = cache.parts_dir / "x.part.123.tmp"
    young = cache.dir / "snapshot-0123.456.tmp"
    for path in (old, young):
        path.write_bytes(b"partial")
    os.utime(old, (1, 1))
    (folder / "new.txt").write_text("新的一条笔记，让索引重建。\n", encoding="utf-8")
    build(folder, settings)
    assert not old.exists() and young.exists()  # a young one may be another writer's


def test_the_cache_holds_only_plain_arrays(folder: Path, settings: Settings) -> None:
    build(folder, settings)
    arrays = list(snapshot(settings, folder).glob("*.npy"))
    assert len(arrays) > 20
    for path in arrays:
        assert np.load(path, allow_pickle=False).dtype != object
    parts = list(settings.index.cache_dir.rglob("*.part"))
    assert len(parts) == len(NOTES) - 1  # copy.txt shares ckpt.txt's part
    for path in parts:
        part = load_file(path, Part, path.stem)
        assert all(array.dtype != object for array in flatten(part)[0].values())
    # A part whose header names an object array is refused, not unpickled.
    forged = parts[0].read_bytes().replace(b'"<i8"', b'"|O" ', 1)  # same length
    parts[0].write_bytes(forged)
    with pytest.raises(CacheError):
        load_file(parts[0], Part, parts[0].stem)


def test_no_cache_writes_nothing(folder: Path, settings: Settings) -> None:
    build_index(folder, changed(settings, "index", cache=False))
    assert not settings.index.cache_dir.exists()


def test_skipped_files_are_reported_on_every_start(
    notes_folder: Callable[[dict[str, str | bytes]], Path],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = notes_folder({**NOTES, "empty.txt": "", "photo.txt": b"\x89PNG\x00" + bytes(256)})
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            index, _ = build(folder, settings)
        assert caplog.text.count("empty.txt") == 1 and caplog.text.count("photo.txt") == 1
        assert [s.source for s in index.stats.skipped] == ["empty.txt", "photo.txt"]


def test_the_cache_of_a_deleted_notes_folder_is_pruned(
    notes_folder: Callable[[dict[str, str | bytes]], Path], settings: Settings, tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    (gone / "a.txt").write_text("一条很快会被删除的笔记。\n", encoding="utf-8")
    build(gone, settings)
    gone_cache = IndexCache(settings.index.cache_dir, gone).dir
    assert gone_cache.is_dir()
    (gone / "a.txt").unlink()
    gone.rmdir()
    kept = notes_folder(NOTES)
    build(kept, settings)
    assert not gone_cache.exists()
    assert (snapshot(settings, kept) / MANIFEST).is_file()


def test_the_command_line_caches_in_the_working_folder_unless_told_not_to(
    folder: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}

    def qabot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "qabot", *args, "--notes", str(folder)]
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)

    cached, uncached = tmp_path / "cached", tmp_path / "uncached"
    cached.mkdir()
    uncached.mkdir()
    first = qabot("index", cwd=cached)
    second = qabot("ask", "--json", "梯度检查点保存什么？", cwd=cached)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert list((cached / ".qabot-cache").rglob(MANIFEST))
    assert json.loads(second.stdout)["citations"]
    assert qabot("index", "--no-cache", cwd=uncached).stdout == first.stdout
    assert not (uncached / ".qabot-cache").exists()


def test_thousands_of_files_need_no_handle_each(tmp_path: Path) -> None:
    """Cached parts are read whole and closed: far more files than the process may
    open at once still index cold, after an edit, and warm (issue 12, B2)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for number in range(1500):
        (folder / f"{number:04}.txt").write_text(f"第{number}条笔记讲梯度检查点。\n", "utf-8")
    script = f"""
import logging, resource
from pathlib import Path
from qabot.build import build_index
from qabot.config import Settings
resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
settings = Settings(index={{"cache_dir": {str(tmp_path / "cache")!r}}})
folder = Path({str(folder)!r})
build_index(folder, settings)
(folder / "0007.txt").write_text("改过的一条笔记讲学习率。\\n", "utf-8")
edited = build_index(folder, settings)
warm = build_index(folder, settings)
print(edited.stats.files, warm.stats.files, len(warm.snippets))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["1500", "1500", "1500"]
    assert "Too many open files" not in run.stderr
