"""The ``qabot eval`` command: measure answer quality and print the numbers.

Four modes, one per run:

- ``qabot eval QUESTIONS.jsonl [--notes DIR]``: your own question set (see
  :mod:`qabot.eval.questions`); with a ``kind`` per question, the measures are also
  given per kind;
- ``qabot eval --squad FILE.json``: a SQuAD-format benchmark, its contexts written as a
  notes folder (see :mod:`qabot.eval.squad`);
- ``qabot eval --offtopic QUESTIONS.txt [--notes DIR]``: questions that must abstain
  (one per line, or every question of a SQuAD ``.json`` file);
- ``qabot eval --feedback VOTES.sqlite [--notes DIR]``: the bot's 👎 answers to review,
  its 👍 answers as a regression set (see :mod:`qabot.chat.review`).

``--report OUT.json`` also writes the measures and one record per question.

Example:
    $ qabot eval tests/data/seed_questions.jsonl
    $ qabot eval --squad benchmarks/data/cmrc2018_dev.json --report cmrc.json
    $ qabot eval --offtopic benchmarks/data/cmrc2018_dev.json --notes seeds
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from qabot.config import DEFAULT_CONFIG_FILE, Settings, load_settings
from qabot.eval.errors import EvalInputError
from qabot.pipeline import QAPipeline

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def eval_command(
    questions: Annotated[
        Path | None, typer.Argument(help="A JSON Lines question set to evaluate.")
    ] = None,
    squad: Annotated[
        Path | None,
        typer.Option("--squad", help="A SQuAD-format JSON file: its contexts become the notes."),
    ] = None,
    offtopic: Annotated[
        Path | None,
        typer.Option(
            "--offtopic", help="Questions that must abstain: text, one per line, or SQuAD."
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(
            "--feedback", help="The bot's vote file: 👎 to review, 👍 as a regression set."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the results as JSON to this file.")
    ] = None,
    notes: Annotated[
        Path | None,
        typer.Option("--notes", help="Notes folder (default: seeds/); not used with --squad."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Config file (default: config/qabot.toml).")
    ] = None,
) -> None:
    """Measure answer quality: note@1, answer@1, abstentions and latency."""
    # Imported here: every command loads this module, and `qabot ask` starts faster.
    from qabot.chat.review import evaluate_feedback, load_votes
    from qabot.eval.questions import load_questions
    from qabot.eval.report import evaluate
    from qabot.eval.squad import evaluate_squad

    modes = [mode for mode in (questions, squad, offtopic, feedback) if mode is not None]
    if len(modes) != 1:
        raise EvalInputError(
            "give one of QUESTIONS.jsonl, --squad FILE, --offtopic FILE or --feedback FILE"
        )
    if squad is not None and notes is not None:
        raise EvalInputError("--notes is not used with --squad: the contexts are the notes")
    settings = load_settings(config or DEFAULT_CONFIG_FILE, notes_dir=notes)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s: %(message)s")

    if squad is not None:
        with tempfile.TemporaryDirectory(prefix="qabot-squad-") as folder:
            result = evaluate_squad(squad, settings, Path(folder))
        _write(result.lines(), result.to_dict(), report)
    elif feedback is not None:
        votes = load_votes(feedback)
        outcome, voted = evaluate_feedback(votes, _pipeline(settings))
        payload = {"mode": "feedback", "summary": outcome.to_dict(), "records": voted}
        _write(outcome.lines(), payload, report)
        if outcome.changed:  # a helpful answer changed: fail, as a regression test does
            raise typer.Exit(1)
    else:
        loaded = load_questions(modes[0], must_abstain=offtopic is not None)
        for problem in loaded.problems:
            _err.print(f"qabot: warning: {problem}")
        mode = "offtopic" if offtopic is not None else "questions"
        result = evaluate(loaded, _pipeline(settings), mode)
        _write(result.lines(), result.to_dict(), report)


def _pipeline(settings: Settings) -> QAPipeline:
    _err.print(f"indexing {settings.notes_dir} …")
    return QAPipeline.from_settings(settings)


def _write(lines: list[str], payload: dict[str, Any], report: Path | None) -> None:
    """Print ``lines``; with ``--report``, write ``payload`` (mode, summary, records)."""
    for line in lines:
        _out.print(line)
    if report is not None:
        try:
            report.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as error:
            raise EvalInputError(f"cannot write {report}: {error.strerror}") from None
        _err.print(f"report written to {report}")
    sys.stdout.flush()
