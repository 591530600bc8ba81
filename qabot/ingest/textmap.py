"""Clean text that remembers where each piece of it came from in the raw file.

A note's text is cleaned of markup, so its characters no longer sit at the same
offsets as in the file. :class:`CleanText` builds the clean text piece by piece, and
each piece records the raw span it came from: copied verbatim (each character maps
to its own raw offset) or put in place of something else (a decoded entity, the
space that joins two wrapped lines, a table header), which maps as a whole to the
raw span it replaces. :class:`OffsetMap` then turns any clean span, such as one
sentence, back into the raw ``[start, end)`` it was made from, and
:class:`LineTable` gives a raw offset's 1-based line.

Example:
    >>> raw = "**AdamW** &amp; SGD"
    >>> clean = CleanText()
    >>> clean.copy("AdamW", 2)
    >>> clean.put(" & ", 9, 16)
    >>> clean.copy("SGD", 16)
    >>> text, offsets = clean.finish()
    >>> text, offsets.span(0, 5), offsets.span(6, len(text))
    ('AdamW & SGD', (2, 7), (9, 19))
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_LETTER = re.compile(r"[^\W\d_]")
# A bare URL counts as a link: a block of nothing else is a list of references.
_URL = re.compile(r"\w+://\S+|www\.\S+")


def is_wide(char: str) -> bool:
    """True for CJK characters and punctuation, which join without a space."""
    return (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


@dataclass(slots=True)
class OffsetMap:
    """Maps offsets in a clean text to offsets in the raw text it was made from.

    Segment ``i`` starts at clean offset ``clean[i]`` and came from the raw span
    ``[raw_start[i], raw_end[i])``, character by character if ``verbatim[i]``.
    """

    clean: list[int]
    raw_start: list[int]
    raw_end: list[int]
    verbatim: list[bool]

    @classmethod
    def shifted(cls, raw_start: int, length: int) -> OffsetMap:
        """The map of a text copied whole from ``raw_start``."""
        return cls([0], [raw_start], [raw_start + length], [True])

    def start(self, offset: int) -> int:
        """The raw offset where the clean character at ``offset`` came from."""
        i = bisect_right(self.clean, offset) - 1 if len(self.clean) > 1 else 0
        if self.verbatim[i]:
            return min(self.raw_start[i] + offset - self.clean[i], self.raw_end[i])
        return self.raw_start[i]

    def end(self, offset: int) -> int:
        """The raw offset just after the clean character before ``offset``."""
        i = bisect_right(self.clean, offset - 1) - 1 if len(self.clean) > 1 else 0
        if self.verbatim[i]:
            return min(self.raw_start[i] + offset - self.clean[i], self.raw_end[i])
        return self.raw_end[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The raw ``[start, end)`` that the clean ``[start, end)`` was made from."""
        return self.start(start), self.end(end)

    def sliced(self, start: int, end: int) -> OffsetMap:
        """The map of the clean text's ``[start, end)``, as a text of its own."""
        first = bisect_right(self.clean, start) - 1
        last = bisect_right(self.clean, end - 1)
        clean = [max(c - start, 0) for c in self.clean[first:last]]
        raw_start = self.raw_start[first:last]
        if self.verbatim[first]:
            raw_start[0] = self.start(start)
        return OffsetMap(clean, raw_start, self.raw_end[first:last], self.verbatim[first:last])

    def shift(self, by: int) -> None:
        """Move every raw offset by ``by`` (a text that was cut out of a larger one)."""
        self.raw_start = [r + by for r in self.raw_start]
        self.raw_end = [r + by for r in self.raw_end]


class CleanText:
    """Builds a clean text from pieces, each mapped to the raw span it came from.

    Whitespace never doubles or leads, a line break waits to see the next character
    (two CJK characters join without a space), and :meth:`mark` and
    :meth:`truncate` take back what was added since a point (a link that turned out
    to be a citation marker). :attr:`letters` tells whether any letter was added
    outside a link or bare URL, so link-only and image-only blocks can be dropped.
    """

    __slots__ = ("_break", "_parts", "_size", "in_link", "letters", "map")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self.map = OffsetMap([], [], [], [])
        # A pending line break: (kind "soft" or "hard", raw start, raw end).
        self._break: tuple[str, int, int] | None = None
        self.in_link = 0
        self.letters = False

    def __len__(self) -> int:
        return self._size

    def copy(self, text: str, raw_start: int) -> None:
        """Add ``text``, which is the raw text from ``raw_start`` on."""
        self._add(text, raw_start, raw_start + len(text), True)

    def put(self, text: str, raw_start: int, raw_end: int) -> None:
        """Add ``text`` in place of the raw ``[raw_start, raw_end)``."""
        self._add(text, raw_start, raw_end, False)

    def line_break(self, raw_start: int, raw_end: int, hard: bool = False) -> None:
        """A break between lines: soft (a space, or nothing between CJK) or hard (a newline)."""
        if self._size and (self._break is None or hard):
            self._break = ("hard" if hard else "soft", raw_start, raw_end)

    def mark(self) -> int:
        return self._size

    def since(self, mark: int) -> str:
        """The text added after :meth:`mark` returned ``mark``."""
        return "".join(self._parts)[mark:] if mark < self._size else ""

    def truncate(self, mark: int) -> None:
        """Take back everything added after :meth:`mark` returned ``mark``."""
        if mark >= self._size:
            return
        parts = self._parts
        piece = ""
        while self._size > mark:
            piece = parts.pop()
            self._size -= len(piece)
        if self._size < mark:  # the mark falls inside the last piece taken
            parts.append(piece[: mark - self._size])
        self._size = mark
        keep = bisect_right(self.map.clean, mark - 1) if mark else 0
        for column in (self.map.clean, self.map.raw_start, self.map.raw_end, self.map.verbatim):
            del column[keep:]
        self._break = None

    def finish(self) -> tuple[str, OffsetMap]:
        """The clean text, without trailing whitespace, and its offset map."""
        text = "".join(self._parts).rstrip()
        if len(text) < self._size:
            self.truncate(len(text))
        return text, self.map

    def _add(self, text: str, raw_start: int, raw_end: int, verbatim: bool) -> None:
        if not text:
            return
        last = self._parts[-1][-1] if self._parts else ""
        if not last or last.isspace() or self._break is not None:
            stripped = text.lstrip()
            if not stripped:
                return
            if verbatim:
                raw_start += len(text) - len(stripped)
            text = stripped
        if self._break is not None:
            kind, start, end = self._break
            self._break = None
            if kind == "hard":
                self._append("\n", start, end, False)
            elif not (last.isspace() or (is_wide(last) and is_wide(text[0]))):
                self._append(" ", start, end, False)
        if not self.in_link and not self.letters:
            words = _URL.sub("", text) if "://" in text or "www." in text else text
            self.letters = _LETTER.search(words) is not None
        self._append(text, raw_start, raw_end, verbatim)

    def _append(self, text: str, raw_start: int, raw_end: int, verbatim: bool) -> None:
        offsets = self.map
        offsets.clean.append(self._size)
        offsets.raw_start.append(raw_start)
        offsets.raw_end.append(raw_end)
        offsets.verbatim.append(verbatim)
        self._parts.append(text)
        self._size += len(text)


class LineTable:
    """The 1-based line of any offset in a text, found by bisection."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def line_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset)

    def start_of(self, line: int) -> int:
        """The offset where 1-based ``line`` starts."""
        return self._starts[line - 1]

    def __len__(self) -> int:
        return len(self._starts)
