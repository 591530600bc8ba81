"""``--watch`` under bursts, a trickle and a folder that comes and goes: the watcher
rows of docs/reliability.md.

The watcher runs as ``qabot repl --watch`` runs it (``watch_notes_in_thread``, each
rebuild a full ``QAPipeline.from_settings`` with the index cache on), with the
default ``watch_debounce_ms`` and ``watch_max_wait_ms`` unless given, over a scratch
notes folder. Each case counts rebuilds and checks the index at the end against a
fresh build of the same folder (same files and snippets).

Cases:
- 10 saves of one note 200 ms apart;
- 200 random operations 0-100 ms apart: create, edit, rename, delete a note, make a
  subfolder with a note, move a subfolder out of the folder or back in;
- a constant trickle: a save every 500 ms for 30 s;
- the notes folder deleted, then made again with a new note: seconds from the new
  note's save to an index that answers from it;
- a subfolder moved out, then another moved in, with no other change.

Usage:
    .venv/bin/python benchmarks/bench_watch.py              # ~2 min, writes the doc
    .venv/bin/python benchmarks/bench_watch.py --no-write
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from load_tools import update_doc  # noqa: E402

from qabot.config import Settings  # noqa: E402
from qabot.pipeline import QAPipeline  # noqa: E402
from qabot.watch import watch_notes_in_thread  # noqa: E402

DOC = REPO / "docs" / "reliability.md"
TOPICS = ["梯度检查点", "余弦退火", "权重衰减", "学习率预热", "混合精度", "张量并行", "知识蒸馏"]


class Watched:
    """A pipeline over ``folder`` that the watcher keeps rebuilding; counts rebuilds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pipeline = QAPipeline.from_settings(settings)
        self.rebuilds = 0
        self.failures = 0
        self.lock = threading.Lock()
        self.stop = watch_notes_in_thread(settings, self.rebuild)
        time.sleep(1.0)  # the watcher is armed

    def rebuild(self) -> None:
        with self.lock:
            self.rebuilds += 1
        try:
            self.pipeline = QAPipeline.from_settings(self.settings)
        except Exception:
            self.failures += 1
            raise

    def settled(self) -> None:
        """Wait until the changes have stopped and no rebuild has come for a while."""
        quiet = self.settings.watch_debounce_ms / 1000 + 2
        seen = -1
        while seen != self.rebuilds:
            seen = self.rebuilds
            time.sleep(quiet)

    def matches_a_fresh_build(self) -> bool:
        def contents(pipeline: QAPipeline) -> list[tuple[str, list]]:
            return [(s.text, s.locations) for s in pipeline.index.snippets]

        return contents(self.pipeline) == contents(QAPipeline.from_settings(self.settings))


