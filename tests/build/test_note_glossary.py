"""The notes' own glossary: pairs found in the notes, saved with the index, looked up."""

from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.build import build_index
from qabot.build.note_glossary import mine_pairs
from qabot.config import Settings
from qabot.retriever.note_glossary import NoteGlossary
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import Tokenizer

Make = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer(Settings(index={"cache": False}))


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("权重衰减（weight decay）是一种正则化技术。", {"weight decay": {"权重衰减"}}),
        (
            "随机梯度下降（Stochastic Gradient Descent，SGD）是一种迭代方法。",
            {"stochastic gradient descent": {"随机梯度下降"}, "sgd": {"随机梯度下降"}},
        ),
        ("jieba 用了基于汉字成词能力的HMM（隐马尔科夫模型）。", {"hmm": {"隐马尔科夫模型"}}),
        # Brackets holding no pair: Chinese in Chinese, English in English, numbers.
        ("一阶矩估计（均值）与 Adam（Adaptive Moment Estimation）", {}),
        ("动量衰减系数（如 0.9 或 0.99）", {}),
    ],
)
def test_pairs_in_either_order(tokenizer: Tokenizer, text: str, pairs: dict) -> None:
    assert mine_pairs([text], tokenizer) == pairs


def test_names_introduced_inside_the_bracket_and_terms_after_a_stopword(
    tokenizer: Tokenizer,
) -> None:
    rag = mine_pairs(["检索增强生成（Retrieval-Augmented Generation，简称 RAG）"], tokenizer)
    assert rag == {"retrieval-augmented generation": {"检索增强生成"}, "rag": {"检索增强生成"}}
    norm = mine_pairs(["Layer Normalization（层归一化，简称LayerNorm）是一种技术。"], tokenizer)
    assert norm == {"layer normalization": {"层归一化"}}
    hallucination = mine_pairs(
        ["研究人员将幻觉分为事实性幻觉（Factuality Hallucination）。"], tokenizer
    )
    assert hallucination["factuality hallucination"] <= {"事实性幻觉", "分为事实性幻觉"}


def test_the_glossary_is_saved_with_the_index_and_found_by_the_words(notes_folder: Make) -> None:
    folder = notes_folder(
        {
            "adamw.md": "# AdamW\n\nAdamW 解决了权重衰减（weight decay）的问题。\n\n"
            "权重衰减是一种正则化技术，有助于减少过拟合。\n",
        }
    )
    index = build_index(folder, Settings(notes_dir=folder, index={"cache": False}))
    glossary = NoteGlossary(index.arrays.glossary)
    found = glossary.expand(["weight", "decay", "weightdecay"])
    assert list(found) == ["weight decay"] and "权重" in found["weight decay"]
    # Every word of the term must be asked for.
    assert glossary.expand(["weight", "loss"]) == {}


def test_code_notes_are_no_part_of_the_glossary(notes_folder: Make) -> None:
    folder = notes_folder({"a.md": "# A\n\n```python\n# 学习率（learning rate）\nlr = 0.1\n```\n"})
    index = build_index(folder, Settings(notes_dir=folder, index={"cache": False}))
    assert NoteGlossary(index.arrays.glossary).expand(["learning", "rate"]) == {}


def test_words_before_a_term_the_notes_also_pair_alone_are_context(notes_folder: Make) -> None:
    folder = notes_folder(
        {
            "a.md": "# A\n\n在Adam中使用权重衰减（Weight Decay）时会出问题。\n\n"
            "传统算法在权重衰减（weight decay）方面有问题。\n",
            # Only ever paired with its longer form: that form stays.
            "b.md": "# B\n\n我们使用随机梯度下降（SGD）训练。\n",
        }
    )
    index = build_index(folder, Settings(notes_dir=folder, index={"cache": False}))
    glossary = NoteGlossary(index.arrays.glossary)
    terms = glossary.expand(["weight", "decay"])["weight decay"]
    assert terms == ["权重", "衰减", "权重²", "重衰²", "衰减²"]
    assert "梯度" in glossary.expand(["sgd"])["sgd"]
