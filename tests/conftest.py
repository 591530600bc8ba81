"""Shared fixtures: the bundled notes, and a pipeline built over them once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.pipeline import QAPipeline

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds_pipeline() -> QAPipeline:
    return QAPipeline.from_settings(Settings(notes_dir=SEEDS))


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
