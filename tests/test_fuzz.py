"""Property tests: hostile Unicode never breaks the core or the Telegram renderer.

Inputs mix arbitrary code points (control characters, NUL, lone surrogates, RTL
marks, emoji), markup (``<b>``, ``</a>``, ``*_[``, entities), real words of the
bundled notes (so questions reach retrieval and the reader, not just the "no words"
hint) and very long repeats. The properties:

* the tokenizer, the BM25 retriever and :meth:`QAPipeline.ask` return without
  raising, with sane offsets and scores;
* every :class:`Answer` serializes to UTF-8 JSON, as ``qabot ask --json`` prints it;
* the Telegram renderer, fed answers whose every string is arbitrary, yields
  balanced HTML with only the tags Telegram allows, every message within the
  limit, and all of the original text visible, in order.

Run just these (``HYPOTHESIS_PROFILE=fuzz-long`` for a deeper, slower search)::

    .venv/bin/python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qabot.chat.citations import Place, by_place, excerpt
from qabot.chat.strings import EN, Notice, notice_of
from qabot.config import Settings, TokenizerSettings
from qabot.pipeline import QAPipeline
from qabot.retriever.bm25 import BM25Index
from qabot.schema import Answer, Citation
from qabot.store.jieba_cache import make_tokenizer
from qabot.telegram.render import MESSAGE_LIMIT, render_answer, render_sources, utf16_len
from qabot.tokenizer import Tokenizer

# html_check lives beside the Telegram tests, which are not a package (see conftest there).
sys.path.insert(0, str(Path(__file__).resolve().parent / "telegram"))
from html_check import check_html

REPO = Path(__file__).resolve().parent.parent

# Moderate by default so the whole file runs in seconds in the normal suite.
settings.register_profile(
    "fuzz", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz-long", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))

HOSTILE = [
    "\x00", "\x07", "\x1b[31m", "\r\n", "\u0085", "\u2028", "\ufeff", "\ufffd", "\uffff",
    "\u200b", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069",
    "😀", "👩\u200d💻", "🇨🇳", "\U0001f3fb", "\U000e0041", "\U00020000",
    "<b>", "</b>", "</a>", "<a href='x'>", "<i>", "</blockquote>", "<script>", "<!--", "]]>",
    "&", "&amp;", "&lt;", "&#0;", "&#xd800;", "*_[", "`", "```", "](", "||", "~~", "\\",
    "ﬁ", "İ", "ß", "ǰ", "\u0301", "㎏", "Ⅻ", "½", "²",
]  # fmt: skip
"""Pieces that broke text handling elsewhere: controls, bidi, ZWJ, markup, NFKC expanders."""

SURROGATES = ["\ud800", "\udfff", "\ud83d", "a\udc00b"]


def _seed_words() -> list[str]:
    """Question words of the bundled question set, so some inputs hit real notes."""
    lines = (REPO / "tests/data/seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if line.strip()]
    words = {w for q in questions for w in q.replace("?", " ").replace("？", " ").split()}
    return sorted(words | set(questions[:40]))


SEED_WORDS = _seed_words()


def texts(*, surrogates: bool = True, repeat: int = 2000) -> st.SearchStrategy[str]:
    """Hostile text: short mixes, and the same mixes repeated up to ``repeat`` times."""
    characters = st.characters(exclude_categories=() if surrogates else ("Cs",))
    pieces = [characters, st.sampled_from(HOSTILE), st.sampled_from(SEED_WORDS)]
    if surrogates:
        pieces.append(st.sampled_from(SURROGATES))
    short = st.lists(st.one_of(*pieces), max_size=30).map("".join)
    long = st.tuples(short, st.integers(2, repeat)).map(lambda pair: pair[0] * pair[1])
    return st.one_of(short, short, long)


# -- fixtures --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer(Settings())


@pytest.fixture(scope="module")
def bigram_tokenizer() -> Tokenizer:
    """The other code paths: character bigrams and jieba's search mode."""
    return Tokenizer(TokenizerSettings(search_mode=True))


