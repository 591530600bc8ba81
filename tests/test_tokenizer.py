import pytest

from qabot.tokenizer import Tokenizer, default_stopwords


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.mark.parametrize("term", ["deepseek-v3", "adamw", "37b", "qwen1.5", "c++", "gpt-4o"])
def test_english_and_alphanumeric_terms_stay_whole(tokenizer: Tokenizer, term: str) -> None:
    assert term in tokenizer.terms(f"关于 {term.upper()} 的笔记")


def test_joined_terms_also_yield_their_parts(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms("DeepSeek-V3")
    assert terms == ["deepseek-v3", "deepseek", "v3"]
    assert set(tokenizer.terms("deepseek v3")) <= set(terms)


def test_stopwords_and_question_words_are_dropped(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("什么是梯度检查点？") == ["梯度", "检查点"]
    assert tokenizer.terms("What is the AdamW optimizer?") == ["adamw", "optimizer"]
    assert {"什么", "哪些", "多少", "是", "的", "what", "how"} <= default_stopwords()


def test_traditional_folds_to_simplified(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("梯度檢查點是什麼？") == tokenizer.terms("梯度检查点是什么？")


def test_folding_can_be_switched_off() -> None:
    assert "檢查點" in "".join(Tokenizer(traditional_to_simplified=False).terms("梯度檢查點"))


def test_nfkc_and_case_fold(tokenizer: Tokenizer) -> None:
    assert tokenizer.terms("ＡｄａｍＷ") == ["adamw"]


def test_offsets_point_into_the_original_text(tokenizer: Tokenizer) -> None:
    text = "ﬁne-tuning 用 ＬｏＲＡ，梯度檢查點"
    for token in tokenizer.tokenize(text):
        original = text[token.start : token.end]
        assert tokenizer.fold(original)[0] == token.text


def test_punctuation_and_emoji_give_no_tokens(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokenize("？！…… 🙂🔥", keep_stopwords=True) == []


def test_custom_stopwords_replace_the_default() -> None:
    assert Tokenizer(stopwords={"梯度"}).terms("梯度是什么") == ["是", "什么"]
