"""Write ``docs/performance.md`` from the results of ``bench_retrieval.py``.

Example:
    $ python benchmarks/bench_retrieval.py --report
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

SYSTEMS = ("qabot", "qabot-8409044", "bm25s-numba", "tantivy", "rank-bm25")
FAST_PEERS = ("bm25s-numba", "tantivy")
MB = 2**20


def write_report(results: dict, out: Path) -> None:
    sizes = sorted(int(key) for key in results if key.isdigit())
    lines = _header(results) + _corpora(results, sizes) + _builds(results, sizes)
    lines += _retrievals(results, sizes) + _qabot(results, sizes) + _seeds(results)
    lines += _tokenizing(results, sizes)
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
        " machine is shared with other work, so absolute times are noisy. Retrieval is"
        " timed side by side in one process, every system in turn on each question, so"
        " a change in load falls on all of them alike; builds and start-up are timed in"
        " fresh processes, alternating.",
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


def _builds(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Build",
        "",
        "*From raw notes*, every system pays for jieba. qabot's figure is a cold "
        "`build_index` in a fresh process: scan, read, split, tokenize (on every core "
        "from 1M characters), dedup, the BM25 matrices (snippets and notes), the "
        "glossary, save the snapshot; the baseline commit 8409044 is built the same way, "
        "the two alternating (five times each at 10k and 100k, once at 1M; the fastest "
        "run of each is shown). The peers' figure is their build from tokens "
        "plus the tokenizing time inside qabot's build (the same pool of workers on every"
        " core): they index qabot's tokens, so they pay what qabot paid for them, and "
        "nothing for reading, splitting or saving. *From tokens* is each system's index "
        "built from the same term ids in one process (qabot's: the snippet matrix "
        "`BM25Index.from_term_ids`). Memory is what the process's RSS grew by while that "
        "system was built and kept (qabot: the peak of the build process, its workers"
        " apart); on disk is what a start loads (qabot: the snapshot).",
        "",
        "| size | system | from raw notes (s) | from tokens (s) | memory (MB) | on disk (MB) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in sizes:
        entry = results[str(size)]
        builds = entry["side_by_side"]["builds"]
        tokenizing = entry["qabot_build"]["tokenize_seconds"]
        for system, cold in (("qabot", "qabot_build"), ("qabot-8409044", "baseline_build")):
            build = entry[cold]
            memory = f"{build['rss_mb']:,.0f}, {build['worker_rss_mb']:,.0f} per worker"
            lines.append(
                f"| {_n(size)} | {system} | {build['seconds']:.1f} "
                f"| {builds[system]['seconds']:.1f} | {memory} "
                f"| {build['snapshot_bytes'] / MB:,.0f} |"
            )
        for peer in ("bm25s-numba", "tantivy", "rank-bm25"):
            build = builds[peer]
            disk = build["disk_bytes"]
            disk = "in memory only" if disk is None else f"{disk / MB:,.0f}"
            lines.append(
                f"| {_n(size)} | {peer} | {tokenizing + build['seconds']:.1f} "
                f"| {build['seconds']:.1f} | {build['memory_mb']:,.0f} | {disk} |"
            )
    again = [
        f"{_n(size)} at {results[str(size)]['qabot_build']['measured']}"
        for size in sizes
        if "measured" in results[str(size)]["qabot_build"]
    ]
    if again:
        lines += ["", f"Cold builds measured again (`--redo build`): {', '.join(again)}."]
    return lines


def _retrievals(results: dict, sizes: list[int]) -> list[str]:
    rounds = next((results[str(s)]["side_by_side"]["rounds"] for s in sizes), "?")
    lines = [
        "",
        "## Retrieval, side by side",
        "",
        "A top 10 over the tokenized questions (the same terms for every system), one"
        " question at a time, in one process: each question goes to every system in turn,"
        " in an order that rotates by one per question, after 10 warm-up questions (numba"
        f" compiles bm25s's functions there); {rounds} rounds over the questions."
        " rank-bm25 scores every document in Python, so it answers only the first few"
        " questions of each round. qabot answers from its snapshot as `qabot ask` opens"
        " it (memory-mapped); qabot-8409044 from its matrix built from the tokens.",
        "",
        "| size | system | p50 (ms) | p95 (ms) | p99 (ms) | mean (ms) | questions timed |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        timed = results[str(size)]["side_by_side"]["retrieval"]
        for system in SYSTEMS:
            r = timed[system]
            lines.append(
                f"| {_n(size)} | {system} | {r['p50_ms']:.3f} | {r['p95_ms']:.3f} "
                f"| {r['p99_ms']:.3f} | {r['mean_ms']:.3f} | {r['n']:,} |"
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
        " first question of a process is shown apart, as it opens the snapshot's arrays."
        " `qabot ask` is the median wall time of the command with a warm cache,"
        ' interleaved with as many runs of `python -c "import jieba; jieba.initialize()"`.',
        "",
        "| size | warm load (s) | full question p50 / p95 (ms), no note ranking "
        "| full question p50 / p95 (ms), default | first question, default (s) "
        "| `qabot ask`, no note ranking (s) | `qabot ask`, default (s) "
        "| jieba initialize (s) | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        entry = results[str(size)]
        serve, reader, ask = entry.get("qabot_serve"), entry.get("qabot_reader"), entry.get("ask")
        if serve is None or reader is None or ask is None:
            continue
        lines.append(
            f"| {_n(size)} | {serve['load_seconds']:.2f} | {_full(serve)} | {_full(reader)} "
            f"| {reader['first_question_seconds']:.2f} | {ask['ask_plain']:.2f} "
            f"| {ask['ask']:.2f} | {ask['jieba']:.2f} | {len(ask['runs']['jieba'])} |"
        )
    return lines


def _seeds(results: dict) -> list[str]:
    seeds = results.get("ask_seeds")
    if seeds is None:
        return []
    return [
        "",
        "## One-shot `qabot ask` on the seeds",
        "",
        "The README's folder, from the repository, with a warm cache: median wall time of"
        " `qabot ask --json` with a question the seeds answer (AdamW 和 Adam 有什么区别?) and"
        " one they don't (What is the capital of Australia?, which also looks its words up"
        ' in CC-CEDICT), interleaved with `python -c "import jieba; jieba.initialize()"`.',
        "",
        "| question the seeds answer (s) | question they don't (s) | jieba initialize (s) | runs |",
        "|---:|---:|---:|---:|",
        f"| {seeds['ask_found']:.2f} | {seeds['ask_missing']:.2f} | {seeds['jieba']:.2f} "
        f"| {len(seeds['runs']['jieba'])} |",
    ]


def _tokenizing(results: dict, sizes: list[int]) -> list[str]:
    lines = [
        "",
        "## Tokenizing",
        "",
        "Characters per second tokenized by qabot's tokenizer over an even sample of each"
        " corpus: in one process, and on every core (`qabot.build.pool.tokenize`: this"
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

    def timed(size: int, system: str, percentile: str = "p50_ms") -> float:
        return get(size)["side_by_side"]["retrieval"][system][percentile]

    def against_fastest(percentile: str) -> Callable[[int], str]:
        def ratio(size: int) -> str:
            fastest = min(timed(size, peer, percentile) for peer in FAST_PEERS)
            return f"{timed(size, 'qabot', percentile) / fastest:.2f}×"

        return ratio

    def against(system: str) -> Callable[[int], str]:
        return lambda s: f"{timed(s, 'qabot') / timed(s, system):.2f}×"

    def build(size: int) -> str:
        entry = get(size)
        return f"{entry['qabot_build']['seconds'] / entry['baseline_build']['seconds']:.2f}×"

    def peak(size: int) -> str:
        entry = get(size)
        build, serve = entry["qabot_build"], entry["qabot_serve"]
        largest = max(build["rss_mb"], build["worker_rss_mb"], serve["rss_mb"]) / 1024
        return f"{largest:.2f} GB; {entry['qabot_reader']['rss_mb'] / 1024:.2f} GB, default reader"

    def tokenize(size: int, against: str) -> str:
        rate = get(size)["tokenize"]["chars_per_second"]
        return f"{rate['qabot_all_cores'] / rate[against]:.2f}×"

    def ask(size: int, name: str) -> str:
        times = get(size)["ask"]
        return f"{times[name] / times['jieba']:.2f}×"

    def seeds(name: str) -> Callable[[int], str]:
        times = results.get("ask_seeds", {})
        return lambda s: f"{times[name] / times['jieba']:.2f}×"

    return [
        (
            "qabot p50 ÷ the faster of bm25s-numba and tantivy",
            "≤ 1.0× at 100k and 1M",
            against_fastest("p50_ms"),
        ),
        (
            "qabot p95 ÷ the faster of bm25s-numba and tantivy",
            "≤ 1.5× at 100k and 1M",
            against_fastest("p95_ms"),
        ),
        ("qabot p50 ÷ bm25s-numba p50", "", against("bm25s-numba")),
        ("qabot p50 ÷ tantivy p50", "", against("tantivy")),
        ("qabot p50 ÷ qabot-8409044 p50", "≤ 1.1×", against("qabot-8409044")),
        ("qabot build ÷ qabot-8409044 build, from raw notes", "≤ 1.1×", build),
        (
            "rank-bm25 p50 ÷ qabot p50",
            "≥ 300× at 1M",
            lambda s: f"{timed(s, 'rank-bm25') / timed(s, 'qabot'):,.0f}×",
        ),
        (
            "full question p50, no note ranking",
            "≤ 20 ms at 1M",
            lambda s: _ms(get(s)["qabot_serve"]),
        ),
        (
            "full question p50, default reader",
            "≤ 20 ms at 1M",
            lambda s: _ms(get(s)["qabot_reader"]),
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
        (
            "`qabot ask` on the seeds ÷ jieba initialize, answered (any size: one figure)",
            "≤ 0.8×",
            seeds("ask_found"),
        ),
        (
            "`qabot ask` on the seeds ÷ jieba initialize, not covered",
            "≤ 0.8×",
            seeds("ask_missing"),
        ),
        ("peak RSS of a qabot process", "≤ 2.5 GB at 1M", peak),
    ]


def _full(serve: dict) -> str:
    full = serve["full_question"]
    return f"{full['p50_ms']:.2f} / {full['p95_ms']:.2f}"


def _ms(serve: dict) -> str:
    return f"{serve['full_question']['p50_ms']:.1f} ms"


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
  gives (default settings: jieba words plus Chinese character bigrams; notes are also
  cut in jieba's search mode, `tokenizer.index_search_mode`, which the baseline did
  not do, so today's index holds a few more postings). rank-bm25 is
  sampled on fewer questions (it scores every document in Python).
- **The baseline.** qabot-8409044 is the code before issue 14's refactor, taken with
  `git archive` at the start of the run: its cold build runs as it was, and its
  retriever is loaded beside today's under the name `qabot_baseline`.
- **Exact scores.** qabot's scores are rank-bm25's `get_scores`, bit for bit
  (`tests/retriever/test_bm25.py`); its top 10 is rank-bm25's sorted by score, then
  document. bm25s (Lucene's BM25) and tantivy (its own BM25) rank with their own
  formulas.
- **Tails.** bm25s scores every document of the corpus for every question (dense,
  compiled by numba), so its time hardly depends on the question: its p95 is close to
  its p50. qabot and tantivy read only the postings of the question's terms. A
  question with a common word or bigram reads many more, so their p95 is several
  times their p50. qabot adds every posting in one `np.add.at` (exact), then takes a
  cut-off from the three rarest columns holding k documents (a score k documents
  reach) and does not read back the longest columns whose largest weights add up to
  less: a document only they hold cannot reach it (`qabot/retriever/bm25.py`). At
  1M that gathering had been a third of a slow question's time. A MaxScore attempt
  (score the rare columns' documents exactly and bound the rest) was measured and
  dropped: at 1M its bound failed for most long questions.
- **Build against 8409044.** Since 8409044 a cold build also does more:
  - it saves jieba's dictionary with a hash index, once per cache folder
    (`qabot/store/jieba_cache.py`), which lets a one-shot `qabot ask` start in less
    time than jieba's own load;
  - it reads notes as documents: hard-wrapped lines are joined, and offsets and
    headings are kept;
  - it mines the notes' glossary.

  That made it 1.16–1.20× the baseline at 10k and 100k. It is paid back elsewhere:
  string tables and their hash indexes (jieba's 500k words, titles, the term lookups)
  are made with numpy, CRC-32 included (`qabot/arrays/strings.py`); dedup normalizes
  a batch at a time and runs NFKC only on text that needs it (`qabot/build/dedup.py`);
  parts and the join number their terms a batch at a time. Single builds on this
  machine vary by up to ±40 % from other work, so each side is built five times,
  alternating, and the fastest kept.
- **Start-up.** `qabot ask` loads the snapshot (memory-mapped, CRC-checked), and
  jieba's dictionary from the cache (`qabot/store/jieba_cache.py`), which is faster
  than jieba's own load: that is why it can take less time than the jieba baseline.
  An English question also reads CC-CEDICT, decompressed once into the cache
  (`qabot/store/dictionary_cache.py`: about 10 ms instead of 60).
- **The default reader.** With `reader.candidate_notes > 0` the reader first ranks
  whole notes with a second BM25 matrix (words, and bigrams at their weight, in one
  sparse top-k), built with the index and saved in the snapshot
  (`qabot/retriever/note_ranker.py`). The columns "no note ranking" show what the
  snippet index alone costs.
- **Peak RSS building.** The build's peak comes while a weight matrix is weighed, on
  top of the assembled index (the note matrix first, then the snippets' own); the
  build hands the C allocator's freed pages back between its steps
  (`qabot/arrays/memory.py`).
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
.venv/bin/pip install -e '.[bench]'   # bm25s with numba, tantivy
.venv/bin/python benchmarks/bench_retrieval.py                        # 10k, 100k, 1M
.venv/bin/python benchmarks/bench_retrieval.py --sizes 10000,100000   # quicker
.venv/bin/python benchmarks/bench_retrieval.py --report               # page from results
```

Corpora, caches and raw results (`results.json`) go to `$TMPDIR/qabot-bench`
(`--work DIR` to change).
"""
)
