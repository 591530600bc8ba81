"""Reading a note file: regular files only, capped, never blocking (issue 12, B4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qabot.ingest.reading import NoteFileRefused, read_note_bytes


@pytest.mark.timeout(10)
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(NoteFileRefused, match="not a regular file: a FIFO"):
        read_note_bytes(fifo, 2**20)


@pytest.mark.timeout(10)
def test_a_device_behind_a_symlink_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with pytest.raises(NoteFileRefused, match="not a regular file: a character device"):
        read_note_bytes(tmp_path / "zero.txt", 2**20)


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(NoteFileRefused, match=r"too large \(the cap is .*\): 0\.0 MiB"):
        read_note_bytes(big, 1024)
    assert read_note_bytes(big, 2048) == b"x" * 2048


def test_a_file_larger_than_its_size_says_is_cut_off_at_the_cap() -> None:
    # /proc files are regular files that report size 0 and hold more: as a file that
    # grows while it is read, only cap + 1 bytes are read before it is refused.
    status = Path("/proc/self/status")
    if not status.is_file():
        pytest.skip("needs Linux /proc")
    with pytest.raises(NoteFileRefused, match="it grew while read"):
        read_note_bytes(status, 16)


def test_a_file_swapped_after_it_was_found_is_refused(tmp_path: Path) -> None:
    note, other = tmp_path / "a.txt", tmp_path / "b.txt"
    note.write_text("一条笔记。", encoding="utf-8")
    other.write_text("另一条。", encoding="utf-8")
    found = os.stat(note)
    os.replace(other, note)  # same name, another file
    with pytest.raises(NoteFileRefused, match="replaced"):
        read_note_bytes(note, 2**20, (found.st_dev, found.st_ino))
