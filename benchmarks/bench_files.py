"""Many files under a low file-handle limit: the 50,000-files rows of docs/reliability.md.

Writes a notes folder of ``--files`` files (``--lines`` sentences each, from
:mod:`corpus`: CMRC 2018 sentences, then varied copies, so no two files are alike),
then runs ``python -m qabot ask --json`` three times, each as its own process with
``ulimit -n 1024`` (``RLIMIT_NOFILE``), in a scratch folder holding the index cache:

1. cold: an empty cache, so every file is read, tokenized and cached;
2. edited: one note changed, so one file is tokenized again and the index rebuilt;
3. warm: nothing changed, so the index loads from the cache.

Then ``qabot index --no-cache`` is stopped while its workers tokenize, by Ctrl-C (SIGINT
to its process group), SIGTERM and SIGKILL: how soon it exits, and whether any worker
outlives it.

Each run reports its wall time, exit code, peak RSS (``VmHWM`` of the qabot process,
and the largest sum of ``VmRSS`` over it and its tokenizing workers, sampled every
50 ms), the most file handles it held at once (``/proc/<pid>/fd``, same sampling),
how many WARNING lines it printed (and how many of those were "Too many open
files"), and whether a JSON answer came out.

Usage:
    .venv/bin/python benchmarks/bench_files.py                    # ~5 min, writes the doc
    .venv/bin/python benchmarks/bench_files.py --files 2000 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from corpus import questions, sentences  # noqa: E402
from load_tools import update_doc  # noqa: E402

DOC = REPO / "docs" / "reliability.md"
HANDLE_LIMIT = 1024
SAMPLE_SECONDS = 0.05
TOO_MANY_FILES = "Too many open files"


@dataclass
class Run:
    """One ``qabot ask`` process, measured."""

    step: str
    seconds: float = 0.0
    returncode: int = 0
    peak_rss_kib: int = 0
    peak_tree_rss_kib: int = 0
    peak_handles: int = 0
    warnings: int = 0
    too_many_files: int = 0
    answered: bool = False
    last_error: str = ""
    stderr_tail: list[str] = field(default_factory=list)


def write_notes(folder: Path, files: int, lines: int) -> int:
    """``files`` notes of ``lines`` sentences each; returns the characters written."""
    text, _ = sentences(files * lines)
    folder.mkdir(parents=True)
    for number in range(files):
        body = "\n".join(text[number * lines : (number + 1) * lines]) + "\n"
        (folder / f"note_{number:06d}.txt").write_text(body, encoding="utf-8")
    return sum(map(len, text))


def limit_handles() -> None:
    """In the child, before qabot starts: what ``ulimit -n 1024`` does. Ctrl-C is
    restored too: a benchmark started in the background (``&``) ignores it, and so
    would qabot."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = HANDLE_LIMIT if hard == resource.RLIM_INFINITY else min(HANDLE_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_qabot(step: str, notes: Path, workdir: Path, question: str) -> Run:
    """``qabot ask --json QUESTION`` in ``workdir`` (where its cache lives), measured."""
    run = Run(step)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as stdout,
        tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr,
    ):
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "qabot", "ask", "--json", "--notes", str(notes), question],
            cwd=workdir,
            env=clean,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            preexec_fn=limit_handles,
        )
        while process.poll() is None:
            _sample(process.pid, run)
            time.sleep(SAMPLE_SECONDS)
        run.seconds = time.monotonic() - started
        run.returncode = process.returncode
        stdout.seek(0)
        stderr.seek(0)
        _read_output(stdout.read(), stderr.read().splitlines(), run)
    return run


