"""Rebuild the index when the notes folder changes, while answers keep flowing.

What counts as a change: a note file (``ingest.extensions``, not left out by the
loader's ignore rules) created, edited, moved or deleted, a folder moved in or out or
deleted, since that adds or takes away every note in it, and ``.qabotignore``. The
folder's parent is watched too, so a notes folder that is deleted, or moved away, and
comes back is watched again from then on.

One burst of changes makes one rebuild: it runs once no change has come for
``watch_debounce_ms``, or ``watch_max_wait_ms`` after the burst's first change, so a
constant trickle of saves still rebuilds now and then. Changes made during a rebuild
make one more rebuild after it. The caller rebuilds and swaps, so a failed rebuild
leaves the old index answering; it reports the failure itself (the chat service logs
one line), and the watcher logs one INFO line for each rebuild that worked.

Example:
    >>> await watch_notes(settings, service.reload, stop_event)  # doctest: +SKIP
    >>> stop = watch_notes_in_thread(settings, repl.rebuild)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pathspec
from watchfiles import Change, watch

from qabot.config import Settings
from qabot.ingest.discovery import DEFAULT_IGNORE, IGNORE_FILE

log = logging.getLogger(__name__)

_Changes = Generator[set[tuple[Change, str]], None, None]

# How long one look for changes blocks, in ms: how soon a stop or a due burst is seen.
_LOOK_MS = 100
# While the notes folder and its parents cannot be watched, try again this often (s).
_RETRY_SECONDS = 1.0


class _Stop(Protocol):
    def is_set(self) -> bool: ...


class NoteChangeFilter:
    """Passes changes to note files and to folders (a folder moved in or out carries
    notes) below ``root``, and to its ``.qabotignore``. What the loader leaves out by
    default (hidden files, ``node_modules/``) or by ``ingest.ignore`` is skipped, so
    editor swap files and ``.git`` don't rebuild. (A path ``.qabotignore`` leaves out
    may still rebuild: the rebuild then finds the index unchanged, in the cache.)"""

    def __init__(self, root: Path, extensions: list[str], ignore: list[str]) -> None:
        self.root = str(root)
        self.extensions = tuple(ext.lower() for ext in extensions)
        self.ignored = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_IGNORE, *ignore])
        # Folders below root (and root): a deleted path is a folder only if it was one.
        self.folders = {self.root}
        self._learn(self.root)

    def __call__(self, change: Change, path: str) -> bool:
        relative = os.path.relpath(path, self.root)
        if relative == IGNORE_FILE:
            return True
        was_folder = path in self.folders
        is_folder = change != Change.deleted and os.path.isdir(path)
        if relative != "." and self.ignored.match_file(
            relative + "/" if was_folder or is_folder else relative
        ):
            return False
        if was_folder and not is_folder:  # deleted, or moved out
            inside = path + os.sep
            self.folders = {f for f in self.folders if f != path and not f.startswith(inside)}
        elif is_folder and not was_folder:  # made, or moved in
            self.folders.add(path)
            self._learn(path)
        return was_folder or is_folder or path.lower().endswith(self.extensions)

    def _learn(self, folder: str) -> None:
        for parent, names, _ in os.walk(folder):
            self.folders.update(os.path.join(parent, name) for name in names)


@dataclass(slots=True)
class _Burst:
    """Changes seen since the last rebuild, and when a rebuild is due for them."""

    quiet: float
    longest: float
    changes: int = 0
    first: float = 0.0
    last: float = 0.0

    def add(self, changes: int, now: float) -> None:
        if not self.changes:
            self.first = now
        self.changes += changes
        self.last = now

    def due(self, now: float) -> bool:
        return bool(self.changes) and now >= min(self.last + self.quiet, self.first + self.longest)


class NotesWatcher:
    """Watches the notes folder (recursively) and the folder that holds it, or, while
    it is missing, the nearest folder above it that exists, and re-arms whenever the
    notes folder comes, goes or moves."""

    def __init__(self, settings: Settings, stop: _Stop) -> None:
        self.notes = Path(os.path.abspath(settings.notes_dir))
        self.extensions = settings.ingest.extensions
        self.ignore = settings.ingest.ignore
        self.quiet = settings.watch_debounce_ms / 1000
        self.longest = max(settings.watch_max_wait_ms, settings.watch_debounce_ms) / 1000
        self.stop = stop
        self._notes_changes: _Changes | None = None
        self._gate_changes: _Changes | None = None
        self._armed = False
        self._running = threading.Lock()

    def next_burst(self) -> int | None:
        """Block until a burst of changes is over; how many changes it had. ``None``
        once ``stop`` is set, the watches closed."""
        with self._running:
            burst = _Burst(self.quiet, self.longest)
            while not self.stop.is_set():
                if burst.due(time.monotonic()):
                    return burst.changes
                changes = self._look()
                if changes:
                    burst.add(changes, time.monotonic())
            self._close()
            return None

    def close(self) -> None:
        """Stop watching, unless :meth:`next_burst` is running (it closes on ``stop``)."""
        if self._running.acquire(blocking=False):
            try:
                self._close()
            finally:
                self._running.release()

    def _look(self) -> int:
        """Relevant changes seen within about ``_LOOK_MS``, re-arming if the notes
        folder itself came, went or moved (which counts as a change)."""
        if not self._armed:
            found = self._arm()
            if not self._armed:
                time.sleep(_RETRY_SECONDS)
            return found
        notes = next(self._notes_changes, set()) if self._notes_changes else set()
        gate = next(self._gate_changes, set()) if self._gate_changes else set()
        if gate or any(path == str(self.notes) for _, path in notes):
            log.info("the notes folder %s came, went or moved; watching it again", self.notes)
            self._close()
            return len(notes) + len(gate) + self._arm()
        return len(notes)

    def _arm(self) -> int:
        """Watch the notes folder, if it is there, and the gate: the notes folder (or,
        while it is missing, the first missing folder on the way to it) as seen from
        the folder holding it. Returns the changes seen meanwhile."""
        gate = self.notes
        while not gate.parent.is_dir() and gate.parent != gate:
            gate = gate.parent
        found = 0
        try:
            if self.notes.is_dir():
                note_filter = NoteChangeFilter(self.notes, self.extensions, self.ignore)
                self._notes_changes, first = self._watch(self.notes, note_filter, recursive=True)
                found += len(first)
            if gate.parent != gate:
                passes = str(gate)
                self._gate_changes, first = self._watch(
                    gate.parent, lambda _, path: path == passes, recursive=False
                )
                found += len(first)
        except OSError as error:  # it vanished meanwhile, or may not be read
            log.debug("cannot watch %s yet: %s", self.notes, error)
            self._close()
            return found
        self._armed = True
        return found

    def _watch(
        self, folder: Path, passes: Callable[[Change, str], bool], recursive: bool
    ) -> tuple[_Changes, set[tuple[Change, str]]]:
        """Changes below ``folder`` as they come, and the first look at them, which
        starts the watch now (it raises if it can't) rather than at the next look."""
        changes = watch(
            folder,
            watch_filter=passes,
            debounce=_LOOK_MS,
            rust_timeout=_LOOK_MS,
            yield_on_timeout=True,
            stop_event=self.stop,
            recursive=recursive,
            ignore_permission_denied=True,
        )
        return changes, next(changes, set())

    def _close(self) -> None:
        for changes in (self._notes_changes, self._gate_changes):
            if changes is not None:
                changes.close()
        self._notes_changes = self._gate_changes = None
        self._armed = False


class _EitherSet:
    """Set once either event is."""

    def __init__(self, *events: _Stop | None) -> None:
        self.events = [event for event in events if event is not None]

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


async def watch_notes(
    settings: Settings,
    on_change: Callable[[], Awaitable[object]],
    stop_event: asyncio.Event | threading.Event | None = None,
) -> None:
    """Await ``on_change`` after each burst of note changes, until stopped or cancelled."""
    cancelled = threading.Event()
    watcher = NotesWatcher(settings, _EitherSet(cancelled, stop_event))
    # A thread of its own: the default executor's threads are for answering questions.
    looker = ThreadPoolExecutor(1, thread_name_prefix="qabot-watch")
    loop = asyncio.get_running_loop()
    try:
        while (changes := await loop.run_in_executor(looker, watcher.next_burst)) is not None:
            with _reported(changes):
                await on_change()
    finally:
        cancelled.set()  # a look still running in its thread ends, and closes the watches
        watcher.close()
        looker.shutdown(wait=False)


def watch_notes_in_thread(settings: Settings, on_change: Callable[[], object]) -> threading.Event:
    """Watch from a daemon thread, calling ``on_change`` there; set the returned event
    to stop."""
    stop = threading.Event()
    watcher = NotesWatcher(settings, stop)

    def run() -> None:
        while (changes := watcher.next_burst()) is not None:
            with _reported(changes):
                on_change()

    threading.Thread(target=run, name="qabot-watch", daemon=True).start()
    return stop


@contextmanager
def _reported(changes: int) -> Iterator[None]:
    """One INFO line for a rebuild that worked. A failure is swallowed, so the watcher
    outlives it: the rebuild has reported it in one line (``AnswerService.rebuild``
    logs it), and its traceback shows at DEBUG only."""
    started = time.monotonic()
    count = f"{changes} change{'' if changes == 1 else 's'}"
    try:
        yield
    except Exception:
        log.debug("re-indexing after %s failed", count, exc_info=True)
    else:
        log.info("notes changed (%s): re-indexed in %.1f s", count, time.monotonic() - started)
