"""Retrieval speed at 10k, 100k and 1M snippets: qabot side by side with its peers.

Corpora come from CMRC 2018 dev (see ``corpus.py``: the real sentences, then
synthetic variants of them). For each size, in one run, it measures:

- the cold build from raw notes, in a fresh child process each (time, tokenizing
  throughput, peak RSS, size on disk): qabot today, and qabot at 8409044, the
  baseline issue 14 is measured against, alternating (:data:`BUILD_ROUNDS` times;
  the fastest run of each is kept);
- side by side in one process (``child_side_by_side``): each system built from
  qabot's tokens (``peers.py``: rank-bm25, bm25s on numba, tantivy, and qabot's own
  matrix, today's and the baseline's), then every question put to every system in
  turn, in a rotating order, over :data:`ROUNDS` rounds; p50, p95 and p99 per system;
- full questions (``QAPipeline.ask``), warm start and the process's RSS, in a child;
- ``qabot ask`` wall time against ``python -c "import jieba; jieba.initialize()"``,
  interleaved; and tokenizing throughput.

It writes ``docs/performance.md`` with every ratio computed within the run. The code
measured is a copy of ``qabot/`` and ``benchmarks/`` taken at the start, so edits
made while it runs don't invalidate its caches. Results are kept in
``WORK/results.json`` as they come; ``--report`` rewrites the page from them.

Usage:
    python benchmarks/bench_retrieval.py                       # 10k, 100k and 1M
    python benchmarks/bench_retrieval.py --sizes 10000,100000  # a quicker run
    python benchmarks/bench_retrieval.py --report              # page from saved results
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from report import write_report

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZES = (10_000, 100_000, 1_000_000)
BASELINE_COMMIT = "8409044"
QUERIES = 2000
ROUNDS = 3
# rank-bm25 scores every document in Python: a sample of questions per round is enough.
RANK_BM25_QUERIES = {10_000: 100, 100_000: 20, 1_000_000: 5}
# Cold builds of each side, alternating; at 1M one build takes minutes.
BUILD_ROUNDS = {10_000: 5, 100_000: 5}
ASK_ROUNDS = 7
# At 1M a `qabot ask` takes long enough that a few runs give a steady median.
ASK_ROUNDS_AT = {1_000_000: 3}
# Enough characters that starting the process pool (~3 s) is a small part of the time.
TOKENIZE_SAMPLE_CHARS = 1_500_000
# Alternating runs of each tokenizer; the fastest counts.
TOKENIZE_ROUNDS = 5
SEEDS_FOUND = "AdamW 和 Adam 有什么区别?"
SEEDS_MISSING = "What is the capital of Australia?"
JIEBA_INIT = [sys.executable, "-c", "import jieba; jieba.initialize()"]
# What --redo can measure again: the child, and where its results go.
REDO = {"tokenize": "tokenize", "side": "side_by_side", "build": "qabot_build"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qabot-bench")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    parser.add_argument("--report", action="store_true", help="only rewrite the page")
    parser.add_argument(
        "--redo", choices=list(REDO), help="re-measure only this, keeping the other results"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](args.work, *args.child[1:])))
        return
    results_file = args.work / "results.json"
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.redo:
        redo(args.work, sizes, results_file, args.redo)
    elif not args.report:
        run(args.work, sizes, results_file)
    write_report(json.loads(results_file.read_text()), args.out)
    print(f"wrote {args.out}")


def run(work: Path, sizes: list[int], results_file: Path) -> None:
    source, baseline = _snapshot(work), _baseline(work)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results["machine"] = machine()
    results["started"] = time.strftime("%Y-%m-%d %H:%M:%S")

    def child(*task: str, code: Path = source) -> dict:
        return _child(work, source, code, *task)

    def save() -> None:
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results["machine"]["load_after"] = os.getloadavg()
        results_file.write_text(json.dumps(results, indent=1))

    results["queries"] = child("queries")
    results["ask_seeds"] = ask_seeds_wall_time(work, source)
    for size in sizes:
        entry = results[str(size)] = {}
        entry["corpus"] = child("corpus", str(size))
        entry.update(cold_builds(work, source, baseline, size))
        save()
        entry["side_by_side"] = child("side", str(size))
        save()
        entry["qabot_serve"] = child("serve", str(size), "plain")
        entry["qabot_reader"] = child("serve", str(size), "notes")
        entry["ask"] = ask_wall_time(work, size, source)
        entry["tokenize"] = child("tokenize", str(size))
        save()


def cold_builds(work: Path, source: Path, baseline: Path, size: int) -> dict[str, dict]:
    """Cold builds of the baseline and of today's code, alternating, so a change in the
    machine's load falls on both; the fastest of each is kept, since other work on the
    machine only slows a build down. Today's last build leaves the cache the
    side-by-side run opens."""
    builds: dict[str, list[dict]] = {"baseline_build": [], "qabot_build": []}
    for _ in range(BUILD_ROUNDS.get(size, 1)):
        builds["baseline_build"].append(
            _child(work, source, baseline / "plain", "build", str(size), "baseline")
        )
        builds["qabot_build"].append(_child(work, source, source, "build", str(size), "today"))
    return {
        key: {
            **min(runs, key=lambda run: run["seconds"]),
            "all_seconds": [r["seconds"] for r in runs],
        }
        for key, runs in builds.items()
    }


def redo(work: Path, sizes: list[int], results_file: Path, name: str) -> None:
    """Measure ``name`` again for ``sizes`` with the current code; the page says when."""
    source = _snapshot(work)
    baseline = _baseline(work) if name == "build" else None
    results = json.loads(results_file.read_text())
    for size in sizes:
        if baseline is not None:
            entries = cold_builds(work, source, baseline, size)
        else:
            entries = {REDO[name]: _child(work, source, source, name, str(size))}
        for key, entry in entries.items():
            entry["measured"] = time.strftime("%Y-%m-%d %H:%M:%S")
            entry["load"] = os.getloadavg()
            results[str(size)][key] = entry
        results_file.write_text(json.dumps(results, indent=1))


def _snapshot(work: Path) -> Path:
    """A copy of the code to measure, so edits made meanwhile don't change it."""
    source = work / "src"
    shutil.rmtree(source, ignore_errors=True)
    for name in ("qabot", "benchmarks"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def _baseline(work: Path) -> Path:
    """The baseline commit's ``qabot/``, twice: as it is (``plain/qabot``, for its cold
    build) and renamed ``qabot_baseline`` (``renamed/``), to load beside today's code."""
    folder = work / "baseline"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "plain").mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", BASELINE_COMMIT, "qabot"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder / "plain")], input=archive, check=True)
    renamed = folder / "renamed" / "qabot_baseline"
    shutil.copytree(folder / "plain" / "qabot", renamed)
    for path in renamed.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\bqabot(?=[. ])", "qabot_baseline", text), encoding="utf-8")
    return folder