def note(rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    return f"# {topic}\n{topic}的第{rng.randrange(10**6)}条笔记：它让训练更稳定。\n"


def saves_200_ms_apart(watched: Watched, rng: random.Random) -> str:
    path = watched.settings.notes_dir / "draft.md"
    for _ in range(10):
        path.write_text(note(rng), encoding="utf-8")
        time.sleep(0.2)
    watched.settled()
    return f"{watched.rebuilds} rebuild(s)"


def random_operations(watched: Watched, rng: random.Random) -> str:
    folder = watched.settings.notes_dir
    outside = folder.parent / "outside"
    outside.mkdir(exist_ok=True)
    for number in range(200):
        notes = sorted(folder.rglob("*.md"))
        subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
        parked = sorted(outside.iterdir())
        operation = rng.choice(["create", "edit", "rename", "delete", "subfolder", "move"])
        if operation == "create" or not notes:
            (folder / f"n{number}.md").write_text(note(rng), encoding="utf-8")
        elif operation == "edit":
            rng.choice(notes).write_text(note(rng), encoding="utf-8")
        elif operation == "rename":
            rng.choice(notes).rename(folder / f"r{number}.md")
        elif operation == "delete" and len(notes) > 1:
            rng.choice(notes).unlink()
        elif operation == "subfolder":
            (folder / f"d{number}").mkdir()
            (folder / f"d{number}" / "a.md").write_text(note(rng), encoding="utf-8")
        elif operation == "move" and parked and rng.random() < 0.5:
            rng.choice(parked).rename(folder / f"back{number}")
        elif operation == "move" and subfolders:
            rng.choice(subfolders).rename(outside / f"out{number}")
        time.sleep(rng.uniform(0, 0.1))
    watched.settled()
    return f"{watched.rebuilds} rebuild(s)"


def trickle(watched: Watched, rng: random.Random) -> str:
    path = watched.settings.notes_dir / "typing.md"
    started = time.monotonic()
    while time.monotonic() - started < 30:
        path.write_text(note(rng), encoding="utf-8")
        time.sleep(0.5)
    during = watched.rebuilds
    watched.settled()
    return f"{during} rebuild(s) during the 30 s, {watched.rebuilds} in all"


def folder_recreated(watched: Watched, rng: random.Random) -> str:
    folder = watched.settings.notes_dir
    shutil.rmtree(folder)
    watched.settled()
    kept = watched.pipeline.index.stats.files
    folder.mkdir()
    saved = time.monotonic()
    (folder / "back.md").write_text("# 回来\n文件夹重建后写下的笔记说明监视仍然有效。\n", "utf-8")
    waited = _seconds_until(lambda: watched.pipeline.index.stats.files == 1, saved)
    watched.settled()
    return (
        f"deleted: {watched.failures} failed rebuild(s), the old index ({kept} files) kept"
        f" answering; made again: a note saved in it answered {waited}"
    )


def subfolders_moved(watched: Watched, rng: random.Random) -> str:
    folder = watched.settings.notes_dir
    before = watched.pipeline.index.stats.files
    moved = time.monotonic()
    (folder / "sub").rename(folder.parent / "sub-out")
    out = _seconds_until(lambda: watched.pipeline.index.stats.files == before - 3, moved)
    incoming = folder.parent / "incoming"
    (incoming / "deep").mkdir(parents=True)
    for n in range(5):
        (incoming / "deep" / f"{n}.md").write_text(note(rng), encoding="utf-8")
    moved = time.monotonic()
    incoming.rename(folder / "incoming")
    into = _seconds_until(lambda: watched.pipeline.index.stats.files == before - 3 + 5, moved)
    watched.settled()
    return f"moved out (3 notes): gone from the index {out}; moved in (5 notes): indexed {into}"


def _seconds_until(condition: Callable[[], bool], since: float, timeout: float = 60) -> str:
    """How long after ``since`` ``condition`` held, as words."""
    while not condition():
        if time.monotonic() - since > timeout:
            return f"**never** (waited {timeout:.0f} s)"
        time.sleep(0.05)
    return f"{time.monotonic() - since:.1f} s later"


CASES: list[tuple[str, Callable[[Watched, random.Random], str]]] = [
    ("10 saves of one note, 200 ms apart", saves_200_ms_apart),
    (
        "200 random operations 0-100 ms apart (create, edit, rename, delete, subfolders"
        " made and moved out and in)",
        random_operations,
    ),
    ("a save every 500 ms for 30 s", trickle),
    ("notes folder deleted, then made again with a new note", folder_recreated),
    ("a subfolder moved out, another moved in", subfolders_moved),
]


def run_case(
    case: Callable[[Watched, random.Random], str], root: Path, debounce: int, max_wait: int
) -> tuple[str, bool]:
    folder = root / "notes"
    rng = random.Random(7)
    for name in ("a.md", "b.md", "sub/1.md", "sub/2.md", "sub/3.md"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(note(rng), encoding="utf-8")
    settings = Settings(
        notes_dir=folder,
        watch_debounce_ms=debounce,
        watch_max_wait_ms=max_wait,
        index={"cache_dir": root / "cache"},
    )
    watched = Watched(settings)
    try:
        return case(watched, rng), watched.matches_a_fresh_build()
    finally:
        watched.stop.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debounce-ms", type=int, default=Settings().watch_debounce_ms)
    parser.add_argument("--max-wait-ms", type=int, default=Settings().watch_max_wait_ms)
    parser.add_argument("--no-write", action="store_true", help="print, leave the doc alone")
    args = parser.parse_args()
    rows = []
    ok = True
    for what, case in CASES:
        with tempfile.TemporaryDirectory(prefix="qabot-bench-watch-") as root:
            result, matches = run_case(case, Path(root), args.debounce_ms, args.max_wait_ms)
        ok &= matches
        index = "index = a fresh build" if matches else "**index differs from a fresh build**"
        rows.append(f"| {what} | 1 | {result}; {index} |")
        print(rows[-1], flush=True)
    body = (
        f"`watch_debounce_ms` = {args.debounce_ms}, `watch_max_wait_ms` = {args.max_wait_ms}.\n\n"
        "| Case | Times | Result |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    print(body)
    if not args.no_write:
        update_doc(DOC, "watch", body, script="bench_watch")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
