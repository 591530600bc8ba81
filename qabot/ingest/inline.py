"""Markdown inline content as clean text: what a reader sees, mapped back to the file.

(Just over 300 lines: one walk over markdown-it's inline tokens, all of whose kinds
move the same cursor through the block's raw text.)

markdown-it-py's inline tokens say what each piece is (text, emphasis, a link, code)
but not where it sits. :class:`Locator` places a block's inline content on its raw
lines, and :func:`render_inline` walks the tokens with a cursor into that content,
adding to a :class:`~qabot.ingest.textmap.CleanText`:

- text, link text and decoded entities are kept; emphasis, link and image syntax,
  HTML tags (``<br>``, ``<div>`` become a line break), footnote references and numeric
  citation links (``[1](#refer-1)``) are dropped;
- inline code and maths are kept verbatim with their delimiters (```x```, ``$\\beta$``),
  so adapters can show them as code, but maths that is one name (``$XGBoost$``) reads
  as the name; a doc-tool role before inline code
  (``:numref:`sec_mlp```) is dropped with it;
- a bold marker CommonMark could not pair (``**“引号”**后``, a known CJK gap, or a
  stray one) is dropped.

Example:
    >>> from qabot.ingest.markdown import parse_markdown
    >>> [note.text for note in parse_markdown("**AdamW** 见 [论文](https://x.org) &lt;1&gt;")]
    ['AdamW 见 论文 <1>']
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from functools import cache

from markdown_it.token import Token

from qabot.ingest.textmap import CleanText, LineTable

# A doc-tool role just before inline code: :numref:`sec_mlp`, :cite:`x`, :eqref:`y`.
_ROLE = re.compile(r":[a-z][a-z0-9_-]*:$")
_CITATION_MARKER = re.compile(r"\[?\^?\d{1,3}\]?")
_TAG = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|tr|td|th|h[1-6]|summary|details|ul|ol|table)\b", re.I)
# Notes number a paragraph's lines without Markdown's list syntax ("2、", "（1）", "a)"),
# and open an answer or a remark with a label ("答：", "A:", "[解析]：", "【注】："):
# neither is what is said.
_LINE_OPENER = re.compile(r"(?:\d{1,2}、|[（(]\d{1,2}[)）]|[a-z][)）])\s*")
_BLOCK_OPENER = re.compile(
    rf"(?:答|回答|解答|a|answer|[\[【][\u4e00-\u9fff]{{1,4}}[\]】])\s*[：:]\s*|{_LINE_OPENER.pattern}",
    re.IGNORECASE,
)
# Maths that is one name or symbol of two or more characters (``$XGBoost$``, ``$L1$``)
# sets a word in italics; it reads as the word.
_MATHS_WORD = re.compile(r"\s*([A-Za-z][A-Za-z0-9]+)\s*")
_DELIMITERS = frozenset({"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"})


class Locator:
    """The raw offset of each offset of a block's inline content.

    markdown-it joins a block's lines with ``\\n`` after stripping container markers
    (``>``, list indentation) from their starts, so each content line is the end of
    its raw line; one that is not (a table cell, a heading's closing ``#``s) is looked
    for in its line.
    """

    __slots__ = ("_content", "_raw")

    def __init__(self, content: str, raw: str, lines: LineTable, first_line: int) -> None:
        self._content: list[int] = []
        self._raw: list[int] = []
        offset = 0
        for number, line in enumerate(content.split("\n"), start=first_line + 1):
            self._content.append(offset)
            self._raw.append(_place(line, raw, lines, number))
            offset += len(line) + 1

    @classmethod
    def at(cls, raw_start: int) -> Locator:
        """The locator of content found whole at ``raw_start``."""
        locator = cls.__new__(cls)
        locator._content, locator._raw = [0], [raw_start]
        return locator

    def __call__(self, offset: int) -> int:
        i = bisect_right(self._content, offset) - 1 if len(self._content) > 1 else 0
        return self._raw[i] + offset - self._content[i]


def _place(line: str, raw: str, lines: LineTable, number: int) -> int:
    """Where ``line`` (the end of raw line ``number``, maybe trimmed) starts in the file."""
    start = lines.start_of(number) if number <= len(lines) else len(raw)
    end = lines.start_of(number + 1) - 1 if number < len(lines) else len(raw)
    raw_line = raw[start:end].rstrip("\r")
    if raw_line.endswith(line):
        return start + len(raw_line) - len(line)
    trimmed = raw_line.rstrip()
    if trimmed.endswith(line.rstrip()):
        return start + len(trimmed) - len(line.rstrip())
    found = raw_line.find(line.strip())
    return start + max(found, 0)


def render_inline(token: Token, locate: Locator, out: CleanText, paragraph: bool = False) -> None:
    """Add the clean text of the inline ``token`` to ``out``; of a ``paragraph``, less
    the numbers opening its lines and an answer label opening it."""
    content = token.content
    children = token.children or []
    cursor = 0
    links: list[tuple[int, str]] = []  # (mark in out, href) of each open link
    skip_to = -1
    for i, child in enumerate(children):
        if i <= skip_to:
            continue
        kind = child.type
        if kind == "text":
            text = child.content
            if not text:
                continue
            at = content.find(text, cursor)
            if at < 0:  # not in the content as it is (an unescaped cell pipe): put it here
                out.put(text, locate(cursor), locate(cursor))
                continue
            cursor = at + len(text)
            if paragraph and (at == 0 or content[at - 1] == "\n"):
                opener = (_BLOCK_OPENER if at == 0 else _LINE_OPENER).match(text)
                if opener:
                    text, at = text[opener.end() :], at + opener.end()
            following = children[i + 1] if i + 1 < len(children) else None
            if following is not None and following.type == "code_inline":
                role = _ROLE.search(text)
                if role is not None:
                    text = text[: role.start()].rstrip()
                    cursor = _code_end(content, cursor, following.markup)
                    skip_to = i + 1
            _copy_text(text, at, locate, out)
        elif kind == "softbreak" or kind == "hardbreak":
            at = content.find("\n", cursor)
            if at < 0:
                continue
            cursor = at + 1
            out.line_break(locate(at), locate(cursor), hard=kind == "hardbreak")
        elif kind == "text_special":  # an entity or a backslash escape
            at = content.find(child.markup, cursor)
            if at >= 0:
                cursor = at + len(child.markup)
                out.put(child.content, locate(at), locate(cursor))
        elif kind == "code_inline" or kind.startswith("math_inline"):
            at = content.find(child.markup, cursor)
            if at < 0:
                continue
            if kind == "code_inline":
                cursor = _code_end(content, at + len(child.markup), child.markup)
            else:
                cursor = _math_end(content, at, child)
            word = _MATHS_WORD.fullmatch(child.content) if kind == "math_inline" else None
            if word is not None:
                _copy_text(word.group(1), at + len(child.markup) + word.start(1), locate, out)
            else:
                _copy_verbatim(content, at, cursor, locate, out)
        elif kind in _DELIMITERS:
            at = content.find(child.markup, cursor)
            if at >= 0:
                cursor = at + len(child.markup)
        elif kind == "link_open":
            if child.markup == "autolink":
                at = content.find("<", cursor)
                close = content.find(">", at + 1)
                if at >= 0 and close >= 0:
                    _copy_verbatim(content, at + 1, close, locate, out)
                    cursor = close + 1
                skip_to = _closing_link(children, i)
                continue
            at = content.find("[", cursor)
            if at >= 0:
                cursor = at + 1
            links.append((out.mark(), str(child.attrs.get("href", ""))))
            out.in_link += 1
        elif kind == "link_close":
            at = content.find("]", cursor)
            if at >= 0:
                cursor = _after_destination(content, at + 1)
            if links:
                out.in_link -= 1
                mark, href = links.pop()
                if href.startswith("#") and _is_citation_marker(out, mark):
                    out.truncate(mark)
        elif kind == "image":
            at = content.find("![", cursor)
            if at >= 0:
                cursor = _after_destination(content, _after_closing(content, at + 1, "[]"))
        elif kind == "html_inline":
            at = content.find(child.content, cursor)
            if at < 0:  # made by a plugin (a task-list checkbox), not in the file
                continue
            cursor = at + len(child.content)
            if _BLOCK_TAG.match(child.content):  # <br>, <div>, <p>: a line break
                out.line_break(locate(at), locate(cursor), hard=True)
        elif kind == "footnote_ref":
            at = content.find("[^", cursor)
            close = content.find("]", at + 2) if at >= 0 else -1
            if close >= 0:
                cursor = close + 1


def render_html(content: str, locate: Locator, out: CleanText) -> None:
    """Add the text of an HTML block to ``out``: tags dropped, entities decoded."""
    cursor = 0
    for tag in _TAG.finditer(content):
        _copy_html_text(content, cursor, tag.start(), locate, out)
        if _BLOCK_TAG.match(tag.group()):
            out.line_break(locate(tag.start()), locate(tag.end()), hard=True)
        cursor = tag.end()
    _copy_html_text(content, cursor, len(content), locate, out)


def _copy_html_text(content: str, start: int, end: int, locate: Locator, out: CleanText) -> None:
    text = content[start:end]
    if not text.strip():
        return
    decoded = html.unescape(text)
    if decoded == text:
        _copy_verbatim(content, start, end, locate, out)
    else:
        out.put(" ".join(decoded.split()), locate(start), locate(end))


def _copy_text(text: str, at: int, locate: Locator, out: CleanText) -> None:
    """Copy a text token, dropping bold markers CommonMark left unpaired."""
    if "**" in text:
        offset = 0
        for piece in text.split("**"):
            if piece:
                out.copy(piece, locate(at + offset))
            offset += len(piece) + 2
        return
    out.copy(text, locate(at))


def _copy_verbatim(content: str, start: int, end: int, locate: Locator, out: CleanText) -> None:
    """Copy ``content[start:end]``; a line break inside becomes a space."""
    lines = content[start:end].split("\n")
    offset = start
    for number, line in enumerate(lines):
        if number:
            out.put(" ", locate(offset - 1), locate(offset))
        out.copy(line, locate(offset))
        offset += len(line) + 1


@cache
def _backtick_run(size: int) -> re.Pattern[str]:
    return re.compile(f"(?<!`){'`' * size}(?!`)")


def _code_end(content: str, start: int, markup: str) -> int:
    """The offset after the backtick run that closes inline code opened before ``start``."""
    if not markup:
        return start
    close = _backtick_run(len(markup)).search(content, start)
    return close.end() if close else len(content)


def _math_end(content: str, start: int, token: Token) -> int:
    """The offset after the ``$`` (or ``$$``) closing the maths opened at ``start``."""
    size = len(token.markup)
    end = start + size + len(token.content) + size
    if content[end - size : end] == token.markup:
        return end
    close = content.find(token.markup, start + size + len(token.content))
    return close + size if close >= 0 else len(content)


def _closing_link(children: list[Token], opened: int) -> int:
    for i in range(opened + 1, len(children)):
        if children[i].type == "link_close":
            return i
    return len(children)


def _after_destination(content: str, start: int) -> int:
    """The offset after a link's ``(destination "title")`` or ``[label]`` at ``start``."""
    if content.startswith("[", start):
        return _after_closing(content, start, "[]")
    if content.startswith("(", start):
        return _after_closing(content, start, "()")
    return start


def _after_closing(content: str, start: int, pair: str) -> int:
    """The offset after the bracket that closes the one at ``start`` (``pair`` is
    ``"[]"`` or ``"()"``), past escapes, nested pairs and a destination's quoted title."""
    opener, closer = pair
    depth, quote, i = 0, "", start
    while i < len(content):
        char = content[i]
        if char == "\\":
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and opener == "(" and depth == 1 and content[i - 1].isspace():
            quote = char
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(content)


def _is_citation_marker(out: CleanText, mark: int) -> bool:
    """True when the link text added since ``mark`` is only a number such as ``1`` or ``[2]``."""
    return bool(_CITATION_MARKER.fullmatch(out.since(mark).strip()))
