"""Markdown read as a document with markdown-it-py, one note per block.

(Just over 300 lines: one reader of the token stream, whose block kinds all share its
state: the heading path, the open list or quote, the file's line offsets.)

The parser is CommonMark with tables, front matter, dollar maths, footnotes and task
lists (mdit-py-plugins). What becomes a note:

- a paragraph, its soft line breaks joined (with no space between CJK characters),
  less an opening answer label (``答：``, ``[解析]：``, ``A:``) and numbers opening its
  lines (``2、``, ``a)``);
- a top-level list item, blockquote or footnote, with everything nested in it, each
  paragraph or nested item on a line of its own;
- a table row, read as ``header: cell; header: cell``;
- a code block (fenced or indented) as one note of kind ``"code"``, verbatim, and a
  display formula (``$$…$$`` opening a line, even right under a paragraph's last
  line) as one note of kind ``"math"``; neither is cut into sentences.

Headings are not notes: a note's title is its heading path (``模型压缩 › 知识蒸馏``).
A paragraph that is one short bold phrase or question (``**优点**：``, ``**Q1：…？**``)
with text under it is a sub-heading too; with none before the next heading, it is text.
A file with no ``#`` heading whose first block is a short plain line (with more
below it) takes that line as its title. A note before any heading takes its own
first words. Front matter,
rules, HTML comments and tags, images, and blocks that hold nothing but links or
images (navigation, tables of contents, lists of references) are not notes.

Example:
    >>> notes = parse_markdown("# Adam\\n\\nAdamW **解耦**权重衰减，\\n效果更好。")
    >>> [(note.title, note.text) for note in notes]
    [('Adam', 'AdamW 解耦权重衰减，效果更好。')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_block_dollar
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from qabot.ingest.document import ParsedNote
from qabot.ingest.inline import Locator, render_html, render_inline
from qabot.ingest.plaintext import leading_words
from qabot.ingest.textmap import CleanText, LineTable, OffsetMap

_CONTAINERS = {"list_item_open": 1, "blockquote_open": 1, "footnote_open": 1}
_CONTAINERS |= {"list_item_close": -1, "blockquote_close": -1, "footnote_close": -1}
_TITLE_CHARS = 64
_NOT_TITLE_ENDS = tuple("。.；;：:，,、")
_PLAIN = frozenset({"text", "text_special", "em_open", "em_close", "strong_open", "strong_close"})
SEPARATOR = " › "


@cache
def markdown_parser() -> MarkdownIt:
    """The shared parser; link URLs are left as written (qabot never follows them)."""
    parser = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(front_matter_plugin)
        # $$…$$ within a line stays one maths token, kept verbatim (not $ + $…$ + $).
        .use(dollarmath_plugin, double_inline=True)
        .use(footnote_plugin)
        .use(tasklists_plugin)
    )
    # A formula opening a line ends the paragraph above it, as a code fence does: notes
    # write "可得：\n$$…$$" with no blank line, and the formula is its own math note.
    fence = parser.block.ruler.__rules__[parser.block.ruler.__find__("fence")]
    parser.block.ruler.at("math_block", _quiet_when_silent(math_block_dollar()), {"alt": fence.alt})
    # Entities and escapes stay tokens of their own, so text tokens are the file's text.
    parser.disable("text_join")
    parser.normalizeLink = lambda url: url  # type: ignore[method-assign]
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def _quiet_when_silent(
    rule: Callable[[StateBlock, int, int, bool], bool],
) -> Callable[[StateBlock, int, int, bool], bool]:
    """``rule``, which ignores ``silent``, made to leave no token when only asked whether
    it matches (as a paragraph asks the rules that may end it)."""

    def checked(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if not silent:
            return rule(state, start, end, False)
        line, tokens = state.line, len(state.tokens)
        found = rule(state, start, end, False)
        state.line = line
        del state.tokens[tokens:]
        return found

    return checked


@dataclass(slots=True)
class Outline:
    """The heading path at the current point of a document (one or many chunks)."""

    headings: list[tuple[float, str]] = field(default_factory=list)
    # The first-line title rule applies to a document's first block only.
    first_block: bool = True
    has_h1: bool = False

    def title(self) -> str:
        return SEPARATOR.join(text for _, text in self.headings if text)

    def enter(self, level: float, text: str) -> None:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text))

    def enter_bold_line(self, text: str) -> None:
        """A paragraph of bold text alone (``**优点**：``) heads what follows it, below
        the real heading it stands under, until the next such line or heading."""
        real = [level for level, _ in self.headings if level == int(level)]
        self.enter((real[-1] if real else 0) + 0.5, text)


def _heads_something(tokens: list[Token], after: int) -> bool:
    """Whether a block ending before ``after`` has text under it before the next heading:
    a bold line with nothing under it is the section's content, not a sub-heading."""
    return after < len(tokens) and tokens[after].type != "heading_open"


