"""Terminal rendering: code shown as code, note text never read as markup."""

from __future__ import annotations

from rich.console import Console

from qabot.chat.strings import EN
from qabot.cli.render import render_answer, render_sources
from qabot.schema import Answer, Citation

CODE = "def f(x):\n    return x < 1"


def cite(text: str, kind: str = "prose") -> Citation:
    return Citation(1, "a.md", 3, "t", text, 1.0, [], 0, 9, kind=kind)


def rendered(draw: object, answer: Answer) -> tuple[str, str]:
    """What a colour terminal shows: the plain text and the ANSI codes."""
    console = Console(
        record=True, width=100, force_terminal=True, color_system="truecolor", highlight=False
    )
    draw(console, answer, EN)  # type: ignore[operator]
    return console.export_text(clear=False), console.export_text(styles=True)


def test_a_code_answer_keeps_its_lines_and_is_highlighted() -> None:
    plain, styled = rendered(render_answer, Answer("q", CODE, False, [cite(CODE, "code")]))
    assert plain.startswith(CODE + "\n")
    assert "\x1b[" in styled.split("\n")[0]  # coloured as code


def test_inline_code_is_styled_and_markup_in_notes_shown_as_written() -> None:
    text = "设置 `lora_alpha=16` 且 [bold]x[/]"
    plain, styled = rendered(render_answer, Answer("q", text, False, [cite(text)]))
    assert text in plain
    assert "`lora_alpha=16`" in plain and "\x1b[1;36m`lora_alpha=16`" in styled


def test_sources_show_code_as_a_block() -> None:
    plain, _ = rendered(render_sources, Answer("q", "x", False, [cite(CODE, "code")]))
    assert "[1]\n" + CODE in plain
