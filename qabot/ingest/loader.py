"""Read a notes folder into :class:`~qabot.schema.Note` objects.

Every non-blank line is a note, unless a boilerplate pattern matches it. In Markdown,
headings give the title of the lines under them and are not notes themselves, and
front matter is dropped; in plain text a note's title is its leading words. A file
that cannot be read is skipped with one warning, and loading carries on.

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

from qabot.ingest.encoding import UndecodableError, decode_note_bytes
from qabot.schema import Location, Note, SkippedFile

log = logging.getLogger(__name__)

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_FRONT_MATTER_FENCES = {"---": "---", "+++": "+++"}
_URL = re.compile(r"https?://\S+")
_TITLE_STOP = re.compile(r"[。！？；!?;,，:：(（\[【]")
_TITLE_CHARS = 24


class NotesFolderError(Exception):
    """The notes folder is missing, not a folder, or holds no notes."""


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
    ) -> None:
        self.extensions = tuple(ext.lower() for ext in extensions)
        self.boilerplate = [re.compile(pattern) for pattern in boilerplate_patterns]

    def load(self, folder: Path) -> LoadedNotes:
        """Load every note file below ``folder``, recursively."""
        result = LoadedNotes()
        for path in self.find_files(folder):
            source = path.relative_to(folder).as_posix()
            try:
                text = self.read(path)
            except (OSError, UndecodableError) as error:
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
        data = path.read_bytes()
        if not data.strip():
            raise UndecodableError("empty file")
        decoded = decode_note_bytes(data)
        if decoded.replaced:
            log.warning("%s: %d undecodable bytes replaced", path, decoded.replaced)
        return decoded.text

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
            notes.append(
                Note(
                    id=first_id + len(notes),
                    title=heading or leading_words(content),
                    text=content,
                    location=Location(source, line_no, offset, offset + len(content)),
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
