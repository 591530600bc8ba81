import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from qabot.cli.repl import Repl
from qabot.pipeline import QAPipeline

REPO = Path(__file__).resolve().parents[2]


def run(pipeline: QAPipeline, *lines: str) -> str:
    console = Console(record=True, width=200, color_system=None)
    feed = iter(lines)

    def read_line() -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    Repl(pipeline, console).run(read_line)
    return console.export_text()


def test_question_more_sources_and_stats(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "梯度检查点是什么", "/more", "/back", "/sources", "/stats", "/help")
    assert "梯度检查点" in out
    assert "[4] " in out  # /more continued the numbering
    assert out.count("  [1] ") - out.count("  [1] “") == 2  # /back: the first page again
    assert "“" in out  # /sources quotes full snippets
    assert "去重后" in out  # in the language of the question
    assert "/quit" in out


def test_english_question_and_commands_in_english(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "what is gradient checkpointing", "/stats", "/help")
    assert "after dedup" in out and "/quit" in out


def test_the_locale_chooses_the_language(
    seeds_pipeline: QAPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    out = run(seeds_pipeline, "How do I bake sourdough bread?")
    assert "qabot：提问吧" in out and "笔记里没有讲到这个" in out


def test_ctrl_c_keeps_going_and_quit_stops(seeds_pipeline: QAPipeline) -> None:
    calls = iter([KeyboardInterrupt(), "/quit", "梯度检查点"])

    def read_line() -> str:
        item = next(calls)
        if isinstance(item, BaseException):
            raise item
        return item

    console = Console(record=True, color_system=None)
    Repl(seeds_pipeline, console).run(read_line)
    assert "梯度检查点(" not in console.export_text()
    assert next(calls) == "梯度检查点"  # nothing was read after /quit


def test_more_before_asking_and_unknown_commands(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "/more", "/sources", "/nope", "🙂")
    assert "ask a question first" in out
    assert "Unknown command '/nope'" in out
    assert "Ask a question in words" in out


def test_repl_runs_from_the_command_line_with_piped_input() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qabot", "repl"],
        input="DeepSeek-V3 的总参数量是多少?\n/quit\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "671B" in result.stdout


def test_typed_text_is_shown_literally_never_as_markup(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "/[/]", "/[bold]x", "[bold]梯度检查点[/bold]是什么")
    assert "Unknown command '/[/]'" in out
    assert "Unknown command '/[bold]x'" in out
    assert "梯度检查点" in out


def test_a_follow_up_is_answered_about_the_first_topic(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "DeepSeek-V3 的总参数量是多少?", "为什么?")
    first, follow_up = out.split("（接上题：DeepSeek-V3 总参数量）")
    assert "671B" in first
    assert "DeepSeek-V3" in follow_up.split("\n")[1]  # its answer, about the first topic


def test_more_after_the_notes_dont_cover_a_question(seeds_pipeline: QAPipeline) -> None:
    out = run(seeds_pipeline, "How do I bake sourdough bread?", "/more")
    assert "No more results: the notes don't cover that question." in out
    assert "ask a question first" not in out
