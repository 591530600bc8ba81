"""Tokenizing workers die with ``qabot index``, however it ends, and Ctrl-C is prompt.

Most tests run a real ``qabot index`` over a folder large enough for the worker pool,
wait until its workers are tokenizing, then end it as a user or the system would.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# A worker has tokenized for a while once it has used this much CPU.
BUSY_CPU_SECONDS = 0.5
# qabot without its progress bar, whose thread makes the pool spawn its workers: run
# as `python -c NO_PROGRESS_BAR index …`, the pool forks them.
NO_PROGRESS_BAR = (
    "import sys; import qabot.cli.app as app; app._PROGRESS_FROM = sys.maxsize; "
    "sys.argv[0] = 'qabot'; app.main()"
)
WORDS = ["梯度", "检查点", "学习率", "余弦", "退火", "权重", "衰减", "注意力", "显存", "参数"]


def write_notes(folder: Path, files: int, lines: int) -> None:
    """``files`` notes of ``lines`` different 60-character sentences each."""
    rng = random.Random(12)
    folder.mkdir()
    for number in range(files):
        text = "".join(
            "".join(rng.choices(WORDS, k=25)) + "。\n" for _ in range(lines)
        )  # each line ~60 chars, cut into one snippet
        (folder / f"note{number:03d}.txt").write_text(text, encoding="utf-8")


def start_index(notes: Path, cwd: Path, fork: bool = False) -> subprocess.Popen[str]:
    command = ["-c", NO_PROGRESS_BAR] if fork else ["-m", "qabot"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    return subprocess.Popen(
        [sys.executable, *command, "index", "--no-cache", "--notes", str(notes)],
        cwd=cwd,
        env={**clean, "QABOT_INDEX__WORKERS": "3"},  # two workers, whatever the cores
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job is
        preexec_fn=as_in_a_terminal,
    )


def as_in_a_terminal() -> None:
    """Ctrl-C works even when the tests run in the background, where it is ignored
    (and a program started from there inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def stat_fields(pid: int) -> list[str]:
    """Fields 3 on of /proc/<pid>/stat (state first), or [] once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def cpu_seconds(pid: int) -> float:
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def tokenizing_workers(index: subprocess.Popen[str]) -> list[int]:
    """The pool's workers, once each has been tokenizing for a while."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert index.poll() is None, f"qabot index ended first: {index.communicate()[1]}"
        workers = children(index.pid)
        if len(workers) == 2 and all(cpu_seconds(w) >= BUSY_CPU_SECONDS for w in workers):
            return workers
        time.sleep(0.05)
    raise AssertionError("the workers never started tokenizing")


def assert_all_gone(workers: list[int]) -> None:
    deadline = time.monotonic() + 5
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [w for w in workers if alive(w)]
    for worker in survivors:  # leave no stray process behind the test
        os.kill(worker, signal.SIGKILL)
    assert not survivors, "workers outlived qabot index"


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.mark.parametrize(
    ("kill", "fork"),
    [(signal.SIGKILL, False), (signal.SIGTERM, False), (signal.SIGKILL, True)],
    ids=["kill-9-spawned", "sigterm-spawned", "kill-9-forked"],
)
def test_workers_die_with_a_killed_index(tmp_path: Path, kill: signal.Signals, fork: bool) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=20, lines=1500)
    index = start_index(notes, tmp_path, fork)
    workers = tokenizing_workers(index)
    os.kill(index.pid, kill)
    index.wait(timeout=10)
    assert_all_gone(workers)


def test_ctrl_c_stops_a_large_index_at_once(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=40, lines=1500)  # ~3.6M characters: a minute on one core
    index = start_index(notes, tmp_path)
    workers = tokenizing_workers(index)
    pressed = time.monotonic()
    os.killpg(index.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = index.communicate(timeout=60)
    waited = time.monotonic() - pressed
    assert index.returncode == 130
    assert "Traceback" not in stderr
    # Not a benchmark: the chunks left would take tens of seconds to tokenize.
    assert waited < 5, f"exited {waited:.1f} s after Ctrl-C"
    assert_all_gone(workers)


WITHOUT_PRCTL = """
import multiprocessing, os, sys, time
import qabot.build.worker_lifetime as lifetime
lifetime._kill_me_with_parent = lambda: False  # as on a system without prctl

def work(parent):
    lifetime.die_with_parent(parent)
    time.sleep(60)

worker = multiprocessing.get_context("fork").Process(target=work, args=(os.getpid(),))
worker.start()
print(worker.pid, flush=True)
time.sleep(60)
"""


def test_without_prctl_a_watchdog_ends_the_orphan() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_PRCTL], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    time.sleep(0.3)  # the worker is in its sleep, its watchdog running
    parent.kill()
    parent.wait()
    assert_all_gone([worker])


INTERRUPTED_POOL = """
import os, sys, time
import qabot.build.pool as pool
from qabot.config import Settings
from qabot.store.jieba_cache import make_tokenizer

marks = sys.argv[1]
tokenize_in_worker = pool._tokenize_in_worker

def marking(texts):  # each chunk a worker starts leaves a file in marks
    open(os.path.join(marks, f"{os.getpid()}-{time.monotonic_ns()}"), "w").close()
    time.sleep(0.02)
    return tokenize_in_worker(texts)

def ctrl_c(done, total):  # as if Ctrl-C came once the first chunk was done
    raise KeyboardInterrupt

pool._tokenize_in_worker = marking
pool.PARALLEL_FROM_CHARS = 0
settings = Settings(index={"workers": 3})
texts = [f"第{n}条：梯度检查点在前向传播时只保存部分激活值。" for n in range(60_000)]
try:
    pool.tokenize(texts, settings, make_tokenizer(settings), ctrl_c)
except KeyboardInterrupt:
    pass
"""


def test_an_interrupted_pool_starts_no_more_chunks(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", INTERRUPTED_POOL, str(tmp_path)], check=True, timeout=120)
    # Of ~100 chunks, each worker may have one running and one queued.
    assert len(list(tmp_path.iterdir())) <= 6
