"""A note file read as a document: its notes, each with clean text mapped to the file.

Every reader (plain text, Markdown, notebooks) turns a file into a :class:`Document`:
the raw decoded text that offsets point into, and its :class:`ParsedNote`\\ s. A
document then cuts its notes into snippets, each with its own raw ``[start, end)``
and its own 1-based line, so the third sentence of a wrapped paragraph cites its
own line.

Example:
    >>> from qabot.ingest.markdown import parse_markdown
    >>> text = "# Adam\\n\\nAdam 很常用，\\n它的默认学习率是 0.001。"
    >>> document = Document("a.md", text, parse_markdown(text))
    >>> document.snippets(SentenceSplitter(min_chars=2, max_chars=10))
    [(0, 'Adam 很常用，', 8, 17, 3), (0, '它的默认学习率是', 18, 26, 4), (0, '0.001。', 27, 33, 4)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qabot.ingest.splitter import SentenceSplitter
from qabot.ingest.textmap import LineTable, OffsetMap
from qabot.schema import NoteKind


@dataclass(slots=True)
class ParsedNote:
    """One note as read: title, clean text, where the text came from, and its kind.

    ``cut`` says how it becomes snippets: ``"sentences"`` (prose), ``"bounded"`` (one
    snippet unless over ``max_snippet_chars``: a table row) or ``"whole"`` (one
    snippet, verbatim: code and display maths, which only make sense whole).
    """

    title: str
    text: str
    offsets: OffsetMap
    kind: NoteKind = "prose"
    cut: str = "sentences"

    @property
    def start(self) -> int:
        return self.offsets.start(0)

    @property
    def end(self) -> int:
        return self.offsets.end(len(self.text))

    def pieces(self, limit: int) -> list[ParsedNote]:
        """This note, or several of at most ``limit`` characters (at line ends if it can)."""
        if len(self.text) <= limit:
            return [self]
        pieces: list[ParsedNote] = []
        start = 0
        while start < len(self.text):
            end = min(start + limit, len(self.text))
            if end < len(self.text):
                newline = self.text.rfind("\n", start + limit // 2, end)
                end = newline + 1 if newline >= 0 else end
            text = self.text[start:end]
            if text.strip():
                offsets = self.offsets.sliced(start, end)
                pieces.append(ParsedNote(self.title, text, offsets, self.kind, self.cut))
            start = end
        return pieces


@dataclass(slots=True)
class Document:
    """A file's notes and the raw text their offsets point into."""

    source: str
    text: str
    notes: list[ParsedNote]
    _lines: LineTable | None = field(default=None, repr=False)

    def line_of(self, offset: int) -> int:
        if self._lines is None:
            self._lines = LineTable(self.text)
        return self._lines.line_of(offset)

    def snippets(self, splitter: SentenceSplitter) -> list[tuple[int, str, int, int, int]]:
        """``(note row, text, start, end, line)`` of every snippet, in reading order."""
        snippets: list[tuple[int, str, int, int, int]] = []
        for row, note in enumerate(self.notes):
            offsets = note.offsets
            if note.cut == "sentences":
                spans = splitter.split(note.text)
            elif note.cut == "bounded":
                spans = splitter.bounded(note.text)
            else:
                spans = [(note.text, 0, len(note.text))]
            if len(offsets.clean) == 1 and offsets.verbatim[0] and "\n" not in note.text:
                # Copied whole from one line (most plain-text notes): no lookups needed.
                base, line = offsets.raw_start[0], None
                for text, start, end in spans:
                    line = line or self.line_of(base)
                    snippets.append((row, text, base + start, base + end, line))
                continue
            for text, start, end in spans:
                raw_start, raw_end = offsets.span(start, end)
                snippets.append((row, text, raw_start, raw_end, self.line_of(raw_start)))
        return snippets
