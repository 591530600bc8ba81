import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import qabot.retriever.bm25 as bm25_module
import qabot.retriever.weights as weights_module
from qabot.pipeline import QAPipeline
from qabot.retriever.bm25 import BM25Index
from qabot.store.arrays_io import flatten


@pytest.fixture(autouse=True, params=["sort-all", "partition-first", "cut-off-in-one-column"])
def selecting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with each way of picking the best: sorting every entry,
    partitioning them first (the cut-off and its ties), or finding a cut-off in a few
    columns first and skipping the columns that cannot reach it, as questions with a
    common word do: all must agree exactly."""
    threshold = 1 << 62 if request.param == "sort-all" else 0
    monkeypatch.setattr(bm25_module, "_SORT_IN_PYTHON", threshold)
    if request.param == "cut-off-in-one-column":
        monkeypatch.setattr(bm25_module, "_CUT_OFF_FROM", 0)


def generated_corpus(documents: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(400)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like, as text is
    return [rng.choices(vocabulary, weights, k=rng.randint(1, 30)) for _ in range(documents)]


def assert_matches_rank_bm25(corpus: list[list[str]], queries: list[list[str]]) -> None:
    index = BM25Index(corpus)
    reference = BM25Okapi(corpus)
    for query in queries:
        expected = np.asarray(reference.get_scores(query))
        np.testing.assert_allclose(index.get_scores(query), expected, atol=1e-6)
        # The top 10 is rank-bm25's, ties at the cut-off included: by score, then document.
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))[:10]
        top = index.top_k(query, 10)
        assert [doc for doc, _ in top] == order
        assert [score for _, score in top] == pytest.approx(expected[order].tolist(), abs=1e-6)


def test_scores_match_rank_bm25_on_a_generated_corpus() -> None:
    rng = random.Random(1)
    corpus = generated_corpus(3000)
    queries = [rng.sample([f"w{i}" for i in range(500)], k=rng.randint(1, 6)) for _ in range(50)]
    queries.append(["w1", "w1", "w3"])  # repeated query terms count twice in rank-bm25
    assert_matches_rank_bm25(corpus, queries)


def test_scores_match_rank_bm25_on_the_bundled_notes(seeds_pipeline: QAPipeline) -> None:
    corpus = seeds_pipeline.index.snippet_terms
    tokenizer = seeds_pipeline.tokenizer
    questions = ["DeepSeek-V3 的总参数量是多少", "AdamW 和 Adam 的区别", "梯度检查点", "mAP 怎么算"]
    assert_matches_rank_bm25(corpus, [tokenizer.terms(q) for q in questions])


@pytest.mark.parametrize("corpus", [[["唯一", "笔记"]], [["甲", "共同"], ["乙", "共同"]]])
def test_one_and_two_note_corpora_still_score(corpus: list[list[str]]) -> None:
    index = BM25Index(corpus)
    for document, terms in enumerate(corpus):
        assert index.top_k(terms[:1], 1)[0][0] == document
        assert index.top_k(terms[:1], 1)[0][1] > 0


def test_unknown_terms_score_nothing_and_weigh_most() -> None:
    index = BM25Index(generated_corpus(100))
    assert index.top_k(["never-seen"], 5) == []
    assert index.smooth_idf("never-seen") > max(index.smooth_idf(t) for t in index.vocabulary)
    assert index.smooth_idf("w0") < index.smooth_idf("w399")  # common terms weigh less


def test_top_k_is_ordered_and_bounded() -> None:
    index = BM25Index(generated_corpus(500))
    hits = index.top_k(["w5", "w9"], 7)
    assert len(hits) == 7
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert index.score(["w5", "w9"], hits[0][0]) == pytest.approx(hits[0][1])


def test_a_corpus_without_words_is_refused() -> None:
    with pytest.raises(ValueError, match="no searchable words"):
        BM25Index([[], []])


def test_scores_equal_rank_bm25_bit_for_bit() -> None:
    # Same IDF code, same weight expression, columns added in query order: no rounding
    # difference at all, so rank-bm25's ranking, ties included, is reproduced exactly.
    rng = random.Random(2)
    corpus = generated_corpus(2000, seed=3)
    index = BM25Index(corpus, k1=1.2, b=0.6, epsilon=0.3)
    reference = BM25Okapi(corpus, k1=1.2, b=0.6, epsilon=0.3)
    for _ in range(30):
        query = rng.choices([f"w{i}" for i in range(450)], k=rng.randint(1, 8))
        assert np.array_equal(index.get_scores(query), reference.get_scores(query))


def test_term_ids_and_saved_arrays_give_the_same_index() -> None:
    corpus = generated_corpus(800)
    index = BM25Index(corpus)
    terms = index.vocabulary.strings
    ids = np.array([index.vocabulary[t] for doc in corpus for t in doc], dtype=np.int32)
    lengths = np.array([len(doc) for doc in corpus])
    from_ids = BM25Index.from_term_ids(lengths, ids, terms, len(terms))
    loaded = BM25Index.from_arrays(index.to_arrays(), terms, index.size)
    saved, _ = flatten(index.to_arrays())
    for other in (from_ids, loaded):
        for name, array in flatten(other.to_arrays())[0].items():
            assert np.array_equal(saved[name], array), name
    query = ["w3", "w17", "w3", "w250"]
    assert loaded.top_k(query, 10) == index.top_k(query, 10)


def test_saved_arrays_that_do_not_fit_are_refused() -> None:
    index = BM25Index(generated_corpus(50))
    arrays = index.to_arrays()
    arrays.indices = arrays.indices[:-1]
    with pytest.raises(ValueError, match="do not fit"):
        BM25Index.from_arrays(arrays, index.vocabulary.strings, index.size)


def test_one_document_score_equals_its_entry_in_all_scores() -> None:
    index = BM25Index(generated_corpus(300))
    query = ["w2", "w40", "w2", "never-seen", "w7"]
    scores = index.get_scores(query)
    assert [index.score(query, doc) for doc in range(index.size)] == scores.tolist()


def test_many_ties_at_the_cut_off_keep_the_lowest_documents() -> None:
    corpus = [["x", "y"] if d % 3 else ["x", "z"] for d in range(400)]  # equal scores
    index = BM25Index(corpus)
    assert [doc for doc, _ in index.top_k(["x"], 5)] == [0, 1, 2, 3, 4]
    assert [doc for doc, _ in index.top_k(["y", "x"], 70)] == [d for d in range(400) if d % 3][:70]


def test_top_k_breaks_ties_by_document_and_ignores_unknown_terms() -> None:
    index = BM25Index([["a", "b"], ["c"], ["a", "b"], ["d"], ["a", "b"]])
    assert [doc for doc, _ in index.top_k(["a", "zzz"], 2)] == [0, 2]


def test_threads_asking_at_once_get_the_serial_answers() -> None:
    index = BM25Index(generated_corpus(3000))
    rng = random.Random(5)
    queries = [rng.sample([f"w{i}" for i in range(400)], k=4) for _ in range(200)]
    expected = [index.top_k(query, 5) for query in queries]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda query: index.top_k(query, 5), queries)) == expected


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_top_k_is_rank_bm25s_head_for_many_queries_and_ties(k: int) -> None:
    rng = random.Random(k)
    corpus = generated_corpus(2500, seed=11) + [["w1", "w2", "w3"]] * 40  # tied documents
    index = BM25Index(corpus)
    reference = BM25Okapi(corpus)
    vocabulary = [f"w{i}" for i in range(420)]
    for _ in range(60):
        query = rng.choices(vocabulary, k=rng.randint(2, 9)) + rng.choice([[], ["w1", "w2"]])
        expected = np.asarray(reference.get_scores(query))
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))[:k]
        assert [doc for doc, _ in index.top_k(query, k)] == order


def test_building_in_small_batches_gives_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = generated_corpus(700)
    whole, _ = flatten(BM25Index(corpus).to_arrays())
    monkeypatch.setattr(weights_module, "_WEIGHT_BATCH", 97)
    for name, array in flatten(BM25Index(corpus).to_arrays())[0].items():
        assert np.array_equal(array, whole[name]), name


def test_k_beyond_the_matches_gives_them_all_and_k_zero_none() -> None:
    corpus = [*generated_corpus(600, seed=5), ["rare", "w1"], ["rare"], ["w2", "rare", "rare"]]
    index = BM25Index(corpus)
    reference = BM25Okapi(corpus)
    for query in (["rare"], ["rare", "w1", "rare"], ["rare", "w399", "never-seen"]):
        expected = np.asarray(reference.get_scores(query))
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))
        assert [doc for doc, _ in index.top_k(query, len(corpus) + 5)] == order
        assert index.top_k(query, 0) == []


def test_a_document_in_every_column_does_not_crowd_out_the_others() -> None:
    # Each document is listed once per query column holding it: the one holding all
    # of them fills most of the entries kept, yet k distinct documents come back.
    corpus = [["a", "b", "c", "d"]] + [[term] for term in "abcd" for _ in range(30)]
    index = BM25Index(corpus)
    reference = BM25Okapi(corpus)
    query = ["a", "b", "c", "d", "a"]
    expected = np.asarray(reference.get_scores(query))
    for k in (1, 2, 5, 40):
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))[:k]
        assert [doc for doc, _ in index.top_k(query, k)] == order


def test_the_columns_of_common_words_are_skipped_yet_the_top_is_rank_bm25s() -> None:
    # "the" and "of" fill most documents and weigh little: a document holding only
    # them cannot reach the cut-off the rare word sets, so their columns are not read
    # back, and the documents holding them and the rare word still rank exactly.
    rng = random.Random(4)
    corpus = [
        [*rng.choices(["the", "of", "w1", "w2"], k=rng.randint(1, 6)), *["rare"] * (d % 97 == 0)]
        for d in range(6000)
    ]
    index = BM25Index(corpus)
    reference = BM25Okapi(corpus)
    query = ["the", "rare", "of", "w1", "the"]
    spans = index._spans(index._columns(query))
    rows, weights = index._postings(spans)
    scores = np.zeros(index.size)
    np.add.at(scores, rows, weights)
    assert len(index._cut_off(spans, rows, scores, 5)[1]) < len(spans)
    expected = np.asarray(reference.get_scores(query))
    for k in (1, 5, 40):
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))[:k]
        top = index.top_k(query, k)
        assert [doc for doc, _ in top] == order
        assert [score for _, score in top] == expected[order].tolist()
