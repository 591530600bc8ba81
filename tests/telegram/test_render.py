"""Telegram HTML rendering: escaped, balanced, grouped by place, never over the limit."""

from __future__ import annotations

import dataclasses

import pytest
from html_check import check_html

from qabot.chat.strings import EN, ZH
from qabot.pipeline import QAPipeline
from qabot.schema import Answer, Citation
from qabot.telegram.render import MESSAGE_LIMIT, render_answer, render_sources, utf16_len


def citation(n: int, text: str, title: str = "note", line: int | None = None) -> Citation:
    return Citation(n, "a.md", n if line is None else line, title, text, 1.0, ["b.md:3"], 0, 9)


def test_answer_is_bold_and_sources_numbered() -> None:
    text = "梯度检查点只保存部分激活值。"
    answer = Answer("q", text, False, [citation(1, text), citation(2, "x")])
    (message,) = render_answer(answer, EN)
    assert message.startswith(f"<b>{text}</b>")
    assert "a.md:1 — note (also in b.md:3)\n  [1] 梯度检查点只保存部分激活值。" in message
    assert "a.md:2 — note (also in b.md:3)\n  [2] x" in message
    check_html(message)


def test_sentences_of_one_place_are_listed_under_it_once() -> None:
    sentences = ["第一句讲了参数量。", "第二句讲了激活参数。", "第三句讲了训练。"]
    cited = [citation(n, text, title="简介", line=6) for n, text in enumerate(sentences, 1)]
    (message,) = render_answer(Answer("q", sentences[0], False, cited), ZH)
    assert message.count("a.md:6 — 简介") == 1
    assert "（另见 b.md:3）" in message or "(另见 b.md:3)" in message
    for n, text in enumerate(sentences, 1):
        assert f"  [{n}] {text}" in check_html(message)
    (full,) = render_sources(Answer("q", sentences[0], False, cited), ZH)
    assert full.count("a.md:6 — 简介") == 1
    assert all(f"[{n}] {text}" in full for n, text in enumerate(sentences, 1))


def test_note_text_is_escaped() -> None:
    text = "用 <script>alert(1)</script> & 转义 </b>"
    messages = render_answer(Answer("q", text, False, [citation(1, text, title="<i>x")]), EN)
    visible = "".join(check_html(m) for m in messages)
    assert text in visible
    assert "<script>" not in "".join(messages)


def test_abstention_names_the_closest_topics() -> None:
    answer = Answer("q", "", True, [], closest_topics=["AdamW", "<LoRA>"])
    (message,) = render_answer(answer, EN)
    assert "don't cover" in message
    assert "AdamW; &lt;LoRA&gt;" in message
    (chinese,) = render_answer(answer, ZH)
    assert chinese.startswith("笔记里没有讲到这个。\n最接近的主题：AdamW")


def test_an_unknown_notice_is_shown_in_italics() -> None:
    answer = Answer("q", "", True, [], notice="Ask in words & <more>.")
    (message,) = render_answer(answer, EN)
    assert message == "<i>Ask in words &amp; &lt;more&gt;.</i>"


def test_a_cut_question_the_notes_dont_cover_still_says_so(seeds_pipeline: QAPipeline) -> None:
    limit = seeds_pipeline.settings.reader.max_question_chars
    answer = seeds_pipeline.ask("How do I bake sourdough bread " + "at home " * limit)
    assert answer.abstained and answer.notice
    (message,) = render_answer(answer, EN)
    assert message.startswith(f"<i>Your question was cut to its first {limit} characters.</i>")
    assert "The notes don't cover this." in message
    (chinese,) = render_answer(answer, ZH)
    assert f"只用了前 {limit} 个字" in chinese and "笔记里没有讲到这个" in chinese


def test_a_follow_up_says_what_it_understood() -> None:
    answer = Answer("为什么?", "因为 MoE。", False, [citation(1, "因为 MoE。")])
    (message,) = render_answer(answer, ZH, understood="DeepSeek-V3")
    assert message.startswith("<i>（接上题：DeepSeek-V3）</i>\n<b>因为 MoE。</b>")


@pytest.mark.parametrize("text", ["长" * 9000, "&<>" * 3000, "a " * 5000 + "<b>" * 800])
def test_long_text_is_split_under_the_limit_and_never_inside_a_tag(text: str) -> None:
    answer = Answer("q", text, False, [citation(1, text), citation(2, text)])
    for messages in (render_answer(answer, EN), render_sources(answer, EN)):
        assert len(messages) > 1
        visible = "".join(check_html(message) for message in messages)
        assert visible.count(text[:50]) >= 1


def test_sources_quote_full_snippets() -> None:
    answer = Answer("q", "a", False, [citation(1, "完整的第一段。"), citation(2, "第二段。")])
    (message,) = render_sources(answer, EN)
    assert "<blockquote>[1] 完整的第一段。</blockquote>" in message
    check_html(message)


@pytest.mark.parametrize("astral", ["😀", "𠀀", "👩‍💻"])
def test_length_is_measured_in_utf16_code_units_as_telegram_does(astral: str) -> None:
    text = astral * (3000 // len(astral))  # under 4096 characters, over 4096 UTF-16 units
    assert len(text) < MESSAGE_LIMIT < utf16_len(text)
    messages = render_answer(Answer("q", text, False, [citation(1, text)]), EN)
    assert all(utf16_len(message) <= MESSAGE_LIMIT for message in messages)
    assert text in "".join(check_html(message) for message in messages)


def test_inline_code_and_maths_show_as_code_and_code_answers_as_pre() -> None:
    text = "设置 `lora_alpha=16`，且 $\\beta_1 = 0.9$ 时 a < b。"
    (message,) = render_answer(Answer("q", text, False, [citation(1, text)]), EN)
    assert "<code>`lora_alpha=16`</code>" in message
    assert "<code>$\\beta_1 = 0.9$</code>" in message and "a &lt; b" in message
    assert text in check_html(message)
    code = "def f(x):\n    return x < 1"
    block = citation(1, code)
    block = dataclasses.replace(block, kind="code")
    (message,) = render_answer(Answer("q", code, False, [block]), EN)
    assert "<pre>def f(x):\n    return x &lt; 1</pre>" in message
    (full,) = render_sources(Answer("q", code, False, [block]), EN)
    assert "<pre>def f(x):" in full and code in check_html(full)


def test_a_code_span_cut_between_messages_is_shown_plain() -> None:
    text = "前言" * 30 + "`" + "x" * 200 + "`"
    messages = render_answer(Answer("q", text, False, []), EN, limit=120)
    assert len(messages) > 1
    assert all(m.count("<code>") == m.count("</code>") for m in messages)
    assert text == "".join(check_html(m) for m in messages).replace("\n", "")
