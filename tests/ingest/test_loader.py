from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.ingest.loader import NoteLoader, NotesFolderError, leading_words

Make = Callable[[dict[str, str | bytes]], Path]
FEED = "INCOMING TRANSMISSION\n\nLATEST UPDATES\n第一条笔记的内容。...\n第二条笔记。...\n"


def test_feed_banners_are_skipped_by_the_configured_rule(notes_folder: Make) -> None:
    folder = notes_folder({"feed.txt": FEED})
    loaded = NoteLoader(boilerplate_patterns=[r"^[A-Z][A-Z0-9 ]{2,60}$"]).load(folder)
    assert [note.text for note in loaded.notes] == ["第一条笔记的内容。...", "第二条笔记。..."]
    assert [note.location.line for note in loaded.notes] == [4, 5]


def test_without_the_rule_banners_are_notes(notes_folder: Make) -> None:
    loaded = NoteLoader().load(notes_folder({"feed.txt": FEED}))
    assert loaded.notes[0].text == "INCOMING TRANSMISSION"


def test_markdown_headings_titles_and_front_matter(notes_folder: Make) -> None:
    text = (
        "---\ntitle: x\ntags: [a]\n---\n"
        "# Optimizers\n\nAdamW 解耦权重衰减。\n## Schedules\nWarmup 先升后降。\n"
    )
    loaded = NoteLoader().load(notes_folder({"sub/opt.md": text}))
    assert [(n.title, n.text, n.location.line) for n in loaded.notes] == [
        ("Optimizers", "AdamW 解耦权重衰减。", 7),
        ("Schedules", "Warmup 先升后降。", 9),
    ]
    assert loaded.notes[0].location.source == "sub/opt.md"


def test_offsets_index_the_decoded_file(notes_folder: Make) -> None:
    text = "first line here\r\n  second note, indented\n"
    folder = notes_folder({"a.txt": text})
    note = NoteLoader().load(folder).notes[1]
    assert text[note.location.start : note.location.end] == "second note, indented"


def test_bad_files_are_skipped_with_a_reason_and_loading_goes_on(notes_folder: Make) -> None:
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
    loaded = NoteLoader().load(folder)
    assert sorted(n.text for n in loaded.notes) == sorted(
        ["好的笔记。", "国标编码的笔记内容。", "UTF-16 的笔记内容。"]
    )
    assert {s.source: s.reason for s in loaded.skipped} == {
        "binary.txt": "binary file",
        "empty.md": "empty file",
    }
    assert loaded.files == 3


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotesFolderError, match="not found"):
        NoteLoader().load(tmp_path / "nope")
    with pytest.raises(NotesFolderError, match=r"no \.txt or \.md notes"):
        NoteLoader().load(tmp_path)


def test_symlink_loops_are_walked_once(notes_folder: Make) -> None:
    folder = notes_folder({"a/n.txt": "一条笔记。"})
    (folder / "a" / "loop").symlink_to(folder, target_is_directory=True)
    assert len(NoteLoader().load(folder).notes) == 1


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("🔖 https://x.org/ DeepSeek LLM 代码地址: https://github.com", "DeepSeek LLM 代码地址"),
        ("梯度检查点(Gradient Checkpointing) 大模型的参数量巨大", "梯度检查点"),
        ("A very long English note that goes on and on without stopping", "A very long English…"),
    ],
)
def test_leading_words_make_a_short_title(text: str, title: str) -> None:
    assert leading_words(text) == title