def interrupt(step: str, notes: Path, workdir: Path, sent: signal.Signals) -> str:
    """``qabot index --no-cache`` ended by ``sent`` once its workers are tokenizing:
    how long it took to exit, and how many workers outlived it (after 2 s)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "qabot", "index", "--no-cache", "--notes", str(notes)],
        cwd=workdir,
        env=clean,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=limit_handles,
        start_new_session=True,  # a process group of its own, as a terminal's job has
    )
    workers: list[int] = []
    while process.poll() is None and not (workers and _cpu_seconds(workers) >= 2 * len(workers)):
        workers = _children(process.pid)
        time.sleep(SAMPLE_SECONDS)
    if process.poll() is not None:
        return f"| {step} | finished before its workers were busy: nothing measured |"
    signalled = time.monotonic()
    if sent == signal.SIGINT:
        os.killpg(process.pid, sent)  # what Ctrl-C does: the whole foreground group
    else:
        process.send_signal(sent)
    process.wait()
    took = time.monotonic() - signalled
    time.sleep(2)
    left = [worker for worker in workers if _alive(worker)]
    for worker in left:
        os.kill(worker, signal.SIGKILL)
    return (
        f"| {step} | exited {took:.1f} s after the signal (exit code {process.returncode})"
        f" | {len(left)} of {len(workers)} |"
    )


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _sample(pid: int, run: Run) -> None:
    try:
        status = _status(pid)
        run.peak_rss_kib = max(run.peak_rss_kib, status.get("VmHWM", 0))
        tree = status.get("VmRSS", 0) + sum(
            _status(child).get("VmRSS", 0) for child in _children(pid)
        )
        run.peak_tree_rss_kib = max(run.peak_tree_rss_kib, tree)
        run.peak_handles = max(run.peak_handles, len(os.listdir(f"/proc/{pid}/fd")))
    except OSError:  # it, or a worker, ended between two reads
        pass


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0])
    return fields


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def _read_output(stdout: str, stderr: list[str], run: Run) -> None:
    try:
        run.answered = "answer" in json.loads(stdout.splitlines()[0])
    except (IndexError, ValueError):
        run.answered = False
    run.warnings = sum(line.startswith("WARNING") for line in stderr)
    run.too_many_files = sum(TOO_MANY_FILES in line for line in stderr)
    errors = [line for line in stderr if line.strip() and not line.startswith("WARNING")]
    run.last_error = errors[-1].strip() if errors else ""
    run.stderr_tail = stderr[-5:]


def section(runs: list[Run], stops: list[str], files: int, lines: int, chars: int) -> str:
    """The marked section of docs/reliability.md."""
    head = (
        f"{files:,} files of {lines} sentences ({chars:,} characters; `benchmarks/corpus.py`"
        f" sentences), `ulimit -n {HANDLE_LIMIT}`, one `qabot ask --json` process per"
        f" step on {os.cpu_count()} cores.\n\n"
        "| Step | Time | Peak RSS: qabot / with workers | Peak open handles"
        " | WARNING lines (too many open files) | Result |\n"
        "|---|---|---|---|---|---|\n"
    )
    rows = []
    for run in runs:
        if run.returncode == 0 and run.answered:
            result = "answered"
        else:
            result = f"**no answer**, exit code {run.returncode}"
            if run.last_error:
                result += f": `{run.last_error[:120].replace('|', '/')}`"
        rows.append(
            f"| {run.step} | {run.seconds:.1f} s | {run.peak_rss_kib / 1024:,.0f} MiB"
            f" / {run.peak_tree_rss_kib / 1024:,.0f} MiB | {run.peak_handles:,}"
            f" | {run.warnings:,} ({run.too_many_files:,}) | {result} |"
        )
    stopped = (
        "\n| Stopped while tokenizing (`qabot index --no-cache`) | Exit | Workers left after"
        " 2 s |\n|---|---|---|\n" + "\n".join(stops) + "\n"
    )
    return head + "\n".join(rows) + "\n" + stopped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=2, help="sentences per file")
    parser.add_argument("--workdir", type=Path, help="keep the notes and cache here")
    parser.add_argument("--no-write", action="store_true", help="print, leave the doc alone")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        parser.error("reads /proc: Linux only")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qabot-bench-files-"))
    notes = workdir / "notes"
    try:
        if notes.exists():
            shutil.rmtree(notes)
        shutil.rmtree(workdir / ".qabot-cache", ignore_errors=True)
        chars = write_notes(notes, args.files, args.lines)
        question = questions()[0]
        runs = [run_qabot("cold: build the index, then answer", notes, workdir, question)]
        edited = notes / "note_000000.txt"
        edited.write_text(edited.read_text(encoding="utf-8") + "新加的一行笔记。\n", "utf-8")
        runs.append(run_qabot("one note edited, then answer", notes, workdir, question))
        runs.append(run_qabot("warm start: load the index, then answer", notes, workdir, question))
        stops = [
            interrupt(f"{name} (signal {sent.name})", notes, workdir, sent)
            for name, sent in [
                ("Ctrl-C", signal.SIGINT),
                ("kill", signal.SIGTERM),
                ("kill -9", signal.SIGKILL),
            ]
        ]
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    body = section(runs, stops, args.files, args.lines, chars)
    print(body)
    for run in runs:
        if not (run.returncode == 0 and run.answered):
            print(f"{run.step}: last lines of stderr:", *run.stderr_tail, sep="\n  ")
    if not args.no_write:
        update_doc(DOC, "files", body, script="bench_files")
    return 0 if all(run.returncode == 0 and run.answered for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
