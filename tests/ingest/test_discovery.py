"""Finding note files: never outside the folder, every name shown safely (issue 12)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.ingest.discovery import OUTSIDE, FolderListing, NoteFinder, NotesFolderError
from qabot.ingest.discovery import display_name as shown

Make = Callable[[dict[str, str | bytes]], Path]
EXTENSIONS = (".txt", ".md", ".ipynb")


def find(folder: Path, **options: object) -> FolderListing:
    return NoteFinder(EXTENSIONS, **options).find(folder)  # type: ignore[arg-type]


def sources(listing: FolderListing) -> list[str]:
    return [file.source for file in listing.files]


def skipped(listing: FolderListing) -> dict[str, str]:
    return {entry.source: entry.reason for entry in listing.skipped}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secrets = tmp_path / "outside"
    secrets.mkdir()
    (secrets / "secret.txt").write_text("API_KEY=sk-test-123\n", encoding="utf-8")
    return secrets


def test_symlinks_leading_outside_are_skipped_with_a_reason(
    notes_folder: Make, outside: Path
) -> None:
    folder = notes_folder({"good.txt": "笔记。", "sub/inner.md": "内部。"})
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "sub" / "up.md").symlink_to("../../outside/secret.txt")
    (folder / "alias.txt").symlink_to(folder / "sub" / "inner.md")  # inside: fine
    listing = find(folder)
    assert sources(listing) == ["alias.txt", "good.txt", "sub/inner.md"]
    assert skipped(listing) == {"leak.txt": OUTSIDE, "linked/": OUTSIDE, "sub/up.md": OUTSIDE}


def test_the_folder_itself_may_be_reached_through_a_symlink(
    notes_folder: Make, tmp_path: Path
) -> None:
    folder = notes_folder({"a.txt": "笔记。"})
    (tmp_path / "via").symlink_to(folder, target_is_directory=True)
    (folder / "self.txt").symlink_to(tmp_path / "via" / "a.txt")
    assert sources(find(tmp_path / "via")) == ["a.txt", "self.txt"]


def test_following_symlinks_outside_is_a_setting(notes_folder: Make, outside: Path) -> None:
    folder = notes_folder({"good.txt": "笔记。"})
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    listing = find(folder, follow_symlinks_outside=True)
    assert sources(listing) == ["good.txt", "leak.txt", "linked/secret.txt"]


def test_symlink_loops_are_walked_once(notes_folder: Make) -> None:
    folder = notes_folder({"a/n.txt": "一条笔记。"})
    (folder / "a" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "a" / "self").symlink_to(folder / "a", target_is_directory=True)
    assert sources(find(folder)) == ["a/n.txt"]


@pytest.mark.timeout(10)
def test_special_files_are_reported_never_opened(notes_folder: Make) -> None:
    folder = notes_folder({"good.txt": "笔记。"})
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    listing = find(folder, follow_symlinks_outside=True)
    assert sources(listing) == ["good.txt"]
    assert skipped(listing) == {
        "pipe.txt": "not a regular file: a FIFO",
        "zero.txt": "not a regular file: a character device",
    }


def test_names_that_are_not_utf8_are_found_and_shown_escaped(notes_folder: Make) -> None:
    folder = notes_folder({"good.txt": "笔记。"})
    gbk = "梯度.txt".encode("gbk")  # a Chinese name from a Windows zip
    with open(os.path.join(os.fsencode(folder), gbk), "wb") as note:
        note.write("梯度检查点。".encode())
    listing = find(folder)
    file = next(f for f in listing.files if f.raw_name == gbk)
    assert file.source == "\\xcc\\xdd\\xb6\\xc8.txt"
    assert file.source.encode("utf-8")  # JSON-safe: no lone surrogates
    with open(file.path, "rb") as note:
        assert note.read() == "梯度检查点。".encode()


@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("new\nline.txt", "new\\nline.txt"),
        ("evil\u202etxt.md", "evil\\u202etxt.md"),
        ("bell\x07.txt", "bell\\x07.txt"),
        ("中文 名.txt", "中文 名.txt"),
        ("ok/\udcccx\u202e.txt", "ok/\\xccx\\xe2\\x80\\xae.txt"),
    ],
)
def test_control_and_bidi_characters_are_escaped(name: str, display: str) -> None:
    assert shown(name) == display


def test_an_unreadable_subfolder_is_reported(
    notes_folder: Make, unlistable: Callable[[str], None]
) -> None:
    folder = notes_folder({"good.txt": "笔记。", "private/secret.txt": "x"})
    unlistable("private")
    listing = find(folder)
    assert sources(listing) == ["good.txt"]
    assert skipped(listing) == {"private/": "Permission denied"}


def test_default_ignore_rules_skip_hidden_folders_git_and_node_modules(
    notes_folder: Make,
) -> None:
    folder = notes_folder(
        {
            "a.md": "笔记。",
            ".git/notes.md": "x",
            ".obsidian/cache.md": "x",
            "node_modules/pkg/README.md": "x",
            ".draft.md": "x",
            "sub/.hidden.txt": "x",
        }
    )
    listing = find(folder)
    assert sources(listing) == ["a.md"]
    assert listing.ignored == 2  # the hidden files; default-skipped folders are not entered


def test_qabotignore_and_the_ignore_setting_in_gitignore_syntax(notes_folder: Make) -> None:
    folder = notes_folder(
        {
            ".qabotignore": "# drafts\ndrafts/\n*.bak.md\n!keep.bak.md\n",
            "a.md": "笔记。",
            "drafts/one.md": "x",
            "drafts/deep/two.txt": "x",
            "old.bak.md": "x",
            "keep.bak.md": "留下。",
            "tmp/scratch.txt": "x",
            ".notes/kept.md": "隐藏文件夹里的笔记。",
        }
    )
    listing = find(folder, ignore=["tmp/", "!.notes/"])
    assert sources(listing) == ["a.md", "keep.bak.md", ".notes/kept.md"]
    assert listing.ignored == 4


def test_a_qabotignore_outside_the_folder_is_not_read(notes_folder: Make, outside: Path) -> None:
    folder = notes_folder({"a.md": "笔记。", "b.md": "笔记。"})
    (outside / "rules").write_text("a.md\n", encoding="utf-8")
    (folder / ".qabotignore").symlink_to(outside / "rules")
    listing = find(folder)
    assert sources(listing) == ["a.md", "b.md"]
    assert skipped(listing) == {".qabotignore": OUTSIDE}


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotesFolderError, match="not found"):
        find(tmp_path / "nope")
    with pytest.raises(NotesFolderError, match=r"no \.txt, \.md or \.ipynb notes in"):
        find(tmp_path)


def test_an_unreadable_notes_folder_is_one_clear_error(
    notes_folder: Make, unlistable: Callable[[str], None]
) -> None:
    folder = notes_folder({"a.txt": "笔记。"})
    unlistable(folder.name)
    with pytest.raises(
        NotesFolderError, match=r"cannot read the notes folder .*: Permission denied"
    ):
        find(folder)
