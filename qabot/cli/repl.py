"""The interactive prompt: ask questions, follow them up, page through results.

A question that names no topic ("为什么?") or starts with a pronoun ("它…", "it…")
follows up the one before, as in the bot (:mod:`qabot.chat.conversation`). Replies
are in the language of the locale, else of the question. Ctrl-C clears the line,
Ctrl-D (or ``/quit``) leaves. With a terminal the prompt has history and line editing
(prompt_toolkit, :mod:`qabot.cli.history`); with piped input it reads plain lines, so
scripts and tests drive it the same way.

Example:
    $ qabot repl --notes seeds
    qabot> 梯度检查点是什么？
    qabot> 为什么？
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from qabot.chat.conversation import Conversations
from qabot.chat.service import AnswerService, ReloadError
from qabot.chat.store import ChatStore, Turn
from qabot.chat.strings import CATALOGUE, Strings, choose_language, locale_language
from qabot.cli.render import render_answer, render_sources, render_stats
from qabot.pipeline import QAPipeline
from qabot.schema import Answer

PROMPT = "qabot> "
_HERE = 0  # the REPL is one chat with one person


class Repl:
    """A read-answer loop over a conversation; keeps the last answer for ``/more``."""

    def __init__(self, pipeline: QAPipeline, console: Console) -> None:
        self.service = AnswerService(pipeline.settings, pipeline)
        follow_up = pipeline.settings.chat.follow_up_seconds
        store = ChatStore(None, ttl=max(follow_up, 1))
        self.conversations = Conversations(self.service, store, follow_up)
        self.console = console
        self.locale = locale_language()
        self.strings = CATALOGUE[choose_language(None, self.locale, "")]
        self.turn: Turn | None = None
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
            self._notice = self.strings.reindex_failed.format(error=error)
            raise
        self._notice = self.strings.notes_reindexed.format(
            files=stats.files, snippets=stats.snippets
        )

    def run(self, read_line: Callable[[], str]) -> None:
        """Loop until ``read_line`` raises ``EOFError`` or the user quits."""
        self._say(self.strings.repl_banner)
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
            self._say(self._notice, style="dim")
            self._notice = None
        command = line.lower()
        if command in ("/quit", "/exit", "/q"):
            return False
        if command == "/help":
            self._say(self.strings.repl_help)
        elif command == "/stats":
            render_stats(self.console, self.service.stats, self.strings)
        elif command == "/sources":
            render_sources(self.console, self.last, self.strings)
        elif command in ("/more", "/back"):
            self._page(1 if command == "/more" else -1)
        elif command.startswith("/"):
            # Typed text is shown as typed, never read as rich markup.
            self._say(self.strings.unknown_command.format(command=repr(line.split()[0])))
        elif line:
            language = choose_language(None, self.locale, line)
            self.strings = CATALOGUE[language]
            reply = self.conversations.ask(_HERE, _HERE, line, language)
            self.turn, self.last = reply.turn, reply.answer
            self._show(reply.answer, reply.understood)
        return True

    def _page(self, step: int) -> None:
        turn, last = self.turn, self.last
        if turn is None or last is None:
            self._say(self.strings.more_before_asking)
        elif last.abstained and not last.citations:
            self._say(self.strings.more_after_abstention)
        elif (step > 0 and not last.has_more) or last.page + step < 0:
            self._say(self.strings.no_more_for_question)
        else:
            self.last = self.conversations.page(turn, last.page + step)
            self._show(self.last, Conversations.understood(turn))

    def _show(self, answer: Answer, understood: str | None) -> None:
        render_answer(self.console, answer, self.strings, understood, more_hint=True)

    def _say(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, markup=False)


def line_reader(console: Console, strings: Strings) -> Callable[[], str]:
    """prompt_toolkit with history on a terminal, plain ``input`` otherwise."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return lambda: input()
    from prompt_toolkit import PromptSession

    from qabot.cli.history import open_history

    session: PromptSession[str] = PromptSession(history=open_history(console, strings))
    return lambda: session.prompt(PROMPT)
