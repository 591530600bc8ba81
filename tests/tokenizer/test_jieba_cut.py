"""The tokenizer's fast paths give exactly what the slow ones give.

``Tokenizer.terms`` skips the offsets ``Tokenizer.tokenize`` works out, and the
tokenizer cuts Chinese with its own copy of jieba's steps (its HMM included) instead
of ``jieba.tokenize``. None may change a term: indexes and the quality benchmarks
depend on them. Inputs mix Chinese (Simplified and Traditional), English terms,
punctuation, full-width forms, characters NFKC folds to several ("ﬁ", "㎏"),
combining marks, lone surrogates and emoji.
"""

from __future__ import annotations

import jieba
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jieba import finalseg

from qabot.config import TokenizerSettings
from qabot.tokenizer import BIGRAM_MARK, Tokenizer
from qabot.tokenizer.jieba_cut import _singles
from qabot.tokenizer.terms import CJK_RUN
from qabot.tokenizer.tokenizer import WORD_CHAR

FRAGMENTS = [
    "梯度检查点", "梯度檢查點", "是什么", "什麼", "的", "总参数量", "中华人民共和国", "北京大学",
    "乾隆", "頭髮", "發展", "后来", "他说", "了", "在", "和", "南京市长江大桥", "林志玲",
    "DeepSeek-V3", "AdamW", "Llama 3.1", "qwen1.5", "C++", "C#", "gpt-4o", "SeedThinkingv1.5",
    "YOLOv5", "anchor free", "a_b", "x/y", "1990年", "3.14%", "R&D", "e.g.", "--", "__",
    "，", "。", "？", "！", "……", "（", "）", "、", " ", "  ", "\n", "\t", "\r\n",
    "ＡｄａｍＷ", "ＬｏＲＡ", "１２３", "ﬁ", "ﬁne-tuning", "㎏", "10㎏", "½", "Ⅻ", "①",
    "e\u0301", "İ", "ß", "ΣΑΣ", "é", "の", "カタカナ", "한국어", "㐀㐁", "\u9fd6\u9fff", "豈",
    "\ud800", "\udfff", "😀", "👩\u200d💻", "🇨🇳", "\u200b", "\ufeff", "\x00", "²",
]  # fmt: skip

texts = st.lists(
    st.sampled_from(FRAGMENTS)
    | st.text(max_size=4)
    | st.text("梯度检查点參數量中华人民共和国", max_size=8),
    max_size=12,
).map("".join)

TOKENIZERS = [
    Tokenizer(TokenizerSettings(char_bigrams=False)),
    Tokenizer(TokenizerSettings(char_bigrams=True)),
    Tokenizer(TokenizerSettings(search_mode=True)),
    Tokenizer(TokenizerSettings(traditional_to_simplified=False, char_bigrams=False)),
]


# Runs for the HMM: Chinese characters, common ones and ones with no emission probability
# (ties the cut must break as jieba does), letters, digits, the symbols jieba keeps in a
# block, and characters outside finalseg's range.
han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FD5) | st.sampled_from(
    "梯度检查点参数量中华人民共和国南京市长江大桥林志玲去过北京的了是侺丆偳乥芃乼瓎鼢丯乀侭乁仹亄傆亖"
)
runs = st.text(han, min_size=1, max_size=30) | st.text(
    han | st.sampled_from("aZ09+#&._%-㐀豈鿖 "), min_size=1, max_size=30
)


def _reference_jieba(text: str, mode: str) -> list[tuple[str, int, int]]:
    return [token for token in jieba.tokenize(text, mode=mode) if WORD_CHAR.search(token[0])]


def _reference_bigrams(folded: str, words: list[tuple[str, int, int]]) -> list[str]:
    """A bigram for each two characters in a row that Chinese terms cover."""
    covered = {
        i for term, start, end in words if CJK_RUN.fullmatch(term) for i in range(start, end)
    }
    return [folded[i : i + 2] + BIGRAM_MARK for i in sorted(covered) if i + 1 in covered]


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_terms_are_the_terms_of_tokenize(text: str) -> None:
    for tokenizer in TOKENIZERS:
        assert tokenizer.terms(text) == [token.text for token in tokenizer.tokenize(text)]


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_the_chinese_cut_is_jiebas(text: str) -> None:
    for tokenizer, mode in ((TOKENIZERS[0], "default"), (TOKENIZERS[2], "search")):
        folded = tokenizer.fold(text)[0]
        spans = tokenizer._jieba_spans(folded, 0, len(folded), tokenizer.search_mode)
        assert spans == _reference_jieba(folded, mode)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_bigrams_are_those_of_the_covered_characters(text: str) -> None:
    for tokenizer in TOKENIZERS[1:3]:
        folded = tokenizer.fold(text)[0]
        words = tokenizer._spans(folded, tokenizer.search_mode)
        expected = [term for term, _, _ in words] + _reference_bigrams(folded, words)
        assert tokenizer.terms(text) == expected


@settings(deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(runs)
@example("侺丆偳乥芃乼丆瓎鼢丯乼薬乀侭瓎乁仹亄傆藠亖")  # ties between paths to a B
def test_the_hmm_cut_is_finalsegs(run: str) -> None:
    assert _singles(run, {}) == list(finalseg.cut(run))


def test_the_hmm_cut_keeps_the_forced_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    run = "南京市长江大桥林志玲"
    assert _singles(run, {}) == ["南京市", "长江大桥", "林志玲"]
    monkeypatch.setattr(finalseg, "Force_Split_Words", {"长江大桥"})
    assert _singles(run, {}) == list(finalseg.cut(run)) == ["南京市", *"长江大桥", "林志玲"]


@pytest.mark.parametrize("text", [*FRAGMENTS, "".join(FRAGMENTS), "".join(reversed(FRAGMENTS))])
def test_fragments_alone_and_together(text: str) -> None:
    for tokenizer in TOKENIZERS:
        assert tokenizer.terms(text) == [token.text for token in tokenizer.tokenize(text)]
    folded = TOKENIZERS[2].fold(text)[0]
    spans = TOKENIZERS[2]._jieba_spans(folded, 0, len(folded), True)
    assert spans == _reference_jieba(folded, "search")


def test_a_span_of_a_longer_text_is_cut_as_jieba_cuts_it_alone() -> None:
    text = "前文，梯度检查点是什么？后文"
    spans = Tokenizer(TokenizerSettings(char_bigrams=False))._jieba_spans(text, 3, 11, False)
    assert spans == [
        (word, 3 + start, 3 + end) for word, start, end in _reference_jieba(text[3:11], "default")
    ]
