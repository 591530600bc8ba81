"""Bad note files: indexing always finishes, and each bad file is reported once, with why."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qabot.config import Settings
from qabot.ingest import reading
from qabot.ingest.loader import NoteLoader, NotesFolderError, document_notes
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]
GOOD = "AdamW 把权重衰减从梯度更新中解耦出来。\n"


def index(folder: Path, **ingest: object) -> QAPipeline:
    return QAPipeline.from_settings(Settings(notes_dir=folder, ingest=ingest))


def skipped(pipeline: QAPipeline) -> dict[str, str]:
    return {entry.source: entry.reason for entry in pipeline.index.stats.skipped}


def test_each_bad_file_is_reported_once_by_name_with_its_reason(
    notes_folder: Make, caplog: pytest.LogCaptureFixture
) -> None:
    folder = notes_folder(
        {
            "good.txt": GOOD,
            "empty.txt": "",
            "blank.md": "\n  \n",
            "binary.txt": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4,
            "loop-a.txt": b"",
        }
    )
    (folder / "loop-a.txt").unlink()
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    with caplog.at_level(logging.WARNING):
        pipeline = index(folder)
    reasons = skipped(pipeline)
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.md"] == "empty file"
    assert reasons["binary.txt"] == "binary file"
    assert "symbolic links" in reasons["loop-a.txt"]
    assert "good.txt" not in reasons
    assert pipeline.index.stats.files == 1
    for name in reasons:
        assert sum(name in record.getMessage() for record in caplog.records) == 1, name


def test_invalid_utf8_in_the_middle_keeps_the_rest(
    notes_folder: Make, caplog: pytest.LogCaptureFixture
) -> None:
    text = ("好的笔记内容。" * 100).encode() + b"\xc3\x28" + "梯度检查点节省显存。\n".encode()
    folder = notes_folder({"good.txt": GOOD, "broken.txt": text})
    with caplog.at_level(logging.WARNING):
        pipeline = index(folder)
    assert "梯度检查点" in pipeline.ask("梯度检查点节省什么？").answer
    assert sum("broken.txt" in r.getMessage() for r in caplog.records) == 1


def test_a_huge_file_is_skipped_unread(notes_folder: Make) -> None:
    folder = notes_folder({"good.txt": GOOD})
    with (folder / "dump.txt").open("wb") as huge:
        huge.truncate(200 * 2**20)  # sparse: 200 MiB on paper, nothing on disk
    pipeline = index(folder)
    assert skipped(pipeline)["dump.txt"] == (
        "too large (the cap is 20 MiB, ingest.max_file_mb): 200.0 MiB"
    )
    assert pipeline.index.stats.files == 1


def test_a_single_one_megabyte_line_is_indexed_in_bounded_pieces(notes_folder: Make) -> None:
    filler = "".join(f"第{i}条记录说明模型在第{i}步的损失，" for i in range(40_000))
    fact = "余弦退火让学习率按余弦曲线下降。"
    line = (filler[: 2**19] + fact + filler)[: 2**20]
    folder = notes_folder({"big.txt": line + "\n", "good.txt": GOOD})
    pipeline = index(folder, max_note_chars=20_000, max_snippet_chars=200)
    stats = pipeline.index.stats
    assert stats.skipped == ()
    assert stats.notes == 1 + -(-len(line) // 20_000)
    assert all(len(snippet.text) <= 200 for snippet in pipeline.index.snippets)
    answer = pipeline.ask("余弦退火怎么调整学习率？")
    assert fact in answer.answer and answer.citations[0].source == "big.txt"


def test_unreadable_and_vanishing_files(
    notes_folder: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = notes_folder({"good.txt": GOOD, "secret.txt": "x", "gone.txt": "y"})
    real_stat = os.stat

    def stat(path: str | bytes | os.PathLike[str], *args: Any, **kwargs: Any) -> os.stat_result:
        # Tests run as root, where chmod 000 doesn't stop a read, so the OS error is faked.
        name = os.path.basename(os.fsdecode(path))
        if name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        if name == "gone.txt":
            os.unlink(path)  # deleted between listing and reading
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(reading.os, "stat", stat)
    reasons = skipped(index(folder))
    assert reasons["secret.txt"] == "Permission denied"
    assert reasons["gone.txt"] == "No such file or directory"


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotesFolderError, match="not found"):
        index(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotesFolderError, match=r"no \.txt, \.md or \.ipynb notes"):
        index(tmp_path / "empty")


def test_long_lines_become_several_notes_with_exact_offsets() -> None:
    text = "a" * 250 + "\n"
    notes = document_notes(NoteLoader(max_note_chars=100).document("x.txt", text))
    assert [len(note.text) for note in notes] == [100, 100, 50]
    assert [text[n.location.start : n.location.end] == n.text for n in notes] == [True] * 3