def _child(work: Path, source: Path, code: Path, *task: str) -> dict:
    """Runs ``task`` in a fresh process over ``code`` (a folder holding a ``qabot/``)."""
    script = source / "benchmarks" / "bench_retrieval.py"
    command = [sys.executable, str(script), "--work", str(work), "--child", *task]
    log(" ".join(task))
    path = [code, source / "benchmarks", work / "baseline" / "renamed"]
    done = subprocess.run(command, env=_env(path), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{task}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ask_wall_time(work: Path, size: int, source: Path) -> dict:
    """``qabot ask`` over the corpus (warm cache) and jieba's initialize, interleaved.

    ``ask`` is the default reader; ``ask_plain`` has ``reader.candidate_notes = 0``, the
    reader without its note ranking.
    """
    question = json.loads((work / "queries.json").read_text())["questions"][0]
    folder = work / f"notes-{size}"
    ask = [sys.executable, "-m", "qabot", "ask", "--json", "--notes", str(folder), question]
    env = _env([source])
    commands = {
        "ask_plain": (ask, env | {"QABOT_READER__CANDIDATE_NOTES": "0"}),
        "ask": (ask, env),
        "jieba": (JIEBA_INIT, env),
    }
    return _wall_times(commands, ASK_ROUNDS_AT.get(size, ASK_ROUNDS), _run_dir(work, size, "today"))


def ask_seeds_wall_time(work: Path, source: Path) -> dict:
    """One-shot ``qabot ask`` over the bundled seeds, run where the README runs it (the
    repository), with a question they answer and one they don't (an English question,
    which also looks its words up in CC-CEDICT), against jieba's initialize."""
    env = _env([source]) | {"QABOT_INDEX__CACHE_DIR": str(work / "run-seeds")}
    ask = [sys.executable, "-m", "qabot", "ask", "--json"]
    commands = {
        "ask_found": ([*ask, SEEDS_FOUND], env),
        "ask_missing": ([*ask, SEEDS_MISSING], env),
        "jieba": (JIEBA_INIT, env),
    }
    return _wall_times(commands, ASK_ROUNDS, REPO)


def _wall_times(commands: dict[str, tuple[list[str], dict]], rounds: int, cwd: Path) -> dict:
    """Median wall time of each command, run in turn ``rounds`` times after one round
    that warms the caches."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(rounds + 1):
        for name, (command, env) in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
            # After the first round, a qabot that mentions its cache is rebuilding it.
            rebuilt = round_ and command is not JIEBA_INIT and "cache" in done.stderr
            if done.returncode or rebuilt:
                raise RuntimeError(f"{name}: {done.stderr[-2000:]}")
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()} | {"runs": times}


# ---- children: each prints one JSON object ----------------------------------------


def child_queries(work: Path) -> dict:
    import corpus

    from qabot.config import Settings
    from qabot.store.jieba_cache import make_tokenizer

    tokenizer = make_tokenizer(_settings(work / "tokenizer-only"))
    questions, terms = [], []
    for question in corpus.questions():
        found = tokenizer.terms(question)
        if found:
            questions.append(question)
            terms.append(found)
    work.mkdir(parents=True, exist_ok=True)
    (work / "queries.json").write_text(
        json.dumps({"questions": questions, "terms": terms}, ensure_ascii=False)
    )
    sections = {"tokenizer", "retriever", "reader"}
    return {
        "questions": len(questions),
        "dropped_without_terms": len(corpus.questions()) - len(questions),
        "settings": Settings().model_dump(mode="json", include=sections),
    }


def child_corpus(work: Path, size: str) -> dict:
    import corpus

    folder = work / f"notes-{size}"
    made = folder / "made.json"
    if not made.exists():
        shutil.rmtree(folder, ignore_errors=True)
        made.parent.mkdir(parents=True)
        made.write_text(json.dumps(corpus.write_notes(folder, int(size))))
    return json.loads(made.read_text())


def child_build(work: Path, size: str, code: str) -> dict:
    """A cold ``build_index`` of the notes by the code on the path, today's or the
    baseline's (``code`` names its run folder)."""
    if code == "baseline":  # 8409044 kept these in qabot.index and qabot.store
        import qabot.store.parts as parts  # type: ignore[import-not-found]
        from qabot.store.pool import available_cores  # type: ignore[import-not-found]

        from qabot.index import build_index  # type: ignore[attr-defined]
    else:
        import qabot.build.parts as parts  # type: ignore[no-redef]
        from qabot.build.builder import build_index  # type: ignore[no-redef]
        from qabot.build.pool import available_cores  # type: ignore[no-redef]

    run_dir = _run_dir(work, int(size), code)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    timed = {"seconds": 0.0, "chars": 0}
    tokenize = parts.tokenize

    def measured(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = tokenize(texts, *args, **kwargs)
        timed["seconds"] += time.perf_counter() - start
        timed["chars"] += sum(map(len, texts))
        return result

    parts.tokenize = measured
    settings = _settings(run_dir)
    start = time.perf_counter()
    index = build_index(work / f"notes-{size}", settings)
    seconds = time.perf_counter() - start
    cache = settings.index.cache_dir
    snapshot = [p for p in cache.rglob("*") if p.is_file() and _in_snapshot(p, cache)]
    return {
        "seconds": seconds,
        "tokenize_seconds": timed["seconds"],
        "tokenize_chars": timed["chars"],
        "workers": settings.index.workers or available_cores(),
        "stats": {
            k: getattr(index.stats, k)
            for k in ("files", "notes", "snippets_before_dedup", "snippets")
        },
        "snapshot_bytes": sum(p.stat().st_size for p in snapshot),
        "cache_bytes": sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()),
        "rss_mb": _rss(resource.RUSAGE_SELF),
        "worker_rss_mb": _rss(resource.RUSAGE_CHILDREN),
    }


def child_side_by_side(work: Path, size: str) -> dict:
    """Every system built from qabot's tokens, then every question put to each in turn.

    qabot answers from its snapshot as ``qabot ask`` opens it (memory-mapped); its
    matrix built from the tokens is timed too, then dropped. Each question goes to
    every system in an order that rotates by one per question, so no system always
    runs first (or last, on the caches the others warmed); rank-bm25 answers only the
    first :data:`RANK_BM25_QUERIES` questions of each round.
    """
    from peers import FROM_TOKENS, PEERS

    from qabot.build.builder import build_index

    settings = _settings(_run_dir(work, int(size), "today"))
    index = build_index(work / f"notes-{size}", settings)
    snippets = index.arrays.corpus.snippets
    ptr = np.asarray(snippets.term_ptr)
    documents = np.split(np.asarray(snippets.term_ids), ptr[1:-1])
    terms = index.arrays.corpus.terms.to_list()[: len(index.bm25.indptr) - 1]
    folder = work / "peers"
    systems: dict[str, Callable[[list[str]], object]] = {
        "qabot": lambda query: index.bm25.top_k(query, 10)
    }
    builds: dict[str, dict] = {}
    for name, peer in (FROM_TOKENS | PEERS).items():
        gc.collect()
        before = _current_rss_mb()
        start = time.perf_counter()
        search, disk = peer(documents, terms, folder)
        seconds = time.perf_counter() - start
        builds[name] = {
            "seconds": seconds,
            "disk_bytes": disk,
            "memory_mb": _current_rss_mb() - before,
        }
        if name not in FROM_TOKENS:
            systems[name] = search
        del search
    queries = json.loads((work / "queries.json").read_text())["terms"][:QUERIES]
    limits = {"rank-bm25": RANK_BM25_QUERIES.get(int(size), 5)}
    for query in queries[:10]:  # warm-up
        for search in systems.values():
            search(query)
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    names = list(systems)
    for _ in range(ROUNDS):
        for number, query in enumerate(queries):
            turn = number % len(names)
            for name in names[turn:] + names[:turn]:
                if number < limits.get(name, len(queries)):
                    start = time.perf_counter()
                    systems[name](query)
                    seconds[name].append(time.perf_counter() - start)
    return {
        "rounds": ROUNDS,
        "builds": builds,
        "retrieval": {name: _percentiles(values) for name, values in seconds.items()},
        "rss_mb": _rss(resource.RUSAGE_SELF),
    }


def child_serve(work: Path, size: str, reader: str) -> dict:
    """Warm load, then full questions; ``reader`` is "notes" (the default reader) or
    "plain" (``reader.candidate_notes = 0``)."""
    from qabot.build.builder import build_index
    from qabot.pipeline import QAPipeline
    from qabot.store.jieba_cache import make_tokenizer

    settings = _settings(_run_dir(work, int(size), "today"))
    if reader == "plain":
        plain = settings.reader.model_copy(update={"candidate_notes": 0})
        settings = settings.model_copy(update={"reader": plain})
    questions = json.loads((work / "queries.json").read_text())["questions"]
    start = time.perf_counter()
    tokenizer = make_tokenizer(settings)
    index = build_index(work / f"notes-{size}", settings, tokenizer)
    load = time.perf_counter() - start
    pipeline = QAPipeline(index, tokenizer, settings)
    start = time.perf_counter()
    pipeline.ask(questions[-1])
    first = time.perf_counter() - start

    def question(text: str) -> str:
        return json.dumps(pipeline.ask(text).to_dict(), ensure_ascii=False)

    for text in questions[:10]:  # warm-up
        question(text)
    seconds = []
    for text in questions[:QUERIES]:
        start = time.perf_counter()
        question(text)
        seconds.append(time.perf_counter() - start)
    return {
        "load_seconds": load,
        "full_question": _percentiles(seconds),
        "first_question_seconds": first,
        "rss_mb": _rss(resource.RUSAGE_SELF),
    }


def child_tokenize(work: Path, size: str) -> dict:
    """Throughput over an even sample of the corpus: qabot's tokenizing in one process
    and on every core (process pool start included), and ``jieba.lcut``; each run
    :data:`TOKENIZE_ROUNDS` times, alternating, and its fastest run kept: load from
    other work only ever slows a run down, so the fastest is the least disturbed."""
    import jieba

    import qabot.build.pool as pool
    from qabot.store.jieba_cache import make_tokenizer

    lines = [
        line
        for path in sorted((work / f"notes-{size}").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    sample = lines[:: max(1, len(lines) * 40 // TOKENIZE_SAMPLE_CHARS)]
    chars = sum(map(len, sample))
    settings = _settings(_run_dir(work, int(size), "today"))
    one = settings.model_copy(update={"index": settings.index.model_copy(update={"workers": 1})})
    tokenizer = make_tokenizer(settings)
    tokenizer.terms("预热")
    jieba.initialize()
    pool.PARALLEL_FROM_CHARS = 0  # the sample is small: take the pool anyway
    runs = {
        "qabot_one_process": lambda: pool.tokenize(sample, one, tokenizer),
        "qabot_all_cores": lambda: pool.tokenize(sample, settings, tokenizer),
        "jieba_lcut": lambda: [jieba.lcut(line) for line in sample],
    }
    seconds = {name: math.inf for name in runs}
    cpu = {name: math.inf for name in runs}
    for _ in range(TOKENIZE_ROUNDS):
        for name, run_once in runs.items():
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            run_once()
            seconds[name] = min(seconds[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], _cpu_seconds() - start_cpu)
    return {
        "sample_chars": chars,
        "chars_per_second": {name: chars / spent for name, spent in seconds.items()},
        # CPU time of this process and its (finished) workers: what other load can't hide.
        "chars_per_cpu_second": {name: chars / spent for name, spent in cpu.items()},
        "cores": pool.available_cores(),
    }


CHILDREN = {
    "queries": child_queries,
    "corpus": child_corpus,
    "build": child_build,
    "side": child_side_by_side,
    "serve": child_serve,
    "tokenize": child_tokenize,
}


# ---- helpers ----------------------------------------------------------------------


def _percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def _settings(run_dir: Path):  # type: ignore[no-untyped-def]
    from qabot.config import Settings

    return Settings(index={"cache_dir": run_dir / ".qabot-cache"})


def _run_dir(work: Path, size: int, code: str) -> Path:
    return work / f"run-{size}-{code}"


def _in_snapshot(path: Path, cache: Path) -> bool:
    """Whether ``path`` belongs to the snapshot a start loads (today a ``snapshot-*``
    folder, in the baseline one ``index.npz``), not to the per-file parts."""
    parts = path.relative_to(cache).parts
    return path.name == "index.npz" or any(part.startswith("snapshot-") for part in parts)


def _env(path: list[Path]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    return clean | {"PYTHONPATH": os.pathsep.join(map(str, path))}


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _cpu_seconds() -> float:
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _rss(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def machine() -> dict:
    from importlib.metadata import version

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    packages = ("numpy", "jieba", "rank-bm25", "bm25s", "tantivy")
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(int(memory) / 2**20, 1),
        "load_before": os.getloadavg(),
        "python": sys.version.split()[0],
        "versions": {p: version(p) for p in packages},
    }


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
