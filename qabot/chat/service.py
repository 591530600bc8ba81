"""The core as every adapter sees it: answers off the event loop, and a swappable index.

A rebuild makes a fresh pipeline from the notes folder and swaps it in; until then,
and for good if it fails, the old one keeps answering. Answers block; the bot runs
them in worker threads, so one slow answer never holds up other chats.

Example:
    >>> service = AnswerService(settings, pipeline)  # doctest: +SKIP
    >>> service.answer("梯度检查点是什么?").abstained  # doctest: +SKIP
    False
    >>> stats = await service.reload()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.schema import Answer, IndexStats

log = logging.getLogger(__name__)


class ReloadError(Exception):
    """A rebuild failed; the old index is still answering."""


class AnswerService:
    """One pipeline at a time, asked from any thread, rebuilt without a pause in answers."""

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline,
        build: Callable[[Settings], QAPipeline] = QAPipeline.from_settings,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self._build = build
        self._rebuild_lock = threading.Lock()

    @property
    def stats(self) -> IndexStats:
        return self.pipeline.index.stats

    @property
    def reloading(self) -> bool:
        return self._rebuild_lock.locked()

    def answer(self, question: str, page: int = 0, context: str = "") -> Answer:
        """Answer on the calling thread; ``context``: the earlier question it follows up.

        A rebuild may swap the pipeline meanwhile; this answer finishes on the old one.
        """
        return self.pipeline.ask(question, page, context)

    def rebuild(self) -> IndexStats:
        """Rebuild from the notes folder, then swap; on failure keep the old index.

        Rebuilds run one at a time: a second caller waits for the first to finish.
        """
        with self._rebuild_lock:
            try:
                fresh = self._build(self.settings)
            except Exception as error:  # whatever broke, the old index must keep serving
                log.error("reload failed, still answering from the old index: %s", error)
                raise ReloadError(str(error) or type(error).__name__) from error
            self.pipeline = fresh
            return fresh.index.stats

    async def reload(self) -> IndexStats:
        """:meth:`rebuild` in a worker thread."""
        return await asyncio.to_thread(self.rebuild)
