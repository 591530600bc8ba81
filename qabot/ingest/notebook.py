"""Jupyter notebooks (``.ipynb``, nbformat 4): Markdown cells as Markdown, code cells
as code notes; outputs and raw cells are skipped.

Citations point into the notebook's *cell text*: every cell's source in order, each
ending with a line break. A citation's ``line`` is the 1-based line of that text
(cell 1's lines first, then cell 2's, as ``jupyter nbconvert --to script`` lays them
out without its comments) and ``start``/``end`` are offsets into it; the title names
the heading path and the cell (``Training › Adam · cell 4``). Headings carry over
from one cell to the next.

Example:
    >>> text, notes = parse_notebook('{"cells": [{"cell_type": "code", "source": "x = 1"}]}')
    >>> [(note.kind, note.text, note.title) for note in notes]
    [('code', 'x = 1', 'cell 1')]
"""

from __future__ import annotations

import json
from typing import Any

from qabot.ingest.document import ParsedNote
from qabot.ingest.encoding import UndecodableError
from qabot.ingest.markdown import Outline, has_h1, markdown_parser, read_blocks
from qabot.ingest.textmap import LineTable, OffsetMap

CELL = "cell {}"
_SEPARATOR = " · "


class MalformedNotebook(UndecodableError):
    """Not a notebook qabot can read; the message says why."""


def parse_notebook(data: str) -> tuple[str, list[ParsedNote]]:
    """The notebook's cell text and its notes."""
    cells = _cells(data)
    parser = markdown_parser()
    sources = [source if source.endswith("\n") else source + "\n" for _, source in cells]
    text = "".join(sources)
    tokens = [parser.parse(source) if kind == "markdown" else [] for kind, source in cells]
    outline = Outline(has_h1=any(has_h1(cell) for cell in tokens))
    notes: list[ParsedNote] = []
    offset = 0
    for number, ((kind, source), cell_tokens) in enumerate(zip(cells, tokens, strict=True), 1):
        if kind == "markdown":
            cell_notes = read_blocks(cell_tokens, source, outline)
        elif kind == "code" and source.strip():
            cell_notes = [_code_note(source, outline.title())]
            outline.first_block = False  # a first line after code is no document title
        else:
            cell_notes = []
        for note in cell_notes:
            note.offsets.shift(offset)
            note.title = _SEPARATOR.join(filter(None, [note.title, CELL.format(number)]))
        notes.extend(cell_notes)
        offset += len(sources[number - 1])
    return text, notes


def _code_note(source: str, title: str) -> ParsedNote:
    code = source.rstrip()
    lines = LineTable(code)
    starts = [lines.start_of(line) for line in range(1, len(lines) + 1)]
    offsets = OffsetMap(starts, list(starts), [*starts[1:], len(code)], [True] * len(starts))
    return ParsedNote(title, code, offsets, "code", "whole")


def _cells(data: str) -> list[tuple[str, str]]:
    """``(cell type, source)`` of each cell; raises :class:`MalformedNotebook`."""
    try:
        notebook: Any = json.loads(data)
    except json.JSONDecodeError as error:
        raise MalformedNotebook(f"malformed notebook: not JSON ({error.msg})") from None
    if not isinstance(notebook, dict):
        raise MalformedNotebook("malformed notebook: not a JSON object")
    if "worksheets" in notebook:
        raise MalformedNotebook("malformed notebook: nbformat 3 is not read; save it as nbformat 4")
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise MalformedNotebook("malformed notebook: no list of cells")
    found: list[tuple[str, str]] = []
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str) or not isinstance(cell.get("cell_type"), str):
            raise MalformedNotebook(f"malformed notebook: cell {number} has no text source")
        found.append((cell["cell_type"], source))
    return found
