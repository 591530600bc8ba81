"""Plain-text notes: one line is one note, unless the lines are hard-wrapped.

Most plain-text notes keep a paragraph on one line (the bundled seeds, exported
feeds, one context per line), often without a final full stop, so two lines are
joined only on evidence that the first was wrapped:

- both sit in a block (a run of non-blank lines) none of whose lines but the last
  is wider than a screen, :data:`WRAP_COLUMNS` display columns;
- the first does not end a sentence (``。！？.!?;；…``) and the second does not
  start a list item;
- and a sentence cannot stop or start there: the first ends with a clause mark
  (``，,、：:（(``, a dash); or the first is as wide as wrapped lines are
  (:data:`WRAPPED_COLUMNS` or more) and the second starts with a lower-case letter
  or the whole block was cut at a column (three or more lines, all but the last
  about as wide as the widest).

Joined lines meet without a space between CJK characters. A note's title is its
leading words.

Example:
    >>> notes = parse_plain_text("梯度检查点只保存部分激活值，\\n反向传播时重算其余的。\\n")
    >>> [note.text for note in notes]
    ['梯度检查点只保存部分激活值，反向传播时重算其余的。']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from qabot.ingest.document import ParsedNote
from qabot.ingest.textmap import CleanText, OffsetMap

# The widest common wrap width (editors and `fmt` wrap at 72–100); wider lines are
# paragraphs kept on one line.
WRAP_COLUMNS = 100
# Lines wrapped at a column are at least this wide (a wrap width is 60 or more).
WRAPPED_COLUMNS = 50
# Lines cut at a column are all about as wide as the widest (a long word moves on).
_EVEN_SHARE = 0.75
_SENTENCE_ENDS = tuple("。！？.!?;；…")
_CLAUSE_ENDS = tuple("，,、：:（(—-–")
_LIST_ITEM = re.compile(r"\s*(?:[-*+•·]\s|\d{1,3}[.)、]\s*|#)")
_URL = re.compile(r"https?://\S+")
_TITLE_STOP = re.compile(r"[。！？；!?;,，:：(（\[【]")
_TITLE_CHARS = 24


def parse_plain_text(text: str, skip: Callable[[str], bool] | None = None) -> list[ParsedNote]:
    """The notes of a plain-text file; lines for which ``skip`` holds are dropped."""
    notes: list[ParsedNote] = []
    block: list[tuple[int, str]] = []  # (offset, stripped line) of the current block
    offset = 0
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        content = line.strip()
        if not content or (skip is not None and skip(content)):
            notes.extend(_block_notes(block))
            block = []
        else:
            block.append((offset + line.index(content[0]), content))
        offset += len(raw) + 1
    notes.extend(_block_notes(block))
    return notes


def _block_notes(block: list[tuple[int, str]]) -> list[ParsedNote]:
    lines = [line for _, line in block[:-1]]
    # A line longer than the limit is wider than it too: then no width need be measured.
    widths = [] if any(len(line) > WRAP_COLUMNS for line in lines) else list(map(_columns, lines))
    if not widths or max(widths) > WRAP_COLUMNS:
        return [
            ParsedNote(leading_words(line), line, OffsetMap.shifted(start, len(line)))
            for start, line in block
        ]
    cut_at_column = len(widths) >= 2 and min(widths) >= _EVEN_SHARE * max(widths)
    notes: list[ParsedNote] = []
    out: CleanText | None = None
    for number, (start, line) in enumerate(block):
        if out is None:
            out = CleanText()
        else:
            previous_start, previous = block[number - 1]
            out.line_break(previous_start + len(previous), start)
        out.copy(line, start)
        following = block[number + 1][1] if number + 1 < len(block) else None
        wide = number < len(widths) and widths[number] >= WRAPPED_COLUMNS
        if following is None or not _continues(line, following, wide and cut_at_column, wide):
            text, offsets = out.finish()
            notes.append(ParsedNote(leading_words(text), text, offsets))
            out = None
    return notes


def _continues(line: str, following: str, cut_at_column: bool, wide: bool) -> bool:
    if line.endswith(_SENTENCE_ENDS) or _LIST_ITEM.match(following):
        return False
    return line.endswith(_CLAUSE_ENDS) or cut_at_column or (wide and following[0].islower())


def _columns(line: str) -> int:
    """Display columns: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


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
