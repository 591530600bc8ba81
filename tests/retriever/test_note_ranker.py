"""The note ranker against its plain definition, and saved with the index."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import qabot.arrays.rows as rows_module
import qabot.build.matrices as matrices_module
import qabot.retriever.weights as weights_module
from qabot.build import build_index
from qabot.build.matrices import note_matrix_for
from qabot.config import Settings
from qabot.index import NotesIndex
from qabot.reader.extractive import ExtractiveReader
from qabot.retriever.note_ranker import NoteParams, NoteRanker
from qabot.store.arrays_io import flatten
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import is_bigram

Make = Callable[[dict[str, str | bytes]], Path]

NOTES = {
    "birds.md": "# 新西兰鸲鹟\n新西兰鸲鹟是新西兰特有的一种小鸟。原住在北岛的森林里。\n\n"
    "# 截尾鹦嘴鱼\n截尾鹦嘴鱼是一种热带鱼。它生活于较混浊的礁湖，以藻类为食。\n",
    "copy.md": "# 新西兰鸲鹟\n新西兰鸲鹟是新西兰特有的一种小鸟。原住在北岛的森林里。\n",
    "ml.txt": "AdamW 把权重衰减与梯度更新解耦。\n"
    "Batch normalization 让训练更稳定，学习率可以更大。\n梯度检查点用计算换显存。\n",
    "empty.txt": "\n\n",
}
QUESTIONS = [
    "新西兰鸲鹟住在哪里",
    "热带鱼吃什么",
    "AdamW 权重衰减",
    "学习率",
    "显存 梯度",
    "森林 小鸟",
]


def plain_documents(index: NotesIndex, params: NoteParams) -> list[list[str]]:
    """The terms of each distinct note, made object by object."""
    documents: dict[tuple[int, ...], list[str]] = {}
    for note in index.notes:
        sequence = tuple(index.note_snippets.get(note.id, ()))
        if sequence and sequence not in documents:
            title = sorted(index.title_terms.get(note.title, ())) * params.title_repeats
            documents[sequence] = [t for s in sequence for t in index.snippet_terms[s]] + title
    return list(documents.values())


def plain_scores(
    documents: list[list[str]], params: NoteParams, query: list[str]
) -> dict[int, float]:
    """Each document's score, by rank-bm25: words, plus bigrams times their weight."""
    total = np.zeros(len(documents))
    for bigrams, weight in ((False, 1.0), (True, params.bigram_weight)):
        corpus = [[t for t in doc if is_bigram(t) == bigrams] for doc in documents]
        terms = [t for t in query if is_bigram(t) == bigrams]
        if weight and any(corpus):
            model = BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon)
            total = total + weight * np.asarray(model.get_scores(terms))
    return {doc: float(score) for doc, score in enumerate(total) if score > 0}


def ranker_for(index: NotesIndex, params: NoteParams) -> NoteRanker:
    return NoteRanker(note_matrix_for(index.arrays, params), index.note_snippets)


@pytest.fixture
def index(notes_folder: Make, tmp_path: Path) -> NotesIndex:
    return build_index(notes_folder(NOTES), Settings(index={"cache_dir": tmp_path / "cache"}))


@pytest.mark.parametrize(
    "params",
    [NoteParams(), NoteParams(title_repeats=0, bigram_weight=1.0), NoteParams(1.2, 0.5, 0.1, 3, 0)],
)
def test_scores_are_rank_bm25s_over_the_distinct_notes(
    index: NotesIndex, params: NoteParams
) -> None:
    ranker = ranker_for(index, params)
    tokenizer = make_tokenizer(Settings())
    documents = plain_documents(index, params)
    assert len(ranker.first_note) == len(documents) < len(index.notes)
    for question in QUESTIONS:
        query = tokenizer.terms(question)
        expected = plain_scores(documents, params, query)
        top = ranker.top(query, 10)
        assert [doc for doc, _ in top] == sorted(expected, key=lambda d: (-expected[d], d))
        assert [score for _, score in top] == pytest.approx([expected[d] for d, _ in top])


def test_copies_share_a_document_and_notes_without_snippets_have_none(index: NotesIndex) -> None:
    ranker = ranker_for(index, NoteParams())
    copies = [n.id for n in index.notes if n.title == "新西兰鸲鹟"]
    assert len(copies) == 2
    assert len({int(ranker.doc_of_note[n]) for n in copies}) == 1
    for document, note in enumerate(ranker.first_note.tolist()):
        assert ranker.snippets_of(document) == index.note_snippets[note]
    assert all(
        ranker.doc_of_note[n.id] == -1 for n in index.notes if n.id not in index.note_snippets
    )


def test_the_saved_ranker_serves_the_first_question(
    notes_folder: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index={"cache_dir": tmp_path / "cache"})
    folder = notes_folder(NOTES)
    build_index(folder, settings)

    def rebuilt(*args: object) -> None:
        raise AssertionError("the note matrix was built again")

    monkeypatch.setattr(matrices_module, "note_matrix", rebuilt)
    loaded = build_index(folder, settings)
    reader = ExtractiveReader(settings.reader, settings.retriever)
    terms = make_tokenizer(settings).terms("截尾鹦嘴鱼生活在哪里")
    answer = reader.read("截尾鹦嘴鱼生活在哪里", terms, loaded.bm25.top_k(terms, 10), loaded)
    assert "礁湖" in answer.answer


def test_other_parameters_get_a_ranker_of_their_own(index: NotesIndex) -> None:
    query = make_tokenizer(Settings()).terms("新西兰鸲鹟")
    saved = ranker_for(index, NoteParams()).top(query, 1)
    heavier = ranker_for(index, NoteParams(title_repeats=3)).top(query, 1)
    assert saved[0][0] == heavier[0][0] and heavier[0][1] > saved[0][1]


@pytest.mark.parametrize("params", [NoteParams(), NoteParams(title_repeats=0)])
def test_small_batches_make_the_same_arrays(
    index: NotesIndex, params: NoteParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, whole_meta = flatten(matrices_module.note_matrix(index.arrays.corpus, params))
    monkeypatch.setattr(matrices_module, "_TERM_BATCH", 5)
    monkeypatch.setattr(rows_module, "_GATHER_ROWS", 2)
    monkeypatch.setattr(weights_module, "_WEIGHT_BATCH", 7)
    batched, batched_meta = flatten(matrices_module.note_matrix(index.arrays.corpus, params))
    assert batched.keys() == whole.keys() and batched_meta == whole_meta
    for name, array in whole.items():
        np.testing.assert_array_equal(batched[name], array, err_msg=name)