@pytest.fixture(scope="module")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory) -> QAPipeline:
    """Three tiny notes, markup and RTL included: the IDF floor and reader edge cases."""
    folder = tmp_path_factory.mktemp("fuzz-notes")
    (folder / "a.md").write_text(
        "# 优化器\nAdamW 把权重衰减从梯度更新中解耦出来。\n在模板里写 <b>粗体</b> & *_[ 要转义。\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text("\u202eRTL note\u202c mAP 是各类别 AP 的平均。😀\n", "utf-8")
    (folder / "c.txt").write_text("梯度检查点只保存部分激活值，反向时重算。\n", "utf-8")
    return QAPipeline.from_settings(Settings(notes_dir=folder))


# -- the core --------------------------------------------------------------------------
@FUZZ
@given(text=texts(surrogates=False, repeat=300), keep_stopwords=st.booleans())
def test_tokenizer_returns_tokens_inside_the_text(
    tokenizer: Tokenizer, bigram_tokenizer: Tokenizer, text: str, keep_stopwords: bool
) -> None:
    for tok in (tokenizer, bigram_tokenizer):
        for token in tok.tokenize(text, keep_stopwords=keep_stopwords):
            assert token.text
            assert 0 <= token.start < token.end <= len(text), (token, len(text))


@pytest.mark.parametrize("text", SURROGATES)
def test_tokenizer_survives_lone_surrogates(tokenizer: Tokenizer, text: str) -> None:
    tokenizer.tokenize(text)


@FUZZ
@given(
    documents=st.lists(texts(surrogates=False, repeat=50), min_size=1, max_size=6),
    query=texts(surrogates=False, repeat=50),
    raw_terms=st.lists(st.text(max_size=8), max_size=5),
    k=st.integers(1, 10),
)
def test_bm25_ranks_any_corpus_and_query(
    tokenizer: Tokenizer, documents: list[str], query: str, raw_terms: list[str], k: int
) -> None:
    corpus = [tokenizer.terms(document) for document in documents]
    if not any(corpus):  # the documented refusal, which build_index reports as a bad folder
        with pytest.raises(ValueError, match="no searchable words"):
            BM25Index(corpus)
        return
    index = BM25Index(corpus)
    terms = tokenizer.terms(query) + raw_terms
    ranked = index.top_k(terms, k)
    assert len(ranked) <= k
    assert all(0 <= doc < len(documents) and math.isfinite(score) for doc, score in ranked)
    assert [score for _, score in ranked] == sorted((s for _, s in ranked), reverse=True)
    scores = index.get_scores(terms)
    assert len(scores) == len(documents) and all(math.isfinite(s) for s in scores)


@FUZZ
@given(question=texts())
def test_bm25_over_the_seeds_ranks_any_question(seeds_pipeline: QAPipeline, question: str) -> None:
    cleaned, _ = seeds_pipeline._clean(question)  # what ask() feeds the tokenizer
    terms = seeds_pipeline.tokenizer.terms(cleaned)
    for doc, score in seeds_pipeline.index.bm25.top_k(terms, 50):
        assert 0 <= doc < seeds_pipeline.index.bm25.size and score > 0


def _check_answer(pipeline: QAPipeline, question: str, page: int) -> Answer:
    answer = pipeline.ask(question, page)
    assert isinstance(answer, Answer)
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # qabot ask --json
    assert len(answer.question) <= pipeline.settings.reader.max_question_chars
    assert answer.abstained == (answer.answer == "")
    if not answer.abstained:
        assert answer.citations and all(c.text for c in answer.citations)
    for render in (render_answer, render_sources):
        messages = render(answer, EN)
        assert messages, f"{render.__name__} sent nothing for {answer!r}"
        for message in messages:
            check_html(message)
    return answer


@FUZZ
@given(question=texts(repeat=5000), page=st.integers(0, 3))
def test_ask_over_the_seeds_answers_or_abstains(
    seeds_pipeline: QAPipeline, question: str, page: int
) -> None:
    _check_answer(seeds_pipeline, question, page)


@FUZZ
@given(question=texts(repeat=5000), page=st.integers(0, 2))
def test_ask_over_a_tiny_folder_answers_or_abstains(
    small_pipeline: QAPipeline, question: str, page: int
) -> None:
    _check_answer(small_pipeline, question, page)


# -- the Telegram renderer ---------------------------------------------------------------
def strings(max_repeat: int = 600) -> st.SearchStrategy[str]:
    return texts(repeat=max_repeat)


citations = st.builds(
    Citation,
    n=st.integers(1, 99),
    source=strings(20),
    line=st.integers(1, 10**6),
    title=strings(),
    text=strings(),
    score=st.floats(allow_nan=False),
    also_in=st.lists(strings(20), max_size=4),
    start=st.integers(0, 10**6),
    end=st.integers(0, 10**6),
)
answers = st.builds(
    Answer,
    question=strings(),
    answer=strings(),
    abstained=st.booleans(),
    citations=st.lists(citations, max_size=4),
    closest_topics=st.lists(strings(20), max_size=4),
    notice=st.none() | strings(),
    page=st.integers(0, 5),
    has_more=st.booleans(),
)


def _place_line(place: Place) -> str:
    also = f" (also in {', '.join(place.also_in)})" if place.also_in else ""
    return f"{place.where} — {place.title}{also}"


def _visible_in_order(messages: list[str], expected: list[str], limit: int) -> None:
    """Every message is valid and fits; the expected texts appear, in order, unbroken."""
    visible = []
    for message in messages:
        assert message, "an empty message (Telegram rejects it)"
        assert utf16_len(message) <= limit
        visible.append(check_html(message))
    # A block cut across messages must read whole again when they are put together.
    joined = "".join(visible)
    position = 0
    for text in expected:
        found = joined.find(text, position)
        assert found >= 0, f"{text[:80]!r} missing or out of order"
        position = found + len(text)


@FUZZ
@given(answer=answers, limit=st.one_of(st.just(MESSAGE_LIMIT), st.integers(30, MESSAGE_LIMIT)))
def test_render_answer_is_balanced_html_within_the_limit(answer: Answer, limit: int) -> None:
    expected = [EN.notice(answer.notice)] if answer.notice else []
    if answer.abstained:
        if answer.notice is None or notice_of(answer.notice)[0] is Notice.CUT:
            expected += [EN.not_covered, *answer.closest_topics]
    else:
        expected += [answer.answer] if answer.answer else []
        for place in by_place(answer.citations):
            expected.append(_place_line(place))
            expected += [f"[{c.n}] {excerpt(c.text)}" for c in place.citations]
    _visible_in_order(render_answer(answer, EN, limit=limit), expected, limit)


@FUZZ
@given(answer=answers, limit=st.one_of(st.just(MESSAGE_LIMIT), st.integers(30, MESSAGE_LIMIT)))
def test_render_sources_is_balanced_html_within_the_limit(answer: Answer, limit: int) -> None:
    expected = [
        text
        for place in by_place(answer.citations)
        for text in (_place_line(place), *(f"[{c.n}] {c.text}" for c in place.citations))
    ]
    messages = render_sources(answer, EN, limit)
    _visible_in_order(messages, expected or [EN.no_sources], limit)
