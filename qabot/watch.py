"""Rebuild the index when the notes folder changes, while answers keep flowing.

Only note files count (``ingest.extensions``); a burst of saves within
``watch_debounce_ms`` makes one rebuild. The caller rebuilds and swaps, so a failed
rebuild leaves the old index answering.

Example:
    >>> await watch_notes(settings, service.reload, stop_event)  # doctest: +SKIP
    >>> stop = watch_notes_in_thread(settings, repl.rebuild)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from watchfiles import Change, DefaultFilter, awatch

from qabot.config import Settings

log = logging.getLogger(__name__)


class NoteFilesFilter(DefaultFilter):
    """Passes changes to note files only, so caches and editor droppings don't rebuild."""

    def __init__(self, extensions: list[str]) -> None:
        super().__init__()
        self.extensions = tuple(ext.lower() for ext in extensions)

    def __call__(self, change: Change, path: str) -> bool:
        return path.lower().endswith(self.extensions) and super().__call__(change, path)


async def watch_notes(
    settings: Settings,
    on_change: Callable[[], Awaitable[object]],
    stop_event: asyncio.Event | threading.Event | None = None,
) -> None:
    """Call ``on_change`` after each debounced burst of note changes, until stopped."""
    async for changes in awatch(
        settings.notes_dir,
        watch_filter=NoteFilesFilter(settings.ingest.extensions),
        debounce=settings.watch_debounce_ms,
        stop_event=stop_event,
    ):
        log.info("%d note files changed; rebuilding the index", len(changes))
        try:
            await on_change()
        except Exception:  # the watcher must outlive any one failed rebuild
            log.exception("rebuild after a change failed; the old index keeps answering")


def watch_notes_in_thread(settings: Settings, on_change: Callable[[], object]) -> threading.Event:
    """Watch from a daemon thread with its own event loop; set the returned event to stop."""
    stop = threading.Event()

    async def rebuild() -> None:
        on_change()

    threading.Thread(
        target=asyncio.run,
        args=(watch_notes(settings, rebuild, stop),),
        name="qabot-watch",
        daemon=True,
    ).start()
    return stop
