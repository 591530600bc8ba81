"""Stage 1 of the build: the note files of a folder, each read and keyed by its content.

Example:
    >>> files = scan(Path("seeds"), Settings()).files  # doctest: +SKIP
    >>> files[0].source, len(files[0].key)  # doctest: +SKIP
    ('000_518f52ec4929dd4d.txt', 64)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qabot.config import Settings
from qabot.ingest.discovery import FoundFile, NoteFinder
from qabot.ingest.reading import NoteFileRefused, read_note_bytes
from qabot.store.key import code_version, digest


@dataclass(slots=True)
class NoteFile:
    """A note file of the folder: its part's key and bytes, or why it could not be read.

    ``source`` is the path relative to the notes folder as citations show it (JSON-safe:
    undecodable bytes and control characters escaped). A skipped folder is a
    ``NoteFile`` with an error and no ``found`` file, its source ending in ``/``.
    """

    source: str
    found: FoundFile | None = None
    key: str = ""
    data: bytes | None = None
    error: str | None = None


@dataclass(slots=True)
class ScannedFolder:
    """A folder's note files, and how many the ignore rules left out."""

    files: list[NoteFile]
    ignored: int = 0


def scan(folder: Path, settings: Settings) -> ScannedFolder:
    """Every note file below ``folder``, read and keyed by its content; raises
    :class:`~qabot.ingest.loader.NotesFolderError` if there is none."""
    ingest = settings.ingest
    shaping = part_settings_key(settings)
    listing = NoteFinder(ingest.extensions, ingest.ignore, ingest.follow_symlinks_outside).find(
        folder
    )
    files = [NoteFile(skipped.source, error=skipped.reason) for skipped in listing.skipped]
    for found in listing.files:
        try:
            data = read(found, settings)
        except NoteFileRefused as error:
            files.append(NoteFile(found.source, found, error=str(error)))
            continue
        except OSError as error:
            reason = error.strerror or type(error).__name__
            files.append(NoteFile(found.source, found, error=reason))
            continue
        # The suffix decides how a file is parsed (Markdown, notebook or plain text).
        suffix = Path(found.source).suffix.lower()
        key = digest(shaping, suffix, hashlib.sha256(data).hexdigest())
        files.append(NoteFile(found.source, found, key, data))
    return ScannedFolder(files, listing.ignored)


def read(found: FoundFile, settings: Settings) -> bytes:
    """A found file's bytes; raises ``NoteFileRefused`` (too large, not a regular file,
    swapped since it was found) or ``OSError``."""
    return read_note_bytes(found.path, settings.ingest.max_file_bytes, found.identity)


def part_settings_key(settings: Settings) -> str:
    """What every part depends on besides its file: the code and the settings that
    read, split and tokenize a file."""
    return digest(
        code_version(),
        settings.ingest.model_dump(mode="json"),
        settings.tokenizer.model_dump(mode="json"),
    )
