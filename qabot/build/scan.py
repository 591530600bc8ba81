"""Stage 1 of the build: the note files of a folder, each read and keyed by its content.

Example:
    >>> files = scan(Path("seeds"), Settings())  # doctest: +SKIP
    >>> files[0].source, len(files[0].key)  # doctest: +SKIP
    ('000_518f52ec4929dd4d.txt', 64)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qabot.config import Settings
from qabot.ingest.loader import NoteFileTooLarge, NoteLoader
from qabot.store.key import code_version, digest


@dataclass(slots=True)
class NoteFile:
    """A note file of the folder: its part's key and bytes, or why it could not be read.

    ``source`` is the path relative to the notes folder, as citations show it.
    """

    path: Path
    source: str
    key: str = ""
    data: bytes | None = None
    error: str | None = None


def scan(folder: Path, settings: Settings) -> list[NoteFile]:
    """Every note file below ``folder``, read and keyed by its content; raises
    :class:`~qabot.ingest.loader.NotesFolderError` if there is none."""
    loader = NoteLoader.from_settings(settings.ingest)
    shaping = part_settings_key(settings)
    files: list[NoteFile] = []
    for path in loader.find_files(folder):
        source = path.relative_to(folder).as_posix()
        try:
            data = loader.read_bytes(path)
        except NoteFileTooLarge as error:
            files.append(NoteFile(path, source, error=str(error)))
            continue
        except OSError as error:
            files.append(NoteFile(path, source, error=error.strerror or type(error).__name__))
            continue
        # The suffix decides how a file is parsed (Markdown or plain text).
        key = digest(shaping, Path(source).suffix.lower(), hashlib.sha256(data).hexdigest())
        files.append(NoteFile(path, source, key, data))
    return files


def part_settings_key(settings: Settings) -> str:
    """What every part depends on besides its file: the code and the settings that
    read, split and tokenize a file."""
    return digest(
        code_version(),
        settings.ingest.model_dump(mode="json"),
        settings.tokenizer.model_dump(mode="json"),
    )
