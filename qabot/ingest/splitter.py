"""Cut a note into sentence-sized spans, keeping character offsets.

Sentences end at 。！？；!?;, at a Western full stop followed by a space (not one
ending an abbreviation: et al., e.g., vs.), and at a line break, unless a comma or
colon follows (the sentence goes on). A span shorter
than ``min_chars`` joins its neighbour; one longer than ``max_chars`` is cut at the
last comma or space before the limit (or hard at the limit if there is none).
Nothing is cut inside inline code, maths, a URL or an HTML entity: ``$a; b$``,
```x = 1; y```, ``https://x.org/?a=1;b=2!`` and ``&lt;`` stay whole.

Example:
    >>> splitter = SentenceSplitter(min_chars=2, max_chars=50)
    >>> [text for text, _, _ in splitter.split("第一句。Second one! 第三句")]
    ['第一句。', 'Second one!', '第三句']
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’\"')）」』]*|(?<=[a-z0-9\)\]])\.(?=\s)|\n")
_SOFT_BREAK = re.compile(r"[,，、:：]\s*|\s+")
# After an end mark, the sentence goes on: "先行者（Respect！！！），否则…".
_GOES_ON = re.compile(r"[ \t]*[,，、:：]")
# A full stop that ends an abbreviation ends no sentence: "Tim Salimans et al. 在2016年".
_ABBREVIATION = re.compile(r"\b(?:et al|e\.g|i\.e|vs|cf|fig|eq|approx)\.$", re.IGNORECASE)
_ABBREVIATION_CHARS = 8
CODE_SPAN = re.compile(
    r"(`+).+?(?<!`)\1(?!`)|\$\$.+?\$\$|\$(?!\s)[^$\n]+?(?<![\s\\])\$"
    r"|\$\s[^$\n]*?[\\_^{][^$\n]*?\s\$"
)
"""Inline code or maths, delimiters included, as clean note text keeps them: maths
spaced inside its ``$`` (``$ \\beta_1 $``) only with a sign of LaTeX in it, so that
prices ("$5 and $6") are not maths."""
# Spans no cut falls inside: inline code, maths, URLs (not their final punctuation)
# and entities. Only looked for in texts holding one of _PROTECTED_HINTS.
_PROTECTED = re.compile(
    CODE_SPAN.pattern + r"|https?://[^\s<>\"'，。；！？）】」]*[^\s<>\"'，。；！？）】」.,;:!?)]"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_PROTECTED_HINTS = ("`", "$", "://", "&")
_AFTER_ANY_END = 1 << 62


class SentenceSplitter:
    """Splits text into ``(text, start, end)`` spans with whitespace trimmed."""

    def __init__(self, min_chars: int = 8, max_chars: int = 200) -> None:
        self.min_chars = min_chars
        self.max_chars = max_chars

    def split(self, text: str) -> list[tuple[str, int, int]]:
        """``(sentence, start, end)`` of each sentence of ``text``."""
        protected = _Protected(text)
        spans = [
            span
            for raw in self._sentences(text, protected)
            for span in self._bounded(text, *raw, protected)
        ]
        return [(text[start:end], start, end) for start, end in self._merge_short(text, spans)]

    def bounded(self, text: str) -> list[tuple[str, int, int]]:
        """``text`` as one span, or several when it is over ``max_chars``."""
        spans = self._bounded(text, 0, len(text), _Protected(text))
        return [(text[start:end], start, end) for start, end in spans]

    def _sentences(self, text: str, protected: _Protected) -> Iterator[tuple[int, int]]:
        start = 0
        for match in _SENTENCE_END.finditer(text):
            if protected.covers(match.start()) or _GOES_ON.match(text, match.end()):
                continue
            if match.group() == "." and _ABBREVIATION.search(
                text, max(0, match.end() - _ABBREVIATION_CHARS), match.end()
            ):
                continue
            yield from _trimmed(text, start, match.end())
            start = match.end()
        yield from _trimmed(text, start, len(text))

    def _bounded(
        self, text: str, start: int, end: int, protected: _Protected
    ) -> Iterator[tuple[int, int]]:
        while end - start > self.max_chars:
            limit = start + self.max_chars
            cut = limit
            for match in _SOFT_BREAK.finditer(text, start + self.max_chars // 2, limit):
                if not protected.covers(match.start()):
                    cut = match.end()
            if cut == limit and protected.start_of(limit) > start:
                cut = protected.start_of(limit)  # before the code or maths, not inside it
            yield from _trimmed(text, start, cut)
            start = cut
        yield from _trimmed(text, start, end)

    def _merge_short(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            previous = merged[-1] if merged else None
            joinable = previous is not None and "\n" not in text[previous[1] : start]
            too_short = end - start < self.min_chars or (
                previous is not None and previous[1] - previous[0] < self.min_chars
            )
            if joinable and too_short and end - previous[0] <= self.max_chars:
                merged[-1] = (previous[0], end)
            else:
                merged.append((start, end))
        return merged


class _Protected:
    """The spans of a text that no cut may fall inside, asked in increasing order."""

    __slots__ = ("_spans",)

    def __init__(self, text: str) -> None:
        self._spans: list[tuple[int, int]] = []
        if any(hint in text for hint in _PROTECTED_HINTS):
            self._spans = [match.span() for match in _PROTECTED.finditer(text)]

    def covers(self, offset: int) -> bool:
        """True when ``offset`` is inside a span, past its first character."""
        return self.start_of(offset) < offset

    def start_of(self, offset: int) -> int:
        """Where the span around ``offset`` starts (``offset`` itself if none)."""
        if not self._spans:
            return offset
        at = bisect_right(self._spans, (offset, _AFTER_ANY_END)) - 1
        if at >= 0 and self._spans[at][0] < offset < self._spans[at][1]:
            return self._spans[at][0]
        return offset


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end
