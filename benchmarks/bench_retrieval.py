"""Retrieval speed at 10k, 100k and 1M snippets: qabot against rank-bm25, bm25s and tantivy.

Corpora come from CMRC 2018 dev (see ``corpus.py``: the real sentences, then
synthetic variants of them). For each size, in one run, it measures qabot's cold
index build (time, tokenization throughput, peak RSS, size on disk), its warm start,
retrieval latency (top 10) and full-question latency over CMRC questions, and
``qabot ask`` wall time against ``python -c "import jieba; jieba.initialize()"``; and
the same build and retrieval figures for each peer (``peers.py``), over qabot's tokens.
It writes ``docs/performance.md`` with every ratio computed within the run.

Each measurement runs in a fresh child process, so each peak RSS is its own. The
code measured is a copy of ``qabot/`` and ``benchmarks/`` taken at the start, so edits
made while it runs don't invalidate its caches. Results are kept in
``WORK/results.json`` as they come; ``--report`` rewrites the page from them.

Usage:
    python benchmarks/bench_retrieval.py                       # 10k, 100k and 1M
    python benchmarks/bench_retrieval.py --sizes 10000,100000  # a quicker run
    python benchmarks/bench_retrieval.py --report              # page from saved results
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from qabot.store.pool import available_cores
from report import write_report

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZES = (10_000, 100_000, 1_000_000)
QUERIES = 2000
# rank-bm25 scores every document in Python: a sample of questions is enough.
RANK_BM25_QUERIES = {10_000: 1000, 100_000: 100, 1_000_000: 20}
ASK_ROUNDS = 7
# At 1M a `qabot ask` takes long enough that a few runs give a steady median.
ASK_ROUNDS_AT = {1_000_000: 3}
# Enough characters that starting the process pool (~3 s) is a small part of the time.
TOKENIZE_SAMPLE_CHARS = 1_500_000
# Alternating runs of each tokenizer; the fastest counts.
TOKENIZE_ROUNDS = 5
BASELINE = [sys.executable, "-c", "import jieba; jieba.initialize()"]
# What --redo can measure again: the child, and where its results go.
REDO = {"tokenize": "tokenize", "build": "qabot_build"}


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
    source = _snapshot(work)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results["machine"] = machine()
    results["started"] = time.strftime("%Y-%m-%d %H:%M:%S")

    def child(*task: str) -> dict:
        return _child(work, source, *task)

    def save() -> None:
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results["machine"]["load_after"] = os.getloadavg()
        results_file.write_text(json.dumps(results, indent=1))

    results["queries"] = child("queries")
    for size in sizes:
        entry = results[str(size)] = {}
        entry["corpus"] = child("corpus", str(size))
        entry["qabot_build"] = child("build", str(size))
        save()
        entry["qabot_serve"] = child("serve", str(size), "plain")
        entry["ask"] = ask_wall_time(work, size, source)
        entry["tokenize"] = child("tokenize", str(size))
        save()
        for peer in ("rank-bm25", "bm25s", "tantivy"):
            entry[peer] = child("peer", peer, str(size))
            save()
        entry["qabot_reader"] = child("serve", str(size), "notes")
        save()


def redo(work: Path, sizes: list[int], results_file: Path, name: str) -> None:
    """Measure ``name`` again for ``sizes`` with the current code; the page says when."""
    source = _snapshot(work)
    results = json.loads(results_file.read_text())
    for size in sizes:
        entry = _child(work, source, name, str(size))
        entry["measured"] = time.strftime("%Y-%m-%d %H:%M:%S")
        entry["load"] = os.getloadavg()
        results[str(size)][REDO[name]] = entry
        results_file.write_text(json.dumps(results, indent=1))


def _snapshot(work: Path) -> Path:
    """A copy of the code to measure, so edits made meanwhile don't change it."""
    source = work / "src"
    shutil.rmtree(source, ignore_errors=True)
    for name in ("qabot", "benchmarks"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def _child(work: Path, source: Path, *task: str) -> dict:
    script = source / "benchmarks" / "bench_retrieval.py"
    command = [sys.executable, str(script), "--work", str(work), "--child", *task]
    log(" ".join(task))
    done = subprocess.run(command, env=_env(source), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{task}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ask_wall_time(work: Path, size: int, source: Path) -> dict:
    """Median wall times of ``qabot ask`` (warm cache) and jieba's initialize, interleaved.

    ``ask`` is the default reader; ``ask_plain`` has ``reader.candidate_notes = 0``, the
    reader without its note ranking.
    """
    question = json.loads((work / "queries.json").read_text())["questions"][0]
    folder = work / f"notes-{size}"
    ask = [sys.executable, "-m", "qabot", "ask", "--json", "--notes", str(folder), question]
    plain = _env(source) | {"QABOT_READER__CANDIDATE_NOTES": "0"}
    commands = {
        "ask_plain": (ask, plain),
        "ask": (ask, _env(source)),
        "jieba": (BASELINE, _env(source)),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(ASK_ROUNDS_AT.get(size, ASK_ROUNDS) + 1):
        for name, (command, env) in commands.items():
            start = time.perf_counter()
            done = subprocess.run(
                command, cwd=_run_dir(work, size), env=env, capture_output=True, text=True
            )
            if done.returncode or (name != "jieba" and "cache" in done.stderr):
                raise RuntimeError(f"{name}: {done.stderr[-2000:]}")
            if round_:  # the first round warms the page cache
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()} | {"runs": times}


# ---- children: each prints one JSON object ----------------------------------------


def child_queries(work: Path) -> dict:
    import corpus

    from qabot.config import Settings
    from qabot.index import make_tokenizer

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


def child_build(work: Path, size: str) -> dict:
    import qabot.store.parts as parts

    from qabot.index import build_index

    run_dir = _run_dir(work, int(size))
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
    return {
        "seconds": seconds,
        "tokenize_seconds": timed["seconds"],
        "tokenize_chars": timed["chars"],
        "workers": settings.index.workers or available_cores(),
        "stats": {
            k: getattr(index.stats, k)
            for k in ("files", "notes", "snippets_before_dedup", "snippets")
        },
        "snapshot_bytes": sum(p.stat().st_size for p in cache.rglob("index.npz")),
        "cache_bytes": sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()),
        "rss_mb": _rss(resource.RUSAGE_SELF),
        "worker_rss_mb": _rss(resource.RUSAGE_CHILDREN),
    }


def child_serve(work: Path, size: str, reader: str) -> dict:
    """Warm load, then retrieval and full questions; ``reader`` is "notes" (the default
    reader) or "plain" (``reader.candidate_notes = 0``)."""
    from qabot.index import build_index, make_tokenizer
    from qabot.pipeline import QAPipeline

    settings = _settings(_run_dir(work, int(size)))
    if reader == "plain":
        plain = settings.reader.model_copy(update={"candidate_notes": 0})
        settings = settings.model_copy(update={"reader": plain})
    queries = json.loads((work / "queries.json").read_text())
    start = time.perf_counter()
    tokenizer = make_tokenizer(settings)
    index = build_index(work / f"notes-{size}", settings, tokenizer)
    load = time.perf_counter() - start
    retrieval = _latencies(lambda query: index.bm25.top_k(query, 10), queries["terms"][:QUERIES])
    pipeline = QAPipeline(index, tokenizer, settings)
    start = time.perf_counter()
    pipeline.ask(queries["questions"][-1])
    first = time.perf_counter() - start

    def question(text: str) -> str:
        return json.dumps(pipeline.ask(text).to_dict(), ensure_ascii=False)

    full = _latencies(question, queries["questions"][:QUERIES])
    return {
        "load_seconds": load,
        "retrieval": retrieval,
        "full_question": full,
        "first_question_seconds": first,
        "rss_mb": _rss(resource.RUSAGE_SELF),
    }


def child_tokenize(work: Path, size: str) -> dict:
    """Throughput over an even sample of the corpus: qabot's tokenizing in one process
    and on every core (process pool start included), and ``jieba.lcut``; each run
    :data:`TOKENIZE_ROUNDS` times, alternating, and its fastest run kept: load from
    other work only ever slows a run down, so the fastest is the least disturbed."""
    import jieba
    import qabot.store.pool as pool

    from qabot.index import make_tokenizer

    lines = [
        line
        for path in sorted((work / f"notes-{size}").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    sample = lines[:: max(1, len(lines) * 40 // TOKENIZE_SAMPLE_CHARS)]
    chars = sum(map(len, sample))
    settings = _settings(_run_dir(work, int(size)))
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
        "cores": available_cores(),
    }


def child_peer(work: Path, name: str, size: str) -> dict:
    from peers import PEERS
    from qabot.store.tables import StringTable

    arrays = np.load(next((_run_dir(work, int(size)) / ".qabot-cache").rglob("index.npz")))
    terms = StringTable(arrays["terms_data"], arrays["terms_offsets"]).to_list()
    ptr = arrays["snippet_term_ptr"]
    documents = np.split(arrays["snippet_term_ids"], ptr[1:-1])
    start = time.perf_counter()
    search, disk = PEERS[name](documents, terms, _run_dir(work, int(size)) / "peers")
    build = time.perf_counter() - start
    queries = json.loads((work / "queries.json").read_text())["terms"]
    count = RANK_BM25_QUERIES.get(int(size), 20) if name == "rank-bm25" else QUERIES
    return {
        "build_seconds": build,
        "retrieval": _latencies(search, queries[:count]),
        "disk_bytes": disk,
        "rss_mb": _rss(resource.RUSAGE_SELF),
    }


CHILDREN = {
    "queries": child_queries,
    "corpus": child_corpus,
    "build": child_build,
    "serve": child_serve,
    "tokenize": child_tokenize,
    "peer": child_peer,
}


# ---- helpers ----------------------------------------------------------------------


def _latencies(call, items: list, warmup: int = 10) -> dict:  # type: ignore[no-untyped-def]
    for item in items[:warmup]:
        call(item)
    seconds = []
    for item in items:
        start = time.perf_counter()
        call(item)
        seconds.append(time.perf_counter() - start)
    ms = np.array(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def _settings(run_dir: Path):  # type: ignore[no-untyped-def]
    from qabot.config import Settings

    return Settings(index={"cache_dir": run_dir / ".qabot-cache"})


def _run_dir(work: Path, size: int) -> Path:
    return work / f"run-{size}"


def _env(source: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    return clean | {"PYTHONPATH": f"{source}{os.pathsep}{source / 'benchmarks'}"}


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
        "cores": available_cores(),
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
