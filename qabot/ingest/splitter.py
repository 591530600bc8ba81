"""Cut a note into sentence-sized spans, keeping character offsets.

Sentences end at 。！？；!?; and at a Western full stop followed by a space. A span
shorter than ``min_chars`` joins its neighbour; one longer than ``max_chars`` is cut
at the last comma or space before the limit (or hard at the limit if there is none).

Example:
    >>> splitter = SentenceSplitter(min_chars=2, max_chars=50)
    >>> [text for text, _, _ in splitter.split("第一句。Second one! 第三句")]
    ['第一句。', 'Second one!', '第三句']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’\"')）」』]*|(?<=[a-z0-9\)\]])\.(?=\s)|\n")
_SOFT_BREAK = re.compile(r"[,，、:：]\s*|\s+")


class SentenceSplitter:
    """Splits text into ``(text, start, end)`` spans with whitespace trimmed."""

    def __init__(self, min_chars: int = 8, max_chars: int = 200) -> None:
        self.min_chars = min_chars
        self.max_chars = max_chars

    def split(self, text: str) -> list[tuple[str, int, int]]:
        spans = [span for raw in self._sentences(text) for span in self._bounded(text, *raw)]
        return [(text[start:end], start, end) for start, end in self._merge_short(text, spans)]

    def _sentences(self, text: str) -> Iterator[tuple[int, int]]:
        start = 0
        for match in _SENTENCE_END.finditer(text):
            yield from _trimmed(text, start, match.end())
            start = match.end()
        yield from _trimmed(text, start, len(text))

    def _bounded(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        while end - start > self.max_chars:
            limit = start + self.max_chars
            cut = limit
            for match in _SOFT_BREAK.finditer(text, start + self.max_chars // 2, limit):
                cut = match.end()
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


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end
