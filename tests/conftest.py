"""Shared fixtures: the bundled notes, and a pipeline built over them once per session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.ingest.encoding import UndecodableError
from qabot.ingest.loader import NoteLoader, document_notes
from qabot.ingest.reading import NoteFileRefused
from qabot.ingest.splitter import SentenceSplitter
from qabot.pipeline import QAPipeline
from qabot.schema import Location, Note, SkippedFile

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds_pipeline() -> QAPipeline:
    return QAPipeline.from_settings(Settings(notes_dir=SEEDS))


SMALL_NOTES = (
    "AdamW 把权重衰减从梯度更新中解耦出来。它因此在大模型训练里成了默认优化器。\n"
    "梯度检查点只保存部分激活值。反向传播时重新计算其余激活值。这样用计算换显存。\n"
    "学习率预热让训练开始时学习率逐步增大。\n"
)


@pytest.fixture
def small_notes() -> str:
    """Three lines of notes: AdamW, gradient checkpointing, warm-up."""
    return SMALL_NOTES


@pytest.fixture
def small_pipeline(notes_folder: Callable[[dict[str, str | bytes]], Path]) -> QAPipeline:
    """A pipeline over the small notes, and a copy of them one line further down."""
    folder = notes_folder(
        {"a.txt": SMALL_NOTES, "copy.txt": "别的笔记放在第一行。\n" + SMALL_NOTES}
    )
    return QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))


@pytest.fixture
def notes_folder(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write ``{relative path: text or bytes}`` under a fresh folder and return it."""

    def make(files: dict[str, str | bytes]) -> Path:
        folder = tmp_path / "notes"
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return make


@dataclass(frozen=True, slots=True)
class PlainSnippet:
    """A snippet before dedup: its text, its place and its note."""

    text: str
    location: Location
    note_id: int


@dataclass(slots=True)
class PlainLoad:
    """A folder's notes and snippets read one file at a time, what was skipped, how many
    files were read and how many the ignore rules left out."""

    notes: list[Note] = field(default_factory=list)
    snippets: list[PlainSnippet] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files: int = 0
    ignored: int = 0


def plain_load(
    folder: Path, loader: NoteLoader | None = None, splitter: SentenceSplitter | None = None
) -> PlainLoad:
    """The definition of what the build reads from a folder, by the ingest layer's public
    API, one file at a time: tests compare the build (and the ingest rules) against it."""
    loader = loader or NoteLoader()
    splitter = splitter or SentenceSplitter()
    listing = loader.find(folder)
    loaded = PlainLoad(skipped=[SkippedFile(s.source, s.reason) for s in listing.skipped])
    loaded.ignored = listing.ignored
    for found in listing.files:
        try:
            document = loader.document(found.source, loader.decode(loader.read_bytes(found)).text)
        except (UndecodableError, NoteFileRefused) as error:
            loaded.skipped.append(SkippedFile(found.source, str(error)))
            continue
        except OSError as error:
            loaded.skipped.append(SkippedFile(found.source, error.strerror or str(error)))
            continue
        if not document.notes:
            loaded.skipped.append(SkippedFile(found.source, "no notes in it"))
            continue
        first = len(loaded.notes)
        loaded.notes.extend(document_notes(document, first))
        loaded.snippets.extend(
            PlainSnippet(text, Location(found.source, line, start, end), first + row)
            for row, text, start, end, line in document.snippets(splitter)
        )
        loaded.files += 1
    return loaded


@pytest.fixture(name="plain_load")
def plain_load_fixture() -> Callable[..., PlainLoad]:
    """:func:`plain_load`, for tests in other folders (conftest is not importable)."""
    return plain_load
