import subprocess
import sys
from pathlib import Path

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
    out = run(seeds_pipeline, "梯度检查点是什么", "/more", "/sources", "/stats", "/help")
    assert "梯度检查点" in out
    assert "[4] " in out  # /more continued the numbering
    assert "“" in out  # /sources quotes full snippets
    assert "after dedup" in out
    assert "/quit" in out


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
