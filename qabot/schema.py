"""The data that flows through the pipeline: notes, snippets, citations and answers.

Every piece of text keeps where it came from: a source file relative to the notes
folder, a 1-based line and character offsets into the decoded file.

Example:
    >>> loc = Location(source="ml.md", line=3, start=120, end=151)
    >>> str(loc)
    'ml.md:3'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NoteKind = Literal["prose", "code", "math"]
NOTE_KINDS: tuple[NoteKind, ...] = ("prose", "code", "math")
"""What a note holds; the index stores a note's kind as its place in this tuple."""


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the notes: file, 1-based line, and ``[start, end)`` character offsets."""

    source: str
    line: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class Note:
    """One note: a line (or wrapped paragraph) of a text file, or a Markdown block.

    ``text`` is clean: no markup but inline code and maths, kept with their
    delimiters. ``kind`` is ``"prose"``, ``"code"`` (a code block or notebook cell,
    verbatim) or ``"math"`` (a display formula, verbatim).
    """

    id: int
    title: str
    text: str
    location: Location
    kind: NoteKind = "prose"


@dataclass(slots=True)
class Snippet:
    """A sentence-sized piece of a note, indexed once however many places hold it.

    ``locations[0]`` is where it was first seen; the rest are its duplicates.
    ``note_ids`` lists the note of each location, in the same order.
    """

    id: int
    text: str
    title: str
    locations: list[Location]
    note_ids: list[int]

    @property
    def location(self) -> Location:
        return self.locations[0]


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file (or a folder, ending in ``/``) that was not indexed, with the reason
    shown to the user: ``cause`` or ``cause: detail``."""

    source: str
    reason: str

    @property
    def cause(self) -> str:
        """The reason without its per-file detail, shared by files skipped alike."""
        return self.reason.split(": ", 1)[0]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What was indexed; shown by ``qabot index``, ``/stats`` and the bot."""

    files: int
    notes: int
    snippets_before_dedup: int
    snippets: int
    skipped: tuple[SkippedFile, ...] = ()
    # Note files left out by the ignore rules (.qabotignore, ingest.ignore, hidden).
    ignored: int = 0

    @property
    def duplicates_merged(self) -> int:
        return self.snippets_before_dedup - self.snippets


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source of an answer.

    ``start``/``end`` are character offsets of ``text`` in ``source``; ``also_in``
    lists every other ``source:line`` that holds the same text. ``kind`` is the kind of
    its note (:attr:`Note.kind`): adapters show ``"code"`` as code.
    """

    n: int
    source: str
    line: int
    title: str
    text: str
    score: float
    also_in: list[str]
    start: int
    end: int
    kind: str = "prose"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Answer:
    """What the core returns for one question; adapters only render it.

    ``answer`` is verbatim note text, or ``""`` when ``abstained``. ``notice`` carries
    a hint for unusable input (empty, only punctuation) or a note that the question
    was cut. ``page`` counts pages of citations already shown before this one.

    Example:
        >>> Answer(question="?", answer="", abstained=True, citations=[]).to_dict()["abstained"]
        True
    """

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    closest_topics: list[str] = field(default_factory=list)
    notice: str | None = None
    page: int = 0
    has_more: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of ``qabot ask --json``: keys may be added, never removed."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "closest_topics": list(self.closest_topics),
            "notice": self.notice,
            "page": self.page,
            "has_more": self.has_more,
        }
