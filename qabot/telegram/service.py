"""The core as the bot sees it: answers off the event loop, and a swappable index.

Example:
    >>> service = AnswerService(settings, pipeline)  # doctest: +SKIP
    >>> answer = await service.ask("梯度检查点是什么?")  # doctest: +SKIP
    >>> stats = await service.reload()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.schema import Answer, IndexStats

log = logging.getLogger(__name__)


class ReloadError(Exception):
    """A rebuild failed; the old index is still answering."""


class AnswerService:
    """Runs the pipeline in worker threads so one slow answer never blocks other chats."""

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline,
        build: Callable[[Settings], QAPipeline] = QAPipeline.from_settings,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self._build = build
        self._reload_lock = asyncio.Lock()

    @property
    def stats(self) -> IndexStats:
        return self.pipeline.index.stats

    async def ask(self, question: str, page: int = 0) -> Answer:
        pipeline = self.pipeline  # a reload may swap it meanwhile; finish on this one
        return await asyncio.to_thread(pipeline.ask, question, page)

    async def reload(self) -> IndexStats:
        """Rebuild from the notes folder, then swap; on failure keep the old index."""
        async with self._reload_lock:
            try:
                fresh = await asyncio.to_thread(self._build, self.settings)
            except Exception as error:  # whatever broke, the old index must keep serving
                log.error("reload failed, still answering from the old index: %s", error)
                raise ReloadError(str(error) or type(error).__name__) from error
            self.pipeline = fresh
            return fresh.index.stats

    @property
    def reloading(self) -> bool:
        return self._reload_lock.locked()
