"""One answer service for every adapter: answers, and rebuilds that never stop them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.chat.service import AnswerService, ReloadError
from qabot.config import Settings
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]


def test_rebuild_swaps_in_new_notes_and_a_failed_one_keeps_the_old(notes_folder: Make) -> None:
    folder = notes_folder({"a.txt": "AdamW 把权重衰减从梯度更新中解耦出来。\n"})
    settings = Settings(notes_dir=folder)
    service = AnswerService(settings, QAPipeline.from_settings(settings))
    (folder / "b.txt").write_text("余弦退火让学习率按余弦曲线下降。\n", encoding="utf-8")
    assert service.rebuild().files == 2
    assert "余弦曲线" in service.answer("余弦退火怎么调整学习率？").answer

    working = service.pipeline
    for path in folder.iterdir():
        path.unlink()
    with pytest.raises(ReloadError):
        service.rebuild()
    assert service.pipeline is working
    assert "权重衰减" in service.answer("AdamW 解耦了什么？").answer


def test_answers_keep_coming_during_a_slow_rebuild(seeds_pipeline: QAPipeline) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_build(settings: Settings) -> QAPipeline:
        started.set()
        release.wait(10)
        return seeds_pipeline

    service = AnswerService(seeds_pipeline.settings, seeds_pipeline, build=slow_build)

    async def scenario() -> list[str]:
        reload = asyncio.create_task(service.reload())
        await asyncio.to_thread(started.wait, 10)
        assert service.reloading
        asking = (asyncio.to_thread(service.answer, "梯度检查点是什么？") for _ in range(3))
        answers = await asyncio.gather(*asking)
        release.set()
        await reload
        return [answer.answer for answer in answers]

    assert all("梯度检查点" in text for text in asyncio.run(scenario()))
    assert not service.reloading
