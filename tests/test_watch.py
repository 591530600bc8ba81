"""--watch: the index follows the notes folder, and answers never stop meanwhile."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from qabot.chat.service import AnswerService
from qabot.cli.repl import Repl
from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.watch import watch_notes, watch_notes_in_thread

Make = Callable[[dict[str, str | bytes]], Path]
ADAMW = "AdamW 把权重衰减从梯度更新中解耦出来。\n"
COSINE = "# 退火\n余弦退火让学习率按余弦曲线下降。\n"
WARMUP = "# 预热\n学习率预热在训练开始时把学习率从零慢慢升高。\n"


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class Watched:
    """A REPL over ``folder`` whose index follows it, counting rebuilds."""

    def __init__(self, folder: Path, cache: Path, **settings: object) -> None:
        options = {"watch_debounce_ms": 300, **settings}
        self.settings = Settings(notes_dir=folder, index={"cache_dir": cache}, **options)
        self.repl = Repl(QAPipeline.from_settings(self.settings), Console(record=True))
        self.rebuilds: list[float] = []

    def rebuild(self) -> None:
        self.rebuilds.append(time.monotonic())
        self.repl.rebuild()

    def answer(self, question: str) -> str:
        return self.repl.pipeline.ask(question).answer

    def sources(self, question: str) -> set[str]:
        return {c.source for c in self.repl.pipeline.ask(question).citations}

    def settle(self, rebuilds: int) -> None:
        """Wait for ``rebuilds`` rebuilds in all, and a while for any more."""
        wait_until(lambda: len(self.rebuilds) >= rebuilds)
        time.sleep(1.0)
        assert len(self.rebuilds) == rebuilds


@pytest.fixture
def watched(notes_folder: Make, tmp_path: Path) -> Iterator[Callable[..., Watched]]:
    stops = []

    def start(files: dict[str, str | bytes], **settings: object) -> Watched:
        watched = Watched(notes_folder(files), tmp_path / "cache", **settings)
        stops.append(watch_notes_in_thread(watched.settings, watched.rebuild))
        time.sleep(0.5)  # let the watcher start before the first change
        return watched

    yield start
    for stop in stops:
        stop.set()


def test_changes_rebuild_once_per_burst_and_failures_keep_the_old_index(
    watched: Callable[..., Watched],
) -> None:
    notes = watched({"a.txt": ADAMW})
    folder = notes.settings.notes_dir
    first = notes.repl.pipeline
    for n in range(5):  # a burst of saves
        (folder / f"new{n}.md").write_text(f"# 退火\n余弦退火第{n}版让学习率下降。\n")
    wait_until(lambda: notes.repl.pipeline is not first)
    notes.settle(1)
    assert "余弦退火" in notes.answer("余弦退火让学习率怎样")

    (folder / "ignored.log").write_text("not a note")
    (folder / ".a.txt.swp").write_text("an editor's swap file")
    notes.settle(1)

    working = notes.repl.pipeline
    for path in folder.iterdir():
        path.unlink()
    notes.settle(2)
    assert notes.repl.pipeline is working
    assert "权重衰减" in notes.answer("AdamW 解耦了什么？")
    notes.repl.handle("/stats")
    failed_notice = notes.repl.strings.reindex_failed.split("{error}")[0]  # in any language
    assert failed_notice in notes.repl.console.export_text()


def test_what_the_loader_ignores_does_not_rebuild_but_its_ignore_file_does(
    watched: Callable[..., Watched],
) -> None:
    notes = watched({"a.txt": ADAMW, "sched/cosine.md": COSINE}, ingest={"ignore": ["drafts/"]})
    folder = notes.settings.notes_dir
    (folder / "drafts" / "deep").mkdir(parents=True)
    (folder / "drafts" / "deep" / "x.md").write_text(WARMUP, encoding="utf-8")
    (folder / ".git" / "objects" / "ab").mkdir(parents=True)
    (folder / "node_modules" / "pkg").mkdir(parents=True)
    (folder / "node_modules" / "pkg" / "README.md").write_text(WARMUP, encoding="utf-8")
    notes.settle(0)

    (folder / ".qabotignore").write_text("sched/\n", encoding="utf-8")
    notes.settle(1)
    assert "余弦曲线" not in notes.answer("余弦退火让学习率怎样")


def test_saves_200_ms_apart_within_the_debounce_make_one_rebuild(
    watched: Callable[..., Watched],
) -> None:
    notes = watched({"a.txt": ADAMW}, watch_debounce_ms=800)
    for n in range(10):
        (notes.settings.notes_dir / "draft.md").write_text(f"# 退火\n余弦退火草稿第{n}版。\n")
        time.sleep(0.2)
    notes.settle(1)
    assert "第9版" in notes.answer("余弦退火草稿")


def test_a_constant_trickle_of_saves_still_rebuilds(watched: Callable[..., Watched]) -> None:
    notes = watched({"a.txt": ADAMW}, watch_debounce_ms=600, watch_max_wait_ms=1200)
    for n in range(24):  # 3.6 s of saves, never 600 ms apart
        (notes.settings.notes_dir / "draft.md").write_text(f"# 退火\n余弦退火草稿第{n}版。\n")
        time.sleep(0.15)
    assert notes.rebuilds, "no rebuild while the saves went on"


def test_a_rebuild_logs_one_info_line_and_a_failed_one_one_line(
    watched: Callable[..., Watched], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        notes = watched({"a.txt": ADAMW})
        caplog.clear()
        (notes.settings.notes_dir / "b.md").write_text(COSINE, encoding="utf-8")
        notes.settle(1)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        watcher_lines = [r for r in caplog.records if r.name == "qabot.watch"]
        assert len(watcher_lines) == 1
        assert re.fullmatch(
            r"notes changed \(\d+ changes?\): re-indexed in \d+\.\d s",
            watcher_lines[0].getMessage(),
        )

        caplog.clear()
        for path in notes.settings.notes_dir.iterdir():
            path.unlink()
        notes.settle(2)
    [failure] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "reload failed, still answering from the old index: no" in failure.getMessage()
    assert failure.exc_info is None and "\n" not in failure.getMessage()


def test_the_notes_folder_deleted_and_recreated_is_watched_again(
    watched: Callable[..., Watched],
) -> None:
    notes = watched({"a.txt": ADAMW})
    folder = notes.settings.notes_dir
    shutil.rmtree(folder)
    notes.settle(1)  # the rebuild fails: the old index keeps answering
    assert "权重衰减" in notes.answer("AdamW 解耦了什么？")

    folder.mkdir()
    (folder / "b.md").write_text(COSINE, encoding="utf-8")
    wait_until(lambda: "余弦曲线" in notes.answer("余弦退火让学习率怎样"))
    assert notes.repl.pipeline.index.stats.files == 1

    (folder / "c.md").write_text(WARMUP, encoding="utf-8")  # and it keeps following it
    wait_until(lambda: "慢慢升高" in notes.answer("学习率预热是什么"))


def test_the_notes_folder_moved_away_and_another_moved_in(
    watched: Callable[..., Watched], tmp_path: Path
) -> None:
    notes = watched({"a.txt": ADAMW})
    folder = notes.settings.notes_dir
    folder.rename(tmp_path / "old-notes")
    replacement = tmp_path / "new-notes"
    replacement.mkdir()
    (replacement / "b.md").write_text(COSINE, encoding="utf-8")
    replacement.rename(folder)
    wait_until(lambda: "余弦曲线" in notes.answer("余弦退火让学习率怎样"))
    (tmp_path / "old-notes" / "d.md").write_text(WARMUP, encoding="utf-8")  # not ours now
    (folder / "c.txt").write_text(ADAMW, encoding="utf-8")
    wait_until(lambda: notes.sources("AdamW 解耦了什么？") == {"c.txt"})
    assert "慢慢升高" not in notes.answer("学习率预热是什么")


def test_subfolders_moved_out_and_in(watched: Callable[..., Watched], tmp_path: Path) -> None:
    notes = watched({"a.txt": ADAMW, "sched/cosine.md": COSINE})
    folder = notes.settings.notes_dir
    assert notes.sources("余弦退火让学习率怎样") == {"sched/cosine.md"}

    (folder / "sched").rename(tmp_path / "sched")  # moved out: no longer cited
    wait_until(lambda: "余弦曲线" not in notes.answer("余弦退火让学习率怎样"))

    outside = tmp_path / "warmup"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "warmup.md").write_text(WARMUP, encoding="utf-8")
    outside.rename(folder / "warmup")  # moved in: indexed with no other change
    wait_until(lambda: notes.sources("学习率预热是什么") == {"warmup/deep/warmup.md"})
    notes.settle(2)


def test_the_bots_watcher_outlives_failed_reloads_and_ends_with_its_task(
    notes_folder: Make, caplog: pytest.LogCaptureFixture
) -> None:
    folder = notes_folder({"a.txt": ADAMW})
    settings = Settings(notes_dir=folder, watch_debounce_ms=200)
    pipeline = QAPipeline.from_settings(settings)
    attempts: list[float] = []

    def failing_build(settings: Settings) -> QAPipeline:
        attempts.append(time.monotonic())
        raise OSError(28, "No space left on device")

    service = AnswerService(settings, pipeline, build=failing_build)

    async def run() -> None:
        task = asyncio.create_task(watch_notes(settings, service.reload))
        await asyncio.sleep(0.5)
        for burst, name in enumerate(["b.md", "c.md"], start=1):  # it outlives the first
            (folder / name).write_text(COSINE, encoding="utf-8")
            await asyncio.to_thread(wait_until, lambda n=burst: len(attempts) == n)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING):
        asyncio.run(run())
    wait_until(lambda: not [t for t in threading.enumerate() if t.name.startswith("qabot-watch")])
    assert [r.getMessage() for r in caplog.records] == 2 * [
        "reload failed, still answering from the old index: [Errno 28] No space left on device"
    ]
    assert service.pipeline is pipeline
