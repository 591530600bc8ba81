"""Read a notes folder into :class:`~qabot.schema.Note` objects.

Files are found by :mod:`qabot.ingest.discovery` (never outside the folder), read by
:mod:`qabot.ingest.reading` (regular files only, capped, never blocking), decoded by
:mod:`qabot.ingest.encoding` and parsed by their suffix: Markdown
(:mod:`~qabot.ingest.markdown`), Jupyter notebooks (:mod:`~qabot.ingest.notebook`)
or plain text (:mod:`~qabot.ingest.plaintext`). A note over ``max_note_chars`` is cut
into several, and a prose note matching a boilerplate pattern is dropped. A file
that cannot be read is skipped with one warning naming it and the reason, and
loading carries on.

Example:
    >>> loader = NoteLoader()
    >>> [note.title for note in loader.parse("a.md", "# Adam\\nAdamW decouples weight decay.")]
    ['Adam']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qabot.config import IngestSettings
from qabot.ingest.dedup import RawSnippet
from qabot.ingest.discovery import FolderListing, FoundFile, NoteFinder, NotesFolderError
from qabot.ingest.document import Document, ParsedNote
from qabot.ingest.encoding import DecodedText, UndecodableError, decode_note_bytes
from qabot.ingest.markdown import parse_markdown
from qabot.ingest.notebook import parse_notebook
from qabot.ingest.plaintext import parse_plain_text
from qabot.ingest.reading import NoteFileRefused, read_note_bytes
from qabot.ingest.splitter import SentenceSplitter
from qabot.schema import Location, Note, SkippedFile

__all__ = ["LoadedNotes", "NoteLoader", "NotesFolderError"]

log = logging.getLogger(__name__)

MARKDOWN = (".md", ".markdown")
NOTEBOOK = ".ipynb"


@dataclass(slots=True)
class LoadedNotes:
    """The notes of a folder and their snippets, how many files they came from, what
    was skipped, and how many files the ignore rules left out."""

    notes: list[Note] = field(default_factory=list)
    snippets: list[RawSnippet] = field(default_factory=list)
    files: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored: int = 0


class NoteLoader:
    """Finds note files under a folder and parses each into notes."""

    def __init__(
        self,
        extensions: Iterable[str] = (".txt", ".md", NOTEBOOK),
        boilerplate_patterns: Iterable[str] = (),
        max_file_bytes: int = 20 * 2**20,
        max_note_chars: int = 20_000,
        ignore: Iterable[str] = (),
        follow_symlinks_outside: bool = False,
    ) -> None:
        self.finder = NoteFinder(extensions, ignore, follow_symlinks_outside)
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
            ignore=ingest.ignore,
            follow_symlinks_outside=ingest.follow_symlinks_outside,
        )

    def load(self, folder: Path, splitter: SentenceSplitter | None = None) -> LoadedNotes:
        """Load every note file below ``folder``, recursively, and cut the notes into
        snippets with ``splitter`` (the default one if not given)."""
        splitter = splitter or SentenceSplitter()
        listing = self.find(folder)
        result = LoadedNotes(skipped=[_skip(s.source, s.reason) for s in listing.skipped])
        result.ignored = listing.ignored
        for found in listing.files:
            try:
                decoded = self.decode(self.read_bytes(found))
                document = self.document(found.source, decoded.text)
            except (OSError, UndecodableError, NoteFileRefused) as error:
                result.skipped.append(_skip(found.source, error))
                continue
            if not document.notes:
                result.skipped.append(_skip(found.source, "no notes in it"))
                continue
            first = len(result.notes)
            notes = document_notes(document, first)
            for row, text, start, end, line in document.snippets(splitter):
                note = notes[row]
                location = Location(found.source, line, start, end)
                result.snippets.append(RawSnippet(text, note.title, location, first + row))
            result.files += 1
            result.notes.extend(notes)
        return result

    def find(self, folder: Path) -> FolderListing:
        """The note files below ``folder``, and what was skipped or ignored."""
        return self.finder.find(folder)

    def read_bytes(self, file: FoundFile) -> bytes:
        """A found file's bytes; raises :class:`~qabot.ingest.reading.NoteFileRefused`
        (too large, not a regular file, swapped since it was found) or ``OSError``."""
        return read_note_bytes(file.path, self.max_file_bytes, file.identity)

    @staticmethod
    def decode(data: bytes) -> DecodedText:
        """Decode a note file's bytes; an empty or blank file is refused."""
        if not data.strip():
            raise UndecodableError("empty file")
        return decode_note_bytes(data)

    def document(self, source: str, text: str) -> Document:
        """Parse one file's text, by its suffix; raises ``UndecodableError`` for a
        malformed notebook."""
        suffix = source.lower()
        if suffix.endswith(MARKDOWN):
            parsed = [note for note in parse_markdown(text) if not self._boilerplate(note)]
        elif suffix.endswith(NOTEBOOK):
            text, parsed = parse_notebook(text)
        else:
            parsed = parse_plain_text(text, self._is_boilerplate if self.boilerplate else None)
        notes = [piece for note in parsed for piece in note.pieces(self.max_note_chars)]
        return Document(source, text, notes)

    def parse(self, source: str, text: str, first_id: int = 0) -> list[Note]:
        """Split one file's text into notes with their titles and locations."""
        return document_notes(self.document(source, text), first_id)

    def _is_boilerplate(self, line: str) -> bool:
        return any(pattern.search(line) for pattern in self.boilerplate)

    def _boilerplate(self, note: ParsedNote) -> bool:
        return note.kind == "prose" and self._is_boilerplate(note.text)


def document_notes(document: Document, first_id: int = 0) -> list[Note]:
    """The :class:`~qabot.schema.Note` of each note of ``document``, numbered from
    ``first_id``."""
    return [
        Note(
            first_id + row,
            note.title,
            note.text,
            Location(document.source, document.line_of(note.start), note.start, note.end),
            note.kind,
        )
        for row, note in enumerate(document.notes)
    ]


def _skip(source: str, reason: object) -> SkippedFile:
    if isinstance(reason, OSError):
        reason = reason.strerror or type(reason).__name__
    log.warning("skipped %s: %s", source, reason)
    return SkippedFile(source, str(reason))
