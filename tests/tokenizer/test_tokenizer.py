import re

import pytest

from qabot.config import TokenizerSettings
from qabot.tokenizer import (
    BIGRAM_MARK,
    Tokenizer,
    default_stopwords,
    inner_words,
    is_bigram,
    split_joined,
    split_version,
)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(TokenizerSettings(char_bigrams=False))


@pytest.mark.parametrize("term", ["deepseek-v3", "adamw", "37b", "qwen1.5", "c++", "gpt-4o"])
def test_english_and_alphanumeric_terms_stay_whole(tokenizer: Tokenizer, term: str) -> None:
    assert term in tokenizer.terms(f"关于 {term.upper()} 的笔记")


def test_joined_terms_also_yield_their_parts(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms("DeepSeek-V3")
    assert terms == ["deepseek-v3", "deepseek", "v3", "deepseekv3"]
    assert set(tokenizer.terms("deepseek v3")) <= set(terms)


def test_stopwords_and_question_words_are_dropped(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("什么是梯度检查点？") == ["梯度", "检查点"]
    assert set(tokenizer.terms("What is the AdamW optimizer?")) == {
        "adamw",
        "optimizer",
        "adamwoptimizer",
    }
    assert {"什么", "哪些", "多少", "是", "的", "what", "how"} <= default_stopwords()


def test_traditional_folds_to_simplified(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("梯度檢查點是什麼？") == tokenizer.terms("梯度检查点是什么？")


def test_folding_can_be_switched_off() -> None:
    assert "檢查點" in "".join(
        Tokenizer(TokenizerSettings(traditional_to_simplified=False, char_bigrams=False)).terms(
            "梯度檢查點"
        )
    )


def test_nfkc_and_case_fold(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("ＡｄａｍＷ") == ["adamw"]


def test_offsets_point_into_the_original_text() -> None:
    tokenizer = Tokenizer(TokenizerSettings(char_bigrams=True))
    text = "ﬁne-tuning 用 ＬｏＲＡ，梯度檢查點 Llama 3.1"
    for token in tokenizer.tokenize(text):
        original = tokenizer.fold(text[token.start : token.end])[0]
        # Derived terms drop separators and spaces, and bigrams carry their mark.
        expected = re.sub(r"[-_/\s]", "", token.text.removesuffix(BIGRAM_MARK))
        assert re.sub(r"[-_/\s]", "", original) == expected


def test_punctuation_and_emoji_give_no_tokens(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokenize("？！…… 🙂🔥", keep_stopwords=True) == []


def test_extra_stopwords_join_the_default() -> None:
    settings = TokenizerSettings(char_bigrams=False, extra_stopwords=["梯度"])
    assert Tokenizer(settings).terms("梯度爆炸是什么") == ["爆炸"]


def test_joined_terms_also_run_together(tokenizer: Tokenizer) -> None:
    assert "seedthinkingv1.5" in tokenizer.terms("Seed-Thinking-v1.5 的参数")
    assert split_joined("seed-thinking-v1.5") == ["seed", "thinking", "v1.5"]
    assert split_joined("adamw") == []


def test_a_name_glued_to_its_version_also_yields_both(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("SeedThinkingv1.5 和 YOLOv5") == [
        "seedthinkingv1.5",
        "seedthinking",
        "v1.5",
        "yolov5",
        "yolo",
        "v5",
    ]
    assert split_version("seedthinkingv1.5") == ["seedthinking", "v1.5"]
    # Too short a name, or no "v": not a versioned name.
    assert split_version("gv2") == split_version("qwen1.5") == []


def test_two_words_apart_only_by_a_space_run_together(tokenizer: Tokenizer) -> None:
    assert "anchorfree" in tokenizer.terms("anchor free 方法")
    assert "llama3.1" in tokenizer.terms("Llama 3.1 发布")
    # Not across a stopword, nor across other text.
    assert "themodel" not in tokenizer.terms("the model")
    assert "llama3.1" not in tokenizer.terms("Llama 的 3.1")


def test_char_bigrams_are_marked_and_stop_at_stopwords() -> None:
    tokenizer = Tokenizer(TokenizerSettings(char_bigrams=True))
    terms = tokenizer.terms("总参数量是多少")
    bigrams = [term for term in terms if is_bigram(term)]
    assert bigrams == ["总参²", "参数²", "数量²"]
    assert not any(
        is_bigram(term)
        for term in Tokenizer(TokenizerSettings(char_bigrams=False)).terms("总参数量是多少")
    )
    # Words cut differently still share bigrams.
    assert "参数²" in tokenizer.terms("参数量达到 671B")
    for token in tokenizer.tokenize("總參數量"):
        assert token.end - token.start >= 1


def test_search_mode_adds_the_words_inside_long_words() -> None:
    plain = set(Tokenizer(TokenizerSettings(char_bigrams=False)).terms("中华人民共和国"))
    search = set(
        Tokenizer(TokenizerSettings(char_bigrams=False, search_mode=True)).terms("中华人民共和国")
    )
    assert plain < search and {"中华", "人民", "共和国"} <= search


def test_the_words_inside_a_long_word_are_those_search_mode_adds() -> None:
    search = Tokenizer(TokenizerSettings(char_bigrams=False, search_mode=True))
    assert inner_words("中华人民共和国") == search.terms("中华人民共和国")[:-1]
    assert inner_words("红烧肉") == ["红烧", "烧肉"]
    assert inner_words("显卡") == []


def test_notes_are_cut_in_search_mode_and_questions_are_not() -> None:
    """A note's 数据类型 also yields 数据 and 类型, so a question's 数据 meets it; the
    question's own 数据类型 stays one word, which asks for itself."""
    tokenizer = Tokenizer(TokenizerSettings(char_bigrams=False))
    assert tokenizer.terms("数据类型", notes=True) == ["数据", "类型", "数据类型"]
    assert tokenizer.terms("数据类型") == ["数据类型"]
    [token] = tokenizer.tokenize("数据类型")
    assert token.text == "数据类型"
    whole = Tokenizer(TokenizerSettings(char_bigrams=False, index_search_mode=False))
    assert whole.terms("数据类型", notes=True) == ["数据类型"]


def test_the_extended_list_drops_light_words() -> None:
    extended, basic = default_stopwords(), default_stopwords(extended=False)
    assert basic < extended
    assert {"里", "一般", "哪篇", "between"} <= extended - basic
    assert Tokenizer(TokenizerSettings(char_bigrams=False)).terms("神经网络里一般用什么") == [
        "神经网络"
    ]
    basic_settings = TokenizerSettings(char_bigrams=False, extended_stopwords=False)
    assert Tokenizer(basic_settings).terms("神经网络里一般用什么") != ["神经网络"]


def test_a_prefix_jieba_cuts_off_a_term_is_no_stopword(tokenizer: Tokenizer) -> None:
    # jieba's dictionary lacks 过拟合 and 欠拟合 and cuts the prefix off: dropping it
    # would make both questions ask only for 拟合.
    over, under = tokenizer.terms("什么是过拟合？"), tokenizer.terms("什么是欠拟合？")
    assert "过" in over and "欠" in under
    assert set(over) != set(under)