def parse_markdown(text: str) -> list[ParsedNote]:
    """The notes of a Markdown file, in reading order."""
    tokens = markdown_parser().parse(text)
    outline = Outline(has_h1=has_h1(tokens))
    return read_blocks(tokens, text, outline)


def has_h1(tokens: list[Token]) -> bool:
    return any(token.type == "heading_open" and token.tag == "h1" for token in tokens)


def read_blocks(tokens: list[Token], text: str, outline: Outline) -> list[ParsedNote]:
    """The notes of parsed ``text``; ``outline`` carries headings from earlier chunks."""
    return _BlockReader(text, outline).read(tokens)


class _BlockReader:
    def __init__(self, text: str, outline: Outline) -> None:
        self.text = text
        self.lines = LineTable(text)
        self.outline = outline
        self.notes: list[ParsedNote] = []
        self.container: CleanText | None = None
        self.container_title = ""

    def read(self, tokens: list[Token]) -> list[ParsedNote]:
        depth = 0
        i = self._document_title(tokens)
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                self.outline.enter(int(token.tag[1:]), self._plain(tokens[i + 1]))
                i += 3
                continue
            if kind in _CONTAINERS:
                if depth == 0 and _CONTAINERS[kind] > 0:
                    self.container, self.container_title = CleanText(), self._title()
                depth += _CONTAINERS[kind]
                if depth == 0 and self.container is not None:
                    self._emit(self.container, self.container_title)
                    self.container = None
            elif kind == "paragraph_open":
                inline = tokens[i + 1]
                if (
                    depth == 0
                    and _heads_something(tokens, i + 3)
                    and (heading := self._bold_line(inline))
                ):
                    self.outline.enter_bold_line(heading)
                else:
                    self._unit(inline, lambda out, inline=inline: self._render(inline, out))
                i += 3
                continue
            elif kind == "html_block":
                self._unit(token, lambda out, token=token: self._render_html(token, out))
            elif kind in ("fence", "code_block"):
                self._code(token)
            elif kind.startswith("math_block"):
                self._maths(token)
            elif kind == "table_open":
                i = self._table(tokens, i)
            i += 1
        self.outline.first_block = False
        self.notes.sort(key=lambda note: note.start)
        return self.notes

    def _document_title(self, tokens: list[Token]) -> int:
        """Where reading starts: after front matter, and after a first-line title."""
        start = 1 if tokens and tokens[0].type == "front_matter" else 0
        if not self.outline.first_block or self.outline.has_h1:
            return start
        # A title needs something under it: a file of one short line is a note.
        if len(tokens) < start + 4 or tokens[start].type != "paragraph_open":
            return start
        block, inline = tokens[start], tokens[start + 1]
        if block.map is None or block.map[1] - block.map[0] != 1:
            return start
        if any(child.type not in _PLAIN for child in inline.children or []):
            return start
        title = self._plain(inline)
        if not title or len(title) > _TITLE_CHARS or title.endswith(_NOT_TITLE_ENDS):
            return start
        self.outline.enter(1, title)
        return start + 3

    def _title(self) -> str:
        return self.outline.title()

    def _bold_line(self, inline: Token) -> str | None:
        """The text of a paragraph that is one short bold phrase, maybe with a colon
        after it: study notes write sub-headings so."""
        children = [
            child
            for child in inline.children or []
            if child.type != "text" or child.content.strip(" :：")
        ]
        if len(children) < 3 or children[0].type != "strong_open":
            return None
        if children[-1].type != "strong_close" or any(
            child.type not in _PLAIN for child in children
        ):
            return None
        text = self._plain(inline).rstrip(" :：")
        # A bold question is the question the text below answers (Q&A notes); a bold
        # statement or exclamation is emphasis.
        if not text or len(text) > _TITLE_CHARS or any(mark in text for mark in "。！!"):
            return None
        return text

    def _unit(self, token: Token, render: Callable[[CleanText], None]) -> None:
        """One paragraph or HTML block: a note of its own, or a line of its container's."""
        out = self.container
        if out is None:
            own = CleanText()
            render(own)
            if own.letters:
                self._emit(own, self._title())
            return
        mark = out.mark()
        raw = self._locator(token)(0)
        out.line_break(raw, raw, hard=True)
        letters, out.letters = out.letters, False
        render(out)
        if not out.letters:  # only links or images: navigation, not a note
            out.truncate(mark)
        out.letters = out.letters or letters

    def _emit(self, out: CleanText, title: str) -> None:
        text, offsets = out.finish()
        if text and out.letters:
            self.notes.append(ParsedNote(title or leading_words(text), text, offsets))

    def _render(self, inline: Token, out: CleanText) -> None:
        render_inline(inline, self._locator(inline), out, paragraph=True)

    def _render_html(self, token: Token, out: CleanText) -> None:
        render_html(token.content.rstrip("\n"), self._locator(token), out)

    def _plain(self, inline: Token) -> str:
        out = CleanText()
        render_inline(inline, self._locator(inline), out)
        return " ".join(out.finish()[0].split())

    def _locator(self, token: Token) -> Locator:
        first = token.map[0] if token.map else 0
        return Locator(token.content, self.text, self.lines, first)

    def _code(self, token: Token) -> None:
        content = token.content.rstrip()
        if not content.strip() or token.map is None:
            return
        first = token.map[0] + (1 if token.type == "fence" else 0)
        locate = Locator(content, self.text, self.lines, first)
        offsets = OffsetMap([], [], [], [])
        offset = 0
        for line in content.split("\n"):
            offsets.clean.append(offset)
            offsets.raw_start.append(locate(offset))
            offsets.raw_end.append(locate(offset) + len(line) + 1)
            offsets.verbatim.append(True)
            offset += len(line) + 1
        self.notes.append(ParsedNote(self._title(), content, offsets, "code", "whole"))

    def _maths(self, token: Token) -> None:
        if token.map is None:
            return
        start = self.lines.start_of(token.map[0] + 1)
        end = self.lines.start_of(token.map[1] + 1) if token.map[1] < len(self.lines) else None
        raw = self.text[start:end]
        text = raw.strip()
        if text.strip("$ \n"):
            offsets = OffsetMap.shifted(start + raw.index(text[0]), len(text))
            self.notes.append(ParsedNote(self._title(), text, offsets, "math", "whole"))

    def _table(self, tokens: list[Token], i: int) -> int:
        """Read the table opening at ``i``: each body row a note. Returns its closing index."""
        headers: list[str] = []
        cells: list[Token] = []
        row_line = 0
        while i < len(tokens) and tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                cells, row_line = [], token.map[0] if token.map else row_line
            elif token.type == "inline":
                cells.append(token)
            elif token.type == "tr_close" and not headers:
                headers = [self._plain(cell) for cell in cells]
            elif token.type == "tr_close":
                self._row(headers, cells, row_line)
            i += 1
        return i

    def _row(self, headers: list[str], cells: list[Token], row_line: int) -> None:
        start = self.lines.start_of(row_line + 1)
        end = self.lines.start_of(row_line + 2) if row_line + 1 < len(self.lines) else None
        line = self.text[start:end]
        out = CleanText()
        letters = False
        cursor = 0
        for column, cell in enumerate(cells):
            found = line.find(cell.content, cursor) if cell.content else -1
            at = start + (found if found >= 0 else cursor)
            cursor = found + len(cell.content) if found >= 0 else cursor
            mark = out.mark()
            if mark:
                out.put("; ", at, at)
            header = headers[column] if column < len(headers) else ""
            if header:
                out.put(f"{header}: ", at, at)
            before, out.letters = out.mark(), False
            render_inline(cell, Locator.at(at), out)
            if out.mark() == before:  # an empty cell: no "header:" either
                out.truncate(mark)
            # Numbers are a row's content too (年份: 2019); only links and images are not.
            letters = letters or out.letters or any(c.isdigit() for c in out.since(before))
        text, offsets = out.finish()
        if text and letters:
            self.notes.append(ParsedNote(self._title(), text, offsets, "prose", "bounded"))
