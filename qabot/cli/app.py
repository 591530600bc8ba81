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

from qabot.chat.feedback import FeedbackError, FeedbackStore
from qabot.chat.strings import CATALOGUE, Strings, choose_language, locale_language
from qabot.cli.eval import eval_command
from qabot.cli.render import render_answer, render_stats
from qabot.cli.repl import Repl, line_reader
from qabot.config import DEFAULT_CONFIG_FILE, ConfigError, Settings, load_settings
from qabot.eval.errors import EvalInputError
from qabot.ingest.discovery import NotesFolderError
from qabot.pipeline import QAPipeline
from qabot.schema import Answer

app = typer.Typer(
    name="qabot",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: the rich panels print a type beside every flag ("--json <bool>").
    rich_markup_mode=None,
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
NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Index afresh, without reading or writing the cache."),
]
# Below this many snippets indexing is quick; a bar would only flicker.
_PROGRESS_FROM = 5000


class UserError(Exception):
    """An error to show as one line, exit code 2."""


@app.callback(invoke_without_command=True)
def qabot(context: typer.Context) -> None:
    """Answers questions from your notes, quoting them with citations."""
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())


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
    no_cache: NoCacheOption = False,
) -> None:
    """Answer one question, or one per line of standard input."""
    if question is None and sys.stdin.isatty():
        raise UserError("give a QUESTION, or pipe questions one per line on stdin")
    pipeline = _pipeline(_settings(config, notes, no_cache))
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in questions:
        _print_answer(pipeline.ask(text), as_json, echo_question=question is None)


WatchOption = Annotated[
    bool, typer.Option("--watch", help="Re-index in the background when the notes change.")
]


@app.command()
def repl(
    notes: NotesOption = None,
    config: ConfigOption = None,
    watch: WatchOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Ask questions interactively; /help inside lists the commands."""
    settings = _settings(config, notes, no_cache)
    session = Repl(_pipeline(settings), console)
    if watch:
        from qabot.watch import watch_notes_in_thread  # only --watch pays for watchfiles

        watch_notes_in_thread(settings, session.rebuild)
    session.run(line_reader(console, session.strings))


@app.command()
def index(
    notes: NotesOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="List every skipped file, not one line per cause.")
    ] = False,
) -> None:
    """Index the notes folder (or load its index from the cache) and print what it holds.

    With votes from the bot's 👍/👎 buttons, also how many found the answers helpful.
    """
    settings = _settings(config, notes, no_cache)
    pipeline = _pipeline(settings)
    try:
        helpful = FeedbackStore(settings.telegram.feedback_file).helpful_rate()
    except FeedbackError as error:
        errors.print(f"qabot: warning: {error}", markup=False)
        helpful = None
    render_stats(console, pipeline.index.stats, _strings(""), helpful, verbose)


app.command("eval")(eval_command)


@app.command()
def telegram(
    notes: NotesOption = None, config: ConfigOption = None, watch: WatchOption = False
) -> None:
    """Run the Telegram bot: long polling, or a webhook when telegram.webhook.url is set."""
    # The bot stack is imported only here, so `ask` starts fast.
    from qabot.telegram.bot import BotConfigError, run

    settings = _settings(config, notes)
    token = settings.telegram.token
    if token is None or not token.get_secret_value().strip():
        raise UserError("no bot token: set QABOT_TELEGRAM__TOKEN, or telegram.token in the config")
    try:
        run(settings, _pipeline(settings), watch=watch)
    except BotConfigError as error:
        raise UserError(str(error)) from None


def _settings(config: Path | None, notes: Path | None, no_cache: bool = False) -> Settings:
    settings = load_settings(config or DEFAULT_CONFIG_FILE, notes_dir=notes)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s: %(message)s")
    if no_cache:
        index = settings.index.model_copy(update={"cache": False})
        settings = settings.model_copy(update={"index": index})
    return settings


def _pipeline(settings: Settings) -> QAPipeline:
    bar = None
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal bar, task
        if total < _PROGRESS_FROM:
            return
        if bar is None:
            # Imported on first use: a start from the cache needs no bar.
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn())
            bar = Progress(*columns, console=errors, transient=True)
            bar.start()
            task = bar.add_task("indexing", total=total)
        bar.update(task, completed=done)

    try:
        return QAPipeline.from_settings(settings, progress)
    finally:
        if bar is not None:
            bar.stop()


def _print_answer(answer: Answer, as_json: bool, echo_question: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    strings = _strings(answer.question)
    if echo_question:
        console.print(strings.asked.format(question=answer.question), style="bold", markup=False)
    render_answer(console, answer, strings)


def _strings(text: str) -> Strings:
    """The terminal's language (the locale, else the script of ``text``)."""
    return CATALOGUE[choose_language(None, locale_language(), text)]


# The shell's code for a command ended by Ctrl-C (128 + SIGINT).
_INTERRUPTED = 130


def main() -> None:
    """Entry point: run the app, turning expected failures into one line and exit code 2."""
    try:
        code = app(standalone_mode=False, prog_name="qabot")
    except typer.Abort:
        code = _INTERRUPTED
    except typer.TyperException as error:
        errors.print(f"qabot: error: {error.format_message()}")
        code = 2
    except (UserError, ConfigError, NotesFolderError, EvalInputError, FeedbackError) as error:
        errors.print(f"qabot: error: {error}")
        code = 2
    except BrokenPipeError:
        code = 0
    if code == _INTERRUPTED:  # typer turns Ctrl-C into this exit code, silently
        errors.print("qabot: interrupted")
    sys.exit(code if isinstance(code, int) else 0)
