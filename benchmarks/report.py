"""Write ``docs/performance.md`` from the results of ``bench_retrieval.py``.

Example:
    $ python benchmarks/bench_retrieval.py --report
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

PEERS = ("rank-bm25", "bm25s", "tantivy")
MB = 2**20


def write_report(results: dict, out: Path) -> None:
    sizes = sorted(int(key) for key in results if key.isdigit())
    lines = _header(results) + _corpora(results, sizes) + _systems(results, sizes)
    lines += _qabot(results, sizes) + _tokenizing(results, sizes)
    lines += ["", "## Ratios and targets", "", "| measure | target | "]
    lines[-1] += " | ".join(_n(size) for size in sizes) + " |"
    lines.append("|---|---|" + "---:|" * len(sizes))
    for name, target, value in _ratios(results):
        lines.append(f"| {name} | {target} | " + " | ".join(_safe(value, s) for s in sizes) + " |")
    lines += ["", "Settings of the run (the defaults):", "", "```json"]
    lines += [json.dumps(results["queries"]["settings"], ensure_ascii=False, indent=1), "```"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n" + _REPRODUCE, encoding="utf-8")


def _header(results: dict) -> list[str]:
    machine = results["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    return [
        "# Performance",
        "",
        "Written by `benchmarks/bench_retrieval.py`; every number and ratio below comes from",
        f"one run ({results['started']} to {results.get('finished', '?')}). Do not edit by hand.",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB RAM,"
        f" Python {machine['python']}; {versions}. Load average (1, 5, 15 min) before the"
        f" run {_load(machine['load_before'])}, after {_load(machine['load_after'])}: the"
        " machine was shared with other work, so absolute times are noisy. Ratios compare"
        " measurements made minutes apart in the same run.",
    ]


def _corpora(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Corpora",
        "",
        "Notes are CMRC 2018 dev context sentences (cut by qabot's splitter), one per line,"
        " 1,000 lines per file. The real sentences come first; larger corpora add synthetic"
        " sentences: a real sentence's jieba words with each word, with probability 0.5,"
        " replaced by a word drawn from the corpus's word frequencies"
        " (`benchmarks/corpus.py`). Questions are the CMRC dev questions, tokenized by"
        f" qabot ({results['queries']['questions']:,} with at least one term). qabot runs"
        " with its default settings, listed after the ratios.",
        "",
        "| size | sentences | real | synthetic | characters | snippets after dedup |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        c, b = results[str(size)]["corpus"], results[str(size)]["qabot_build"]
        lines.append(
            f"| {_n(size)} | {c['sentences']:,} | {c['real']:,} | {c['synthetic']:,} "
            f"| {c['chars']:,} | {b['stats']['snippets']:,} |"
        )
    return lines


def _systems(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Build, retrieval, memory, disk",
        "",
        "Retrieval is a top 10 over tokenized questions (the same terms for every system),"
        " one question at a time, after 10 warm-up questions. qabot's build is a cold"
        " `build_index`: read, split, dedup, tokenize (on every core from 1M characters),"
        " BM25, save the cache. The peers index qabot's tokens, so their build has no"
        " tokenizing in it. qabot's size on disk is the snapshot loaded at start-up.",
        "",
        "| size | system | build (s) | query p50 (ms) | query p99 (ms) | queries "
        "| peak RSS (MB) | on disk (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        entry = results[str(size)]
        build, serve = entry["qabot_build"], entry.get("qabot_serve")
        if serve is not None:
            rss = (
                f"{build['rss_mb']:,.0f} building, {build['worker_rss_mb']:,.0f} per worker,"
                f" {serve['rss_mb']:,.0f} serving"
            )
            when = f" (built {build['measured']})" if "measured" in build else ""
            lines.append(
                f"| {_n(size)} | qabot{when} | {build['seconds']:.1f} | {_retrieval(serve)} "
                f"| {rss} | {build['snapshot_bytes'] / MB:,.0f} |"
            )
        for peer in PEERS:
            p = entry.get(peer)
            if p is None:
                lines.append(f"| {_n(size)} | {peer} | not run | | | | | |")
                continue
            disk = "in memory only" if p["disk_bytes"] is None else f"{p['disk_bytes'] / MB:,.0f}"
            lines.append(
                f"| {_n(size)} | {peer} | {p['build_seconds']:.1f} | {_retrieval(p)} "
                f"| {p['rss_mb']:,.0f} | {disk} |"
            )
    return lines


def _qabot(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Questions and start-up",
        "",
        "A full question is `QAPipeline.ask` (tokenizing, retrieval, the reader's sentence"
        " choice) plus rendering the `--json` answer, over the same questions. It is measured"
        " with the default reader, and with `reader.candidate_notes = 0`: the reader then"
        " chooses among the retrieved sentences without first ranking whole notes. The"
        " default reader's note-level BM25 is built with the index and loaded from the"
        " snapshot; the first question of a process is shown apart, as it opens it."
        " `qabot ask` is the median wall time of the command with a warm cache,"
        ' interleaved with as many runs of `python -c "import jieba; jieba.initialize()"`.',
        "",
        "| size | warm load (s) | full question p50 / p99 (ms), no note ranking "
        "| full question p50 / p99 (ms), default | first question, default (s) "
        "| `qabot ask`, no note ranking (s) | `qabot ask`, default (s) "
        "| jieba initialize (s) | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        entry = results[str(size)]
        serve, reader, ask = entry.get("qabot_serve"), entry.get("qabot_reader"), entry.get("ask")
        if serve is None or ask is None:
            continue
        first = reader and reader["first_question_seconds"]
        lines.append(
            f"| {_n(size)} | {serve['load_seconds']:.2f} | {_full(serve)} | {_full(reader)} "
            f"| {_seconds(first)} | {ask['ask_plain']:.2f} | {_seconds(ask.get('ask'))} "
            f"| {ask['jieba']:.2f} | {len(ask['runs']['jieba'])} |"
        )
    return lines


def _tokenizing(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Tokenizing",
        "",
        "Characters per second tokenized by qabot's tokenizer over an even sample of each"
        " corpus: in one process, and on every core (`qabot.store.pool.tokenize`: this"
        " process and a pool of workers, starting the pool included), next to `jieba.lcut`"
        " in one process; each run five times, alternating, and the fastest run kept (load"
        " from other work on this shared machine only slows runs down). Per wall-clock"
        " second (the target),"
        " and per CPU second of all processes together, which load from other work does not"
        " change: their ratio shows what the pool costs. The cold build's own rate"
        " (snippets and titles) is shown too.",
        "",
        "| size | qabot, 1 process | qabot, all cores | jieba.lcut, 1 process "
        "| per CPU second: 1 process / all cores | in the cold build | sample (chars) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        entry = results[str(size)]
        if "tokenize" not in entry:
            continue
        tokenize = entry["tokenize"]
        rate, cpu = tokenize["chars_per_second"], tokenize.get("chars_per_cpu_second")
        per_cpu = f"{cpu['qabot_one_process']:,.0f} / {cpu['qabot_all_cores']:,.0f}" if cpu else ""
        when = f" (measured {tokenize['measured']})" if "measured" in tokenize else ""
        lines.append(
            f"| {_n(size)}{when} | {rate['qabot_one_process']:,.0f} "
            f"| {rate['qabot_all_cores']:,.0f} | {rate['jieba_lcut']:,.0f} | {per_cpu} "
            f"| {_rate(entry['qabot_build']):,.0f} | {tokenize['sample_chars']:,} |"
        )
    return lines


def _ratios(results: dict) -> list[tuple[str, str, Callable[[int], str]]]:
    def get(size: int) -> dict:
        return results[str(size)]

    def p50(size: int, system: str) -> float:
        entry = get(size)
        source = entry["qabot_serve"] if system == "qabot" else entry[system]
        return source["retrieval"]["p50_ms"]

    def fastest_peer(size: int) -> float:
        return min(p50(size, "bm25s"), p50(size, "tantivy"))

    def peak(size: int) -> str:
        build, serve = get(size)["qabot_build"], get(size)["qabot_serve"]
        largest = max(build["rss_mb"], build["worker_rss_mb"], serve["rss_mb"]) / 1024
        reader = get(size).get("qabot_reader")
        with_reader = f"; {reader['rss_mb'] / 1024:.2f} GB, default reader" if reader else ""
        return f"{largest:.2f} GB{with_reader}"

    def tokenize(size: int, against: str) -> str:
        rate = get(size)["tokenize"]["chars_per_second"]
        return f"{rate['qabot_all_cores'] / rate[against]:.2f}×"

    def ask(size: int, name: str) -> str:
        times = get(size)["ask"]
        return f"{times[name] / times['jieba']:.2f}×" if name in times else "not run"

    return [
        (
            "rank-bm25 p50 ÷ qabot p50",
            "≥ 300× at 1M",
            lambda s: f"{p50(s, 'rank-bm25') / p50(s, 'qabot'):,.0f}×",
        ),
        (
            "qabot p50 ÷ the faster of bm25s and tantivy",
            "≤ 1.5× at every size",
            lambda s: f"{p50(s, 'qabot') / fastest_peer(s):.2f}×",
        ),
        ("qabot p50 ÷ bm25s p50", "", lambda s: f"{p50(s, 'qabot') / p50(s, 'bm25s'):.2f}×"),
        ("qabot p50 ÷ tantivy p50", "", lambda s: f"{p50(s, 'qabot') / p50(s, 'tantivy'):.2f}×"),
        (
            "full question p50, no note ranking",
            "≤ 20 ms at 1M",
            lambda s: _ms(get(s)["qabot_serve"]),
        ),
        (
            "full question p50, default reader",
            "≤ 20 ms at 1M",
            lambda s: _ms(get(s).get("qabot_reader")),
        ),
        (
            "tokenizing on all cores ÷ qabot's tokenizer in 1 process",
            "≥ 1.7× on 2 cores",
            lambda s: tokenize(s, "qabot_one_process"),
        ),
        (
            "tokenizing on all cores ÷ jieba.lcut in 1 process",
            "≥ 1.7× on 2 cores",
            lambda s: tokenize(s, "jieba_lcut"),
        ),
        (
            "`qabot ask` ÷ jieba initialize, no note ranking",
            "≤ 1.3× at 100k",
            lambda s: ask(s, "ask_plain"),
        ),
        (
            "`qabot ask` ÷ jieba initialize, default reader",
            "≤ 1.3× at 100k",
            lambda s: ask(s, "ask"),
        ),
        ("peak RSS of a qabot process", "≤ 2.5 GB at 1M", peak),
    ]


def _retrieval(measured: dict) -> str:
    r = measured["retrieval"]
    return f"{r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['n']:,}"


def _full(serve: dict | None) -> str:
    if serve is None:
        return "not run"
    full = serve["full_question"]
    return f"{full['p50_ms']:.2f} / {full['p99_ms']:.2f}"


def _ms(serve: dict | None) -> str:
    return "not run" if serve is None else f"{serve['full_question']['p50_ms']:.1f} ms"


def _seconds(value: float | None) -> str:
    return "not run" if value is None else f"{value:.2f}"


def _safe(value: Callable[[int], str], size: int) -> str:
    try:
        return value(size)
    except KeyError:  # a measurement this (partial) run did not make
        return "not run"


def _rate(build: dict) -> float:
    return build["tokenize_chars"] / build["tokenize_seconds"]


def _n(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def _load(values: list[float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


_NOTES = """
## How to read this

