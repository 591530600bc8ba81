"""--watch: the index follows the notes folder, and answers never stop meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from qabot.cli.repl import Repl
from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.watch import watch_notes_in_thread

Make = Callable[[dict[str, str | bytes]], Path]


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_changes_rebuild_once_per_burst_and_failures_keep_the_old_index(
    notes_folder: Make,
) -> None:
    folder = notes_folder({"a.txt": "AdamW 把权重衰减从梯度更新中解耦出来。\n"})
    settings = Settings(notes_dir=folder, watch_debounce_ms=300)
    repl = Repl(QAPipeline.from_settings(settings), Console(record=True, color_system=None))
    rebuilds: list[float] = []

    def rebuild() -> None:
        rebuilds.append(time.monotonic())
        repl.rebuild()

    stop = watch_notes_in_thread(settings, rebuild)
    try:
        time.sleep(0.5)  # let the watcher start before the first change
        first = repl.pipeline
        for n in range(5):  # a burst of saves
            (folder / f"new{n}.md").write_text(f"# 退火\n余弦退火第{n}版让学习率下降。\n")
        wait_until(lambda: repl.pipeline is not first)
        time.sleep(1.0)
        assert len(rebuilds) == 1
        assert "余弦退火" in repl.pipeline.ask("余弦退火让学习率怎样").answer

        (folder / "ignored.log").write_text("not a note")
        time.sleep(1.0)
        assert len(rebuilds) == 1

        working = repl.pipeline
        for path in folder.iterdir():
            path.unlink()
        wait_until(lambda: len(rebuilds) == 2)
        time.sleep(0.5)
        assert repl.pipeline is working
        assert "权重衰减" in repl.pipeline.ask("AdamW 解耦了什么？").answer
    finally:
        stop.set()
    repl.handle("/stats")
    assert "re-indexing failed" in repl.console.export_text()
