"""Widening a question: the notes' glossary first, then the dictionary, then homophones."""

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.build import build_index
from qabot.config import ReaderSettings, Settings
from qabot.reader.coverage import CoverageMeter
from qabot.reader.expansion import Sources, expand_query
from qabot.reader.glossary import Glossary
from qabot.reader.homophones import Homophones
from qabot.retriever.note_glossary import NoteGlossary
from qabot.store.jieba_cache import make_tokenizer

Make = Callable[[dict[str, str | bytes]], Path]

NOTES = {
    "adamw.md": "# AdamW\n\nAdamW 修正了权重衰减（weight decay）的用法。\n",
    "decay.md": "# 正则化\n\n权重衰减是一种正则化技术，有助于减少过拟合。\n",
    "detect.md": "# 检测\n\n检测模型在图像上画出边界框。\n",
}
CEDICT = "權重 权重 [quan2 zhong4] /weight/\n減少 减少 [jian3 shao3] /to reduce/\n"


@pytest.fixture
def built(notes_folder: Make, tmp_path: Path) -> tuple:
    settings = Settings(index={"cache": False})
    index = build_index(notes_folder(NOTES), settings)
    path = tmp_path / "cedict.txt.gz"
    path.write_bytes(gzip.compress(CEDICT.encode("utf-8")))
    sources = Sources(NoteGlossary(index.arrays.glossary), Glossary(path), Homophones())
    return index, make_tokenizer(settings), sources


def test_the_notes_glossary_comes_before_the_dictionary(built: tuple) -> None:
    index, tokenizer, sources = built
    question = "What is weight decay? Does it reduce overfitting?"
    terms = tokenizer.terms(question)
    expansion = expand_query(question, terms, index.bm25.vocabulary, ReaderSettings(), sources)
    # weight and decay: the glossary's 权重衰减 at full weight, not the dictionary's 权重.
    assert expansion.weights["权重"] == 1.0 and expansion.weights["衰减"] == 1.0
    assert ("权重", 1.0) in expansion.forms["weight"]
    # reduce: the dictionary, at its lower weight.
    assert expansion.weights["减少"] == ReaderSettings().dictionary_weight
    assert expansion.dictionary_words == {"reduce"}


def test_the_glossary_covers_the_english_words_of_a_chinese_note(built: tuple) -> None:
    index, tokenizer, sources = built
    question = "What is weight decay?"
    terms = tokenizer.terms(question)
    settings = ReaderSettings(note_glossary=True)
    expansion = expand_query(question, terms, index.bm25.vocabulary, settings, sources)
    definition = next(
        sid for sid in range(len(index.snippets)) if "正则化" in index.snippets[sid].text
    )
    meter = CoverageMeter(index, settings)
    assert meter.coverage(terms, [definition]) == 0.0
    assert meter.coverage(terms + list(expansion.weights), [definition], expansion) == 1.0


@pytest.mark.parametrize("question", ["weight decay 防止过拟合吗?", "weight decay 一般设多少?"])
def test_a_chinese_question_is_not_widened_by_the_glossary(built: tuple, question: str) -> None:
    """Even when its only Chinese words are stopwords: it is asked in the notes' words."""
    index, tokenizer, sources = built
    terms = tokenizer.terms(question)
    expansion = expand_query(question, terms, index.bm25.vocabulary, ReaderSettings(), sources)
    assert "权重" not in expansion.weights


def test_homophones_of_words_the_notes_lack_count_less(built: tuple) -> None:
    index, tokenizer, sources = built
    question = "检侧模型画出什么?"
    terms = tokenizer.terms(question)
    settings = ReaderSettings(homophone_weight=0.5)
    vocabulary = index.bm25.vocabulary
    expansion = expand_query(question, terms, vocabulary, settings, sources)
    assert expansion.weights["检测"] == 0.5
    off = expand_query(question, terms, vocabulary, ReaderSettings(homophone_weight=0), sources)
    assert "检测" not in off.weights


def test_an_english_question_translates_the_english_words_the_notes_hold_too(
    built: tuple,
) -> None:
    """The notes hold "weight" only inside a gloss; an English question still gets 权重."""
    index, tokenizer, sources = built
    settings = ReaderSettings(note_glossary=False)
    vocabulary = index.bm25.vocabulary
    assert "weight" in vocabulary
    english = expand_query(
        "Which weight?", tokenizer.terms("Which weight?"), vocabulary, settings, sources
    )
    assert english.forms["weight"] == [("权重", 1.0)]
    assert "weight" not in english.dictionary_words  # the notes hold it: no unknown name
    # A Chinese question names the notes' English words as the notes write them.
    chinese = expand_query(
        "weight 是什么?", tokenizer.terms("weight 是什么?"), vocabulary, settings, sources
    )
    assert "weight" not in chinese.forms
