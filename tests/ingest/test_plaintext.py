"""Plain text: one line per note, hard-wrapped paragraphs joined only on evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qabot.ingest.document import Document
from qabot.ingest.plaintext import leading_words, parse_plain_text
from qabot.ingest.splitter import SentenceSplitter

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
BANNER = r"^[A-Z][A-Z0-9 ]{2,60}$"

WRAPPED = """\
Gradient checkpointing trades compute for memory: during the forward pass it
keeps only some of the activations, and during the backward pass it recomputes
the rest from the nearest checkpoint.

梯度检查点在前向传播时只保存部分激活值，
反向传播时再重新计算其余的激活值。
"""


def texts(text: str) -> list[str]:
    return [note.text for note in parse_plain_text(text)]


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda path: path.name)
def test_the_seeds_stay_one_note_per_line(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    banner = re.compile(BANNER)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    expected = [line for line in lines if not banner.search(line)]
    assert [n.text for n in parse_plain_text(text, banner.search)] == expected
    assert texts(text) == lines  # without the banner rule too


def test_hard_wrapped_paragraphs_are_joined() -> None:
    assert texts(WRAPPED) == [
        "Gradient checkpointing trades compute for memory: during the forward pass it "
        "keeps only some of the activations, and during the backward pass it recomputes "
        "the rest from the nearest checkpoint.",
        "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算其余的激活值。",
    ]


def test_text_cut_at_a_column_is_joined_even_mid_word() -> None:
    body = (
        "大模型的参数量巨大，训练时显存往往不够用，梯度检查点是一种常见的办法，"
        "它在前向传播时只保存部分激活值，反向传播时再重算其余部分。"
    )
    wrapped = "\n".join(body[i : i + 30] for i in range(0, len(body), 30))
    assert texts(wrapped) == [body]


@pytest.mark.parametrize(
    "text",
    [
        "梯度检查点\n梯度检查点用计算换显存。\n",  # a title line, then its paragraph
        "第一条笔记没有句号\n第二条笔记也没有句号\n",  # one note per line, no full stops
        "Adam keeps running averages of the gradients\n- AdamW decouples weight decay\n",
        ("很长的一段没有句号的笔记，" * 10)[:-1] + "\n下一段笔记。\n",  # wider than a screen
    ],
)
def test_lines_without_evidence_of_wrapping_stay_apart(text: str) -> None:
    assert len(texts(text)) == 2


def test_a_joined_sentence_cites_its_own_line() -> None:
    document = Document("a.txt", WRAPPED, parse_plain_text(WRAPPED))
    snippets = document.snippets(SentenceSplitter(min_chars=4, max_chars=60))
    for _, text, start, end, line in snippets:
        assert re.sub(r"\s", "", WRAPPED[start:end]) == re.sub(r"\s", "", text)
        assert line == WRAPPED[:start].count("\n") + 1
    assert {line for *_, line in snippets} >= {1, 2, 3, 5}


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("🔖 https://x.org/ DeepSeek LLM 代码地址: https://github.com", "DeepSeek LLM 代码地址"),
        ("梯度检查点(Gradient Checkpointing) 大模型的参数量巨大", "梯度检查点"),
        ("A very long English note that goes on and on without stopping", "A very long English…"),
    ],
)
def test_leading_words_make_a_short_title(text: str, title: str) -> None:
    assert leading_words(text) == title


@pytest.mark.parametrize(
    "text",
    [
        "adam optimizer\nlearning rate warmup\nweight decay\n",  # short notes, even widths
        "first line here\n  second note, indented\n",
    ],
)
def test_short_lines_are_notes_of_their_own(text: str) -> None:
    assert len(texts(text)) == len(text.splitlines())
