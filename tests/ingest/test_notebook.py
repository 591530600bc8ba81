"""Jupyter notebooks: Markdown cells as Markdown, code cells as code, outputs skipped."""

from __future__ import annotations

import json

import pytest

from qabot.ingest.document import Document
from qabot.ingest.notebook import MalformedNotebook, parse_notebook
from qabot.ingest.splitter import SentenceSplitter

NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# 暂退法\n", "\n", "简介。"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": ["import torch\n", "dropout = torch.nn.Dropout(p=0.5)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["输出不是笔记\n"]}],
        },
        {"cell_type": "raw", "metadata": {}, "source": "raw cells are skipped"},
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "## 原理\n\n训练时以概率 $p$ **随机丢弃**神经元。\n推理时不丢弃。",
        },
    ],
}


def test_markdown_cells_are_markdown_and_code_cells_code_outputs_skipped() -> None:
    text, notes = parse_notebook(json.dumps(NOTEBOOK))
    assert [(n.kind, n.title, n.text) for n in notes] == [
        ("prose", "暂退法 · cell 1", "简介。"),
        ("code", "暂退法 · cell 2", "import torch\ndropout = torch.nn.Dropout(p=0.5)"),
        ("prose", "暂退法 › 原理 · cell 4", "训练时以概率 $p$ 随机丢弃神经元。推理时不丢弃。"),
    ]
    assert "输出不是笔记" not in text and "raw cells" in text


def test_citations_give_the_line_in_the_cell_sequence() -> None:
    text, notes = parse_notebook(json.dumps(NOTEBOOK))
    snippets = Document("nb.ipynb", text, notes).snippets(SentenceSplitter(min_chars=2))
    lines = {snippet_text: line for _, snippet_text, _, _, line in snippets}
    cells = ["".join(cell["source"]) + "\n" for cell in NOTEBOOK["cells"]]
    assert text == "".join(cells)
    # Cell 1 holds lines 1-3, cell 2 lines 4-5, cell 3 line 6, cell 4 lines 7-10.
    assert lines["简介。"] == 3
    assert lines["import torch\ndropout = torch.nn.Dropout(p=0.5)"] == 4
    assert lines["推理时不丢弃。"] == 10
    for _, snippet_text, start, end, _ in snippets:
        if "$p$" not in snippet_text:
            assert text[start:end].replace("\n", "") == snippet_text.replace("\n", "")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"worksheets": []}', "nbformat 3"),
        ('{"cells": {}}', "no list of cells"),
        ('{"cells": [{"cell_type": "code", "source": 3}]}', "cell 1 has no text source"),
    ],
)
def test_a_malformed_notebook_is_refused_with_a_reason(data: str, reason: str) -> None:
    with pytest.raises(MalformedNotebook, match=f"malformed notebook: .*{reason}"):
        parse_notebook(data)
