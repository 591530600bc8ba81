import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from qabot.pipeline import QAPipeline
from qabot.retriever.bm25 import BM25Index


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
        actual = index.get_scores(query)
        np.testing.assert_allclose(actual, expected, atol=1e-6)
        top = [doc for doc, _ in index.top_k(query, 10)]
        order = sorted(np.flatnonzero(expected > 0), key=lambda d: (-expected[d], d))[:10]
        # Documents tied to 1e-9 may swap places; everything else must be identical.
        assert np.round(expected[top], 9).tolist() == np.round(expected[order], 9).tolist()
        if order:
            cutoff = expected[order[-1]] + 1e-9
            assert {d for d in order if expected[d] > cutoff} <= set(top)


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
