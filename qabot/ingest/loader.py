"""Read a notes folder into :class:`~qabot.schema.Note` objects.

Every non-blank line is a note, unless a boilerplate pattern matches it; a line over
``max_note_chars`` is cut into several notes. In Markdown,
headings give the title of the lines under them and are not notes themselves, and
front matter is dropped; in plain text a note's title is its leading words. A file
that cannot be read (binary, undecodable, empty, unreadable, over ``max_file_bytes``)
is skipped with one warning naming it and the reason, and loading carries on.

Example:
    >>> loader = NoteLoader()
    >>> [note.title for note in loader.parse("a.md", "# Adam\\nAdamW decouples weight decay.")]
    ['Adam']
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qabot.config import IngestSettings
from qabot.ingest.encoding import DecodedText, UndecodableError, decode_note_bytes
from qabot.schema import Location, Note, SkippedFile

log = logging.getLogger(__name__)

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_FRONT_MATTER_FENCES = {"---": "---", "+++": "+++"}
_URL = re.compile(r"https?://\S+")
_TITLE_STOP = re.compile(r"[。！？；!?;,，:：(（\[【]")
_TITLE_CHARS = 24


class NotesFolderError(Exception):
    """The notes folder is missing, not a folder, or holds no notes."""


class NoteFileTooLarge(Exception):
    """A file over the size cap; it is skipped without being read."""


@dataclass(slots=True)
class LoadedNotes:
    """The notes of a folder, how many files they came from, and what was skipped."""

    notes: list[Note] = field(default_factory=list)
    files: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)


class NoteLoader:
    """Finds note files under a folder and parses each into notes."""

    def __init__(
        self,
        extensions: Iterable[str] = (".txt", ".md"),
        boilerplate_patterns: Iterable[str] = (),
        max_file_bytes: int = 20 * 2**20,
        max_note_chars: int = 20_000,
    ) -> None:
        self.extensions = tuple(ext.lower() for ext in extensions)
        self.boilerplate = [re.compile(pattern) for pattern in boilerplate_patterns]
        self.max_file_bytes = max_file_bytes
        self.max_note_chars = max_note_chars

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> NoteLoader:
        """The loader the ``[ingest]`` settings describe."""
        return cls(
            ingest.extensions,
            ingest.boilerplate_patterns,
            max_file_bytes=int(ingest.max_file_mb * 2**20),
            max_note_chars=ingest.max_note_chars,
        )

    def load(self, folder: Path) -> LoadedNotes:
        """Load every note file below ``folder``, recursively."""
        result = LoadedNotes()
        for path in self.find_files(folder):
            source = path.relative_to(folder).as_posix()
            try:
                text = self.read(path)
            except (OSError, UndecodableError, NoteFileTooLarge) as error:
                result.skipped.append(_skip(source, error))
                continue
            notes = self.parse(source, text, first_id=len(result.notes))
            if not notes:
                result.skipped.append(_skip(source, "no notes in it"))
                continue
            result.files += 1
            result.notes.extend(notes)
        return result

    def find_files(self, folder: Path) -> list[Path]:
        """Note files below ``folder`` in a stable order; symlink loops are walked once."""
        if not folder.is_dir():
            raise NotesFolderError(f"notes folder not found: {folder}")
        seen: set[tuple[int, int]] = set()
        found: list[Path] = []
        for root, dirs, files in os.walk(folder, followlinks=True):
            stat = os.stat(root)
            if (stat.st_dev, stat.st_ino) in seen:
                dirs.clear()
                continue
            seen.add((stat.st_dev, stat.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(
                Path(root, name)
                for name in sorted(files)
                if name.lower().endswith(self.extensions) and not name.startswith(".")
            )
        if not found:
            raise NotesFolderError(f"no {' or '.join(self.extensions)} notes in {folder}")
        return found

    def read(self, path: Path) -> str:
        """The decoded text of a note file; raises with the reason it can't be read."""
        decoded = self.decode(self.read_bytes(path))
        if decoded.replaced:
            log.warning("%s: %d undecodable bytes replaced", path, decoded.replaced)
        return decoded.text

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes, refusing one over the size cap before reading it."""
        size = path.stat().st_size
        if size > self.max_file_bytes:
            raise NoteFileTooLarge(
                f"too large ({size / 2**20:.1f} MiB; the cap is "
                f"{self.max_file_bytes / 2**20:g} MiB, ingest.max_file_mb)"
            )
        return path.read_bytes()

    @staticmethod
    def decode(data: bytes) -> DecodedText:
        """Decode a note file's bytes; an empty or blank file is refused."""
        if not data.strip():
            raise UndecodableError("empty file")
        return decode_note_bytes(data)

    def parse(self, source: str, text: str, first_id: int = 0) -> list[Note]:
        """Split one file's text into notes with their titles and locations."""
        markdown = source.lower().endswith((".md", ".markdown"))
        notes: list[Note] = []
        heading: str | None = None
        for line_no, start, line in _lines(text, skip_front_matter=markdown):
            content = line.strip()
            if not content or any(p.search(content) for p in self.boilerplate):
                continue
            if markdown and (match := _HEADING.match(line)):
                heading = match.group(1)
                continue
            offset = start + line.index(content)
            title = heading or leading_words(content)
            # A huge line (a pasted dump) becomes several notes, so no note is unbounded.
            for cut in range(0, len(content), self.max_note_chars):
                piece = content[cut : cut + self.max_note_chars]
                begin = offset + cut
                notes.append(
                    Note(
                        first_id + len(notes),
                        title,
                        piece,
                        Location(source, line_no, begin, begin + len(piece)),
                    )
                )
        return notes


def leading_words(text: str, limit: int = _TITLE_CHARS) -> str:
    """A short title from the start of a note: its first clause, links and symbols dropped."""
    text = _URL.sub(" ", text)
    text = re.sub(r"^[^\w]+", "", text).strip()
    stop = _TITLE_STOP.search(text)
    if stop and stop.start() >= 2:
        text = text[: stop.start()]
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + "…"


def _lines(text: str, skip_front_matter: bool) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, line)`` for each line, split on ``\\n`` only as editors do."""
    closing: str | None = None
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if number == 1 and skip_front_matter and line.strip() in _FRONT_MATTER_FENCES:
            closing = _FRONT_MATTER_FENCES[line.strip()]
        elif closing is not None:
            if line.strip() == closing:
                closing = None
        else:
            yield number, offset, line
        offset += len(raw) + 1


def _skip(source: str, reason: object) -> SkippedFile:
    if isinstance(reason, OSError):
        reason = reason.strerror or type(reason).__name__
    log.warning("skipped %s: %s", source, reason)
    return SkippedFile(source, str(reason))
