import pytest

from qabot.ingest.splitter import SentenceSplitter


def spans(text: str, **bounds: int) -> list[str]:
    return [piece for piece, _, _ in SentenceSplitter(**bounds).split(text)]


def test_splits_on_chinese_and_western_sentence_ends() -> None:
    text = "第一句话在这里。第二句话呢？Third sentence here! Fourth one; 第五句话在这里"
    assert spans(text, min_chars=4) == [
        "第一句话在这里。",
        "第二句话呢？",
        "Third sentence here!",
        "Fourth one;",
        "第五句话在这里",
    ]


def test_offsets_point_at_the_text() -> None:
    text = "  AdamW 是默认优化器。 它把权重衰减解耦了！\n下一行"
    for piece, start, end in SentenceSplitter(min_chars=2).split(text):
        assert text[start:end] == piece


def test_version_numbers_do_not_end_sentences() -> None:
    assert spans("Qwen1.5 and DeepSeek-V3.1 are models. Next one here.", min_chars=4) == [
        "Qwen1.5 and DeepSeek-V3.1 are models.",
        "Next one here.",
    ]


def test_short_pieces_join_their_neighbour() -> None:
    assert spans("简介。模型结构很简单。", min_chars=6) == ["简介。模型结构很简单。"]


def test_long_sentences_are_cut_at_a_soft_break_within_bounds() -> None:
    text = "，".join(["这是一个很长的分句"] * 40) + "。"
    pieces = spans(text, min_chars=4, max_chars=60)
    assert all(len(piece) <= 60 for piece in pieces)
    assert "".join(pieces) == text
    assert all(piece.endswith(("，", "。")) for piece in pieces)


def test_unbreakable_text_is_cut_hard_at_the_limit() -> None:
    pieces = spans("x" * 250, max_chars=100)
    assert [len(piece) for piece in pieces] == [100, 100, 50]


@pytest.mark.parametrize(
    "whole",
    [
        "`x = 1; y = 2`",
        "$a; b! c?$",
        "$$f(x)! = 1;$$",
        "$ p_1(x;\\beta) $",
        "https://example.org/search?q=1;b=2!",
        "&lt;",
        "&#x20;",
        "3.14",
    ],
)
def test_no_cut_inside_code_maths_urls_entities_or_decimals(whole: str) -> None:
    text = f"前面的一句话在这里。见 {whole} 之后还有话！最后一句。"
    pieces = spans(text, min_chars=2)
    assert any(whole in piece for piece in pieces), pieces
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_a_url_at_the_end_of_a_sentence_still_ends_it() -> None:
    text = "See https://example.org/a. Next sentence here."
    assert spans(text, min_chars=2) == ["See https://example.org/a.", "Next sentence here."]


def test_long_text_is_not_cut_inside_inline_code() -> None:
    code = "`" + "a, b, c, d, e" + "`"
    text = "很长的句子" * 8 + code + "结尾"
    pieces = spans(text, min_chars=2, max_chars=48)
    assert any(code in piece for piece in pieces), pieces


def test_bounded_keeps_a_row_whole_unless_too_long() -> None:
    row = "参数: 学习率; 默认值: 1e-3"
    assert SentenceSplitter(max_chars=50).bounded(row) == [(row, 0, len(row))]
    assert len(SentenceSplitter(max_chars=20).bounded(row * 2)) > 1


def test_code_longer_than_the_limit_is_cut_hard() -> None:
    code = "`" + "x" * 120 + "`"
    pieces = spans("前言。" + code, min_chars=2, max_chars=50)
    assert all(len(piece) <= 50 for piece in pieces)
    assert "".join(pieces) == "前言。" + code


def test_an_end_mark_followed_by_a_comma_ends_no_sentence() -> None:
    text = "除非你就是先行者（Respect！！！），否则不需要自行量化。下一句另起一个话题。"
    assert [piece for piece, _, _ in SentenceSplitter().split(text)] == [
        "除非你就是先行者（Respect！！！），否则不需要自行量化。",
        "下一句另起一个话题。",
    ]


def test_an_abbreviation_ends_no_sentence() -> None:
    text = "Nadam 是 Tim Salimans et al. 在2016年提出的。Use a tool, e.g. pytest. Then run it."
    assert spans(text, min_chars=2) == [
        "Nadam 是 Tim Salimans et al. 在2016年提出的。",
        "Use a tool, e.g. pytest.",
        "Then run it.",
    ]


def test_prices_are_not_maths() -> None:
    assert spans("It costs $5 and $6; cheap. Next one here.", min_chars=2) == [
        "It costs $5 and $6;",
        "cheap.",
        "Next one here.",
    ]