- **Same tokens everywhere.** Every system retrieves over the terms qabot's tokenizer
  gives (default settings: jieba words plus Chinese character bigrams), so the peers'
  build times leave tokenizing out while qabot's include it. rank-bm25 is sampled on
  fewer questions at large sizes (it scores every document in Python).
- **Exact scores.** qabot's scores are rank-bm25's `get_scores`, bit for bit
  (`tests/retriever/test_bm25.py`); its top 10 is rank-bm25's sorted by score, then
  document. bm25s (Lucene's BM25) and tantivy (its own BM25) rank with their own
  formulas.
- **Start-up.** `qabot ask` loads the snapshot (memory-mapped, CRC-checked), and
  jieba's dictionary from the cache (`qabot/store/jieba_cache.py`), which is faster
  than jieba's own load: that is why it can take less time than the jieba baseline.
- **The default reader.** With `reader.candidate_notes > 0` the reader first ranks
  whole notes with a second BM25 matrix (words, and bigrams at their weight, in one
  sparse top-k), built with the index and saved in the snapshot
  (`qabot/retriever/note_ranker.py`). The columns "no note ranking" show what the
  snippet index alone costs.
- **Peak RSS building.** The build's peak comes while a weight matrix is weighed, on
  top of the assembled index (the note matrix first, then the snippets' own); the
  build hands the C allocator's freed pages back between its steps
  (`qabot/store/memory.py`). Serving the same index takes less (the "serving" figure).
- **Tokenizing.** The per-CPU-second columns show what the pool costs. Each worker
  numbers the terms it finds and sends back only those new to it, which this process
  numbers while the workers go on; chunks get smaller towards the end, so the cores
  run out of work together. qabot's tokenizer does more per character than jieba's
  cut (folding, English terms, bigrams, stopwords, numbering the terms) but runs
  jieba's dictionary cut and HMM through faster copies that give the same words; two
  busy cores of a shared machine run slower than one.
- **Synthetic text.** Beyond the ~10.5k real sentences the corpora are word-level
  variations of them: realistic lengths, punctuation and term frequencies, but each
  real sentence's words recur across its copies, and the vocabulary grows only through
  new character bigrams.
"""

_REPRODUCE = (
    _NOTES
    + """
## Reproducing

```sh
.venv/bin/pip install -e '.[bench]'
.venv/bin/python benchmarks/bench_retrieval.py                        # 10k, 100k, 1M
.venv/bin/python benchmarks/bench_retrieval.py --sizes 10000,100000   # quicker
.venv/bin/python benchmarks/bench_retrieval.py --report               # page from results
```

Corpora, caches and raw results (`results.json`) go to `$TMPDIR/qabot-bench`
(`--work DIR` to change).
"""
)
