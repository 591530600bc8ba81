from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qabot.ingest.loader import NoteLoader, NotesFolderError
from qabot.ingest.splitter import SentenceSplitter

Make = Callable[[dict[str, str | bytes]], Path]
Load = Callable[..., Any]
FEED = "INCOMING TRANSMISSION\n\nLATEST UPDATES\n第一条笔记的内容。...\n第二条笔记。...\n"


def test_feed_banners_are_skipped_by_the_configured_rule(
    notes_folder: Make, plain_load: Load
) -> None:
    folder = notes_folder({"feed.txt": FEED})
    loaded = plain_load(folder, NoteLoader(boilerplate_patterns=[r"^[A-Z][A-Z0-9 ]{2,60}$"]))
    assert [note.text for note in loaded.notes] == ["第一条笔记的内容。...", "第二条笔记。..."]
    assert [note.location.line for note in loaded.notes] == [4, 5]


def test_without_the_rule_banners_are_notes(notes_folder: Make, plain_load: Load) -> None:
    loaded = plain_load(notes_folder({"feed.txt": FEED}))
    assert loaded.notes[0].text == "INCOMING TRANSMISSION"


def test_markdown_headings_titles_and_front_matter(notes_folder: Make, plain_load: Load) -> None:
    text = (
        "---\ntitle: x\ntags: [a]\n---\n"
        "# Optimizers\n\nAdamW 解耦权重衰减。\n## Schedules\nWarmup 先升后降。\n"
    )
    loaded = plain_load(notes_folder({"sub/opt.md": text}))
    assert [(n.title, n.text, n.location.line) for n in loaded.notes] == [
        ("Optimizers", "AdamW 解耦权重衰减。", 7),
        ("Optimizers › Schedules", "Warmup 先升后降。", 9),
    ]
    assert loaded.notes[0].location.source == "sub/opt.md"


def test_offsets_index_the_decoded_file(notes_folder: Make, plain_load: Load) -> None:
    text = "first line here\r\n  second note, indented\n"
    folder = notes_folder({"a.txt": text})
    note = plain_load(folder).notes[1]
    assert text[note.location.start : note.location.end] == "second note, indented"


def test_bad_files_are_skipped_with_a_reason_and_loading_goes_on(
    notes_folder: Make, plain_load: Load
) -> None:
    folder = notes_folder(
        {
            "good.txt": "好的笔记。",
            "binary.txt": b"\x00\x01\x02\xffPNG" * 100,
            "empty.md": "",
            "gbk.txt": "国标编码的笔记内容。".encode("gbk"),
            "utf16.txt": "UTF-16 的笔记内容。".encode("utf-16"),
            "ignored.pdf": b"%PDF",
        }
    )
    loaded = plain_load(folder)
    assert sorted(n.text for n in loaded.notes) == sorted(
        ["好的笔记。", "国标编码的笔记内容。", "UTF-16 的笔记内容。"]
    )
    assert {s.source: s.reason for s in loaded.skipped} == {
        "binary.txt": "binary file",
        "empty.md": "empty file",
    }
    assert loaded.files == 3


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path, plain_load: Load) -> None:
    with pytest.raises(NotesFolderError, match="not found"):
        plain_load(tmp_path / "nope")
    with pytest.raises(NotesFolderError, match=r"no \.txt, \.md or \.ipynb notes"):
        plain_load(tmp_path)


def test_snippets_cite_their_own_line_and_notes_their_kind(
    notes_folder: Make, plain_load: Load
) -> None:
    text = "# 暂退法\n\n训练时随机丢弃神经元，\n推理时不丢弃。\n\n```python\nnn.Dropout(0.5)\n```\n"
    loaded = plain_load(notes_folder({"d.md": text}), splitter=SentenceSplitter(min_chars=2))
    assert [(n.kind, n.location.line) for n in loaded.notes] == [("prose", 3), ("code", 7)]
    places = [(s.text, s.location.line, s.note_id) for s in loaded.snippets]
    assert places == [
        ("训练时随机丢弃神经元，推理时不丢弃。", 3, 0),
        ("nn.Dropout(0.5)", 7, 1),
    ]
    wrapped = SentenceSplitter(min_chars=2, max_chars=12)
    snippets = plain_load(notes_folder({"d.md": text}), splitter=wrapped).snippets
    lines = [s.location.line for s in snippets]
    assert lines == [3, 4, 7]


def test_notebooks_are_read_and_a_malformed_one_is_skipped(
    notes_folder: Make, plain_load: Load
) -> None:
    cells = '{"cells": [{"cell_type": "markdown", "source": ["# Dropout\\n", "随机丢弃。"]}]}'
    folder = notes_folder({"nb.ipynb": cells, "bad.ipynb": "{oops", "a.txt": "笔记。"})
    loaded = plain_load(folder)
    assert [(n.location.source, n.title, n.text) for n in loaded.notes] == [
        ("a.txt", "笔记", "笔记。"),
        ("nb.ipynb", "Dropout · cell 1", "随机丢弃。"),
    ]
    assert [(s.source, s.reason.split(" (")[0]) for s in loaded.skipped] == [
        ("bad.ipynb", "malformed notebook: not JSON")
    ]
