"""The interactive prompt: ask questions, page through results, inspect sources.

Ctrl-C clears the line, Ctrl-D (or ``/quit``) leaves. With a terminal the prompt has
history and line editing (prompt_toolkit); with piped input it reads plain lines, so
scripts and tests drive it the same way. History is kept in
``$XDG_STATE_HOME/qabot/history`` (``~/.local/state``); where that can't be written
the prompt says so once and keeps no history.

Example:
    $ qabot repl --notes seeds
    qabot> 梯度检查点是什么？
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from qabot.chat.service import AnswerService, ReloadError
from qabot.cli.render import render_answer, render_sources, render_stats
from qabot.pipeline import QAPipeline
from qabot.schema import Answer

PROMPT = "qabot> "
HELP = """Type a question and press Enter. Commands:
  /more     the next results for the last question
  /sources  the full quoted snippets of the last answer
  /stats    what is indexed: files, notes, snippets, skipped files
  /help     this text
  /quit     leave (or Ctrl-D)"""


class Repl:
    """A read-answer loop over one answer service; keeps the last answer for ``/more``."""

    def __init__(self, pipeline: QAPipeline, console: Console) -> None:
        self.service = AnswerService(pipeline.settings, pipeline)
        self.console = console
        self.last: Answer | None = None
        self._notice: str | None = None  # from the watcher thread, shown before the next output

    @property
    def pipeline(self) -> QAPipeline:
        return self.service.pipeline

    def rebuild(self) -> None:
        """Re-index the notes folder and swap the index in; the old one serves meanwhile."""
        try:
            stats = self.service.rebuild()
        except ReloadError as error:
            self._notice = f"Notes changed, but re-indexing failed ({error}); using the old index."
            raise
        self._notice = f"Notes changed: re-indexed {stats.files} files, {stats.snippets} snippets."

    def run(self, read_line: Callable[[], str]) -> None:
        """Loop until ``read_line`` raises ``EOFError`` or the user quits."""
        self.console.print("qabot: ask about the notes. /help for commands, Ctrl-D to leave.")
        while True:
            try:
                line = read_line().strip()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not self.handle(line):
                break

    def handle(self, line: str) -> bool:
        """Act on one line; ``False`` means quit."""
        if self._notice is not None:
            self.console.print(self._notice, style="dim", markup=False)
            self._notice = None
        command = line.lower()
        if command in ("/quit", "/exit", "/q"):
            return False
        if command == "/help":
            self.console.print(HELP, markup=False)
        elif command == "/stats":
            render_stats(self.console, self.service.stats)
        elif command == "/sources":
            render_sources(self.console, self.last)
        elif command == "/more":
            self._more()
        elif command.startswith("/"):
            # Typed text is shown as typed, never read as rich markup.
            unknown = line.split()[0]
            self.console.print(
                f"Unknown command {unknown!r}. /help lists the commands.", markup=False
            )
        elif line:
            self.last = self.service.answer(line)
            render_answer(self.console, self.last)
        return True

    def _more(self) -> None:
        if self.last is None or self.last.abstained:
            self.console.print("Nothing to show more of: ask a question first.")
            return
        if not self.last.has_more:
            self.console.print("No more results for that question.")
            return
        self.last = self.service.answer(self.last.question, page=self.last.page + 1)
        render_answer(self.console, self.last)


def line_reader(console: Console) -> Callable[[], str]:
    """prompt_toolkit with history on a terminal, plain ``input`` otherwise."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return lambda: input()
    from prompt_toolkit import PromptSession

    from qabot.cli.history import open_history

    session: PromptSession[str] = PromptSession(history=open_history(console))
    return lambda: session.prompt(PROMPT)
