"""Telegram HTML rendering: escaped, balanced, and never over the message limit."""

from __future__ import annotations

import pytest
from html_check import check_html

from qabot.schema import Answer, Citation
from qabot.telegram.render import MESSAGE_LIMIT, render_answer, render_sources, utf16_len


def citation(n: int, text: str, title: str = "note") -> Citation:
    return Citation(n, "a.md", n, title, text, 1.0, ["b.md:3"], 0, len(text))


def test_answer_is_bold_and_sources_numbered() -> None:
    text = "梯度检查点只保存部分激活值。"
    (message,) = render_answer(Answer("q", text, False, [citation(1, text), citation(2, "x")]))
    assert message.startswith(f"<b>{text}</b>")
    assert "[1] a.md:1 — note (also in b.md:3)" in message
    assert "[2] a.md:2" in message
    check_html(message)


def test_note_text_is_escaped() -> None:
    text = "用 <script>alert(1)</script> & 转义 </b>"
    messages = render_answer(Answer("q", text, False, [citation(1, text, title="<i>x")]))
    visible = "".join(check_html(m) for m in messages)
    assert text in visible
    assert "<script>" not in "".join(messages)


def test_abstention_names_the_closest_topics() -> None:
    (message,) = render_answer(Answer("q", "", True, [], closest_topics=["AdamW", "<LoRA>"]))
    assert "don't cover" in message
    assert "AdamW; &lt;LoRA&gt;" in message


def test_hint_is_shown_in_italics() -> None:
    (message,) = render_answer(Answer("q", "", True, [], notice="Ask in words & <more>."))
    assert message == "<i>Ask in words &amp; &lt;more&gt;.</i>"


@pytest.mark.parametrize("text", ["长" * 9000, "&<>" * 3000, "a " * 5000 + "<b>" * 800])
def test_long_text_is_split_under_the_limit_and_never_inside_a_tag(text: str) -> None:
    answer = Answer("q", text, False, [citation(1, text), citation(2, text)])
    for render in (render_answer, render_sources):
        messages = render(answer)
        assert len(messages) > 1
        visible = "".join(check_html(message) for message in messages)
        assert visible.count(text[:50]) >= 2


def test_sources_quote_full_snippets() -> None:
    answer = Answer("q", "a", False, [citation(1, "完整的第一段。"), citation(2, "第二段。")])
    (message,) = render_sources(answer)
    assert "<blockquote>完整的第一段。</blockquote>" in message
    check_html(message)


@pytest.mark.parametrize("astral", ["😀", "𠀀", "👩‍💻"])
def test_length_is_measured_in_utf16_code_units_as_telegram_does(astral: str) -> None:
    text = astral * (3000 // len(astral))  # under 4096 characters, over 4096 UTF-16 units
    assert len(text) < MESSAGE_LIMIT < utf16_len(text)
    messages = render_answer(Answer("q", text, False, [citation(1, text)]))
    assert all(utf16_len(message) <= MESSAGE_LIMIT for message in messages)
    assert text in "".join(check_html(message) for message in messages)
