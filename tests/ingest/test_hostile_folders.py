"""Hostile and unlucky notes folders, end to end through the pipeline (issue 12)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]
SECRET = "API_KEY=sk-test-123 是部署密钥。"


def pipeline(folder: Path, cache: Path | None = None, **ingest: object) -> QAPipeline:
    index = {"cache_dir": cache, "cache": True} if cache else {"cache": False}
    return QAPipeline.from_settings(Settings(notes_dir=folder, ingest=ingest, index=index))


def quoted(answer_pipeline: QAPipeline, question: str) -> str:
    answer = answer_pipeline.ask(question)
    return json.dumps(answer.to_dict(), ensure_ascii=False)


def test_a_secret_behind_a_symlink_is_never_quoted(notes_folder: Make, tmp_path: Path) -> None:
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / ".env").write_text(SECRET + "\n", encoding="utf-8")
    (outside / "keys").mkdir()
    (outside / "keys" / "deploy.txt").write_text(SECRET + "\n", encoding="utf-8")
    folder = notes_folder({"good.txt": "部署前先检查配置文件。\n"})
    (folder / "env.txt").symlink_to(outside / ".env")
    (folder / "keys").symlink_to(outside / "keys", target_is_directory=True)
    qa = pipeline(folder)
    assert "sk-test-123" not in quoted(qa, "API_KEY 部署密钥是什么")
    assert {s.source for s in qa.index.stats.skipped} == {"env.txt", "keys/"}
    followed = pipeline(folder, follow_symlinks_outside=True)
    assert "sk-test-123" in quoted(followed, "API_KEY 部署密钥是什么")  # the setting's risk


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
def test_a_name_that_is_not_utf8_works_with_and_without_the_cache(
    notes_folder: Make, tmp_path: Path, cached: bool
) -> None:
    folder = notes_folder({"good.txt": "AdamW 把权重衰减解耦。\n"})
    name = os.path.join(os.fsencode(folder), "梯度.txt".encode("gbk"))
    with open(name, "wb") as note:
        note.write("梯度检查点用计算换显存。\n".encode())
    cache = tmp_path / "cache" if cached else None
    for _ in range(2 if cached else 1):  # built, then loaded from the cache
        answer = pipeline(folder, cache).ask("梯度检查点用什么换显存？")
        assert answer.citations[0].source == "\\xcc\\xdd\\xb6\\xc8.txt"
        assert "梯度检查点" in answer.answer


def test_many_files_skipped_alike_make_one_warning(
    notes_folder: Make, caplog: pytest.LogCaptureFixture
) -> None:
    folder = notes_folder({"good.txt": "AdamW 把权重衰减解耦。\n", "empty.txt": ""})
    for number in range(12):
        with (folder / f"dump{number:02}.txt").open("wb") as huge:
            huge.truncate(2 * 2**20)  # sparse: 2 MiB on paper
    with caplog.at_level(logging.WARNING):
        qa = pipeline(folder, max_file_mb=1)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "skipped 12 files: too large (the cap is 1 MiB, ingest.max_file_mb); "
        "`qabot index --verbose` lists them",
        "skipped empty.txt: empty file",
    ]
    assert len(qa.index.stats.skipped) == 13


def test_an_unreadable_subfolder_is_skipped_and_reported(
    notes_folder: Make, unlistable: Callable[[str], None], caplog: pytest.LogCaptureFixture
) -> None:
    folder = notes_folder({"good.txt": "AdamW 把权重衰减解耦。\n", "private/a.txt": "私密。\n"})
    unlistable("private")
    with caplog.at_level(logging.WARNING):
        qa = pipeline(folder)
    assert [(s.source, s.reason) for s in qa.index.stats.skipped] == [
        ("private/", "Permission denied")
    ]
    assert "skipped private/: Permission denied" in caplog.text


def test_ignored_files_are_counted_in_the_stats(notes_folder: Make) -> None:
    folder = notes_folder(
        {".qabotignore": "drafts/\n", "a.txt": "笔记。\n", "drafts/b.txt": "草稿。\n"}
    )
    stats = pipeline(folder, ignore=["*.tmp.txt"]).index.stats
    assert (stats.files, stats.ignored) == (1, 1)
    (folder / "c.tmp.txt").write_text("临时。\n", encoding="utf-8")
    assert pipeline(folder, ignore=["*.tmp.txt"]).index.stats.ignored == 2


@pytest.mark.timeout(60)
def test_a_fifo_and_a_device_never_stop_indexing(notes_folder: Make) -> None:
    folder = notes_folder({"good.txt": "AdamW 把权重衰减解耦。\n"})
    os.mkfifo(folder / "pipe.txt")  # reading it would wait for a writer forever
    (folder / "zero.txt").symlink_to("/dev/zero")  # reading it would never end
    stats = pipeline(folder).index.stats
    assert stats.files == 1
    assert {s.source: s.cause for s in stats.skipped} == {
        "pipe.txt": "not a regular file",
        "zero.txt": "links outside the notes folder",
    }
    followed = pipeline(folder, follow_symlinks_outside=True).index.stats
    assert {s.source: s.reason for s in followed.skipped}["zero.txt"] == (
        "not a regular file: a character device"
    )
