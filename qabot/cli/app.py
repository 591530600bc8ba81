"""The ``qabot`` command: ``ask``, ``repl`` and ``index`` over a notes folder.

Every command takes ``--notes DIR`` and ``--config FILE``. A bad argument, a missing
folder or a bad config prints one line and exits with code 2.

Example:
    $ qabot ask --json "DeepSeek-V3 的总参数量是多少?"
    $ printf 'AdamW 是什么?\\n梯度检查点?\\n' | qabot ask --json
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from qabot.cli.render import render_answer, render_stats
from qabot.cli.repl import Repl, line_reader
from qabot.config import DEFAULT_CONFIG_FILE, ConfigError, Settings, load_settings
from qabot.ingest.loader import NotesFolderError
from qabot.pipeline import QAPipeline
from qabot.schema import Answer

app = typer.Typer(
    name="qabot",
    help="Answers questions from your notes, quoting them with citations.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

NotesOption = Annotated[
    Path | None,
    typer.Option("--notes", help="Notes folder (default: seeds/, or notes_dir in config)."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: config/qabot.toml)."),
]
# Below this many snippets indexing is quick; a bar would only flicker.
_PROGRESS_FROM = 5000


class UserError(Exception):
    """An error to show as one line, exit code 2."""


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; omit to read stdin.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (JSON Lines for stdin).")
    ] = False,
    notes: NotesOption = None,
    config: ConfigOption = None,
) -> None:
    """Answer one question, or one per line of standard input."""
    if question is None and sys.stdin.isatty():
        raise UserError("give a QUESTION, or pipe questions one per line on stdin")
    pipeline = _pipeline(_settings(config, notes))
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in questions:
        _print_answer(pipeline.ask(text), as_json, echo_question=question is None)


@app.command()
def repl(notes: NotesOption = None, config: ConfigOption = None) -> None:
    """Ask questions interactively; /help inside lists the commands."""
    pipeline = _pipeline(_settings(config, notes))
    Repl(pipeline, console).run(line_reader())


@app.command()
def index(notes: NotesOption = None, config: ConfigOption = None) -> None:
    """Index the notes folder and print what was indexed."""
    pipeline = _pipeline(_settings(config, notes))
    render_stats(console, pipeline.index.stats)


def _settings(config: Path | None, notes: Path | None) -> Settings:
    settings = load_settings(config or DEFAULT_CONFIG_FILE, notes_dir=notes)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s: %(message)s")
    return settings


def _pipeline(settings: Settings) -> QAPipeline:
    with Progress(
        TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), console=errors, transient=True
    ) as bar:
        task = None

        def progress(done: int, total: int) -> None:
            nonlocal task
            if total < _PROGRESS_FROM:
                return
            if task is None:
                task = bar.add_task("indexing", total=total)
            bar.update(task, completed=done)

        return QAPipeline.from_settings(settings, progress)


def _print_answer(answer: Answer, as_json: bool, echo_question: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    if echo_question:
        console.print(f"[bold]Q:[/] {escape(answer.question)}")
    render_answer(console, answer)


def main() -> None:
    """Entry point: run the app, turning expected failures into one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        errors.print("qabot: aborted")
        code = 130
    except typer.TyperException as error:
        errors.print(f"qabot: error: {error.format_message()}")
        code = 2
    except (UserError, ConfigError, NotesFolderError) as error:
        errors.print(f"qabot: error: {error}")
        code = 2
    except BrokenPipeError:
        code = 0
    sys.exit(code if isinstance(code, int) else 0)
