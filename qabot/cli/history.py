"""The REPL's line history: a file where one can be written, else none, said once.

Imported only with a terminal, so ``qabot ask`` never pays for prompt_toolkit.

Example:
    >>> history = open_history(console, EN)  # doctest: +SKIP
    >>> PromptSession(history=history)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from rich.console import Console

from qabot.chat.strings import Strings


def open_history(console: Console, strings: Strings) -> History:
    """``$XDG_STATE_HOME/qabot/history`` (``~/.local/state``), or none if unwritable."""
    path: Path | str = "~"
    try:
        home = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
        path = Path(home) / "qabot" / "history"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):  # writable? found out now, not at the first question
            pass
    except (OSError, RuntimeError) as error:  # RuntimeError: no home folder at all
        _say_off(console, strings, error, getattr(error, "filename", None) or path)
        return InMemoryHistory()
    return GuardedFileHistory(path, console, strings)


class GuardedFileHistory(FileHistory):
    """A history file that turns itself off, with one notice, when reading or writing fails.

    prompt_toolkit would otherwise report the error at every question.
    """

    def __init__(self, path: Path, console: Console, strings: Strings) -> None:
        super().__init__(path)
        self.console = console
        self.strings = strings
        self.off = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError as error:
            self._turn_off(error)
            return []

    def store_string(self, string: str) -> None:
        if self.off:
            return
        try:
            super().store_string(string)
        except OSError as error:
            self._turn_off(error)

    def _turn_off(self, error: OSError) -> None:
        if not self.off:
            self.off = True
            _say_off(self.console, self.strings, error, self.filename)


def _say_off(console: Console, strings: Strings, error: Exception, where: object) -> None:
    reason = getattr(error, "strerror", None) or str(error)
    console.print(strings.history_off.format(where=where, reason=reason), style="dim", markup=False)
