"""Read a notes folder into :class:`~qabot.schema.Note` objects.

Files are found by :mod:`qabot.ingest.discovery` (never outside the folder), read by
:mod:`qabot.ingest.reading` (regular files only, capped, never blocking), decoded by
:mod:`qabot.ingest.encoding` and parsed by their suffix: Markdown
(:mod:`~qabot.ingest.markdown`), Jupyter notebooks (:mod:`~qabot.ingest.notebook`)
or plain text (:mod:`~qabot.ingest.plaintext`). A note over ``max_note_chars`` is cut
into several, and a prose note matching a boilerplate pattern is dropped. A file
that cannot be read is skipped with the reason (:mod:`qabot.build.scan` and
:mod:`qabot.build.parts` call this one file at a time).

Example:
    >>> loader = NoteLoader()
    >>> document = loader.document("a.md", "# Adam\\nAdamW decouples weight decay.")
    >>> [note.title for note in document_notes(document)]
    ['Adam']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from qabot.config import IngestSettings
from qabot.ingest.discovery import FolderListing, FoundFile, NoteFinder, NotesFolderError
from qabot.ingest.document import Document, ParsedNote
from qabot.ingest.encoding import DecodedText, UndecodableError, decode_note_bytes
from qabot.ingest.markdown import parse_markdown
from qabot.ingest.notebook import parse_notebook
from qabot.ingest.plaintext import parse_plain_text
from qabot.ingest.reading import read_note_bytes
from qabot.schema import Location, Note

__all__ = ["NoteLoader", "NotesFolderError", "document_notes"]

log = logging.getLogger(__name__)

MARKDOWN = (".md", ".markdown")
NOTEBOOK = ".ipynb"


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
            max_file_bytes=ingest.max_file_bytes,
            max_note_chars=ingest.max_note_chars,
            ignore=ingest.ignore,
            follow_symlinks_outside=ingest.follow_symlinks_outside,
        )

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
