"""Reproduce every number in docs/quality.md: each reader variant on four sets.

For every variant (settings overrides on top of the built-in defaults) it measures:

- CMRC 2018 dev (``benchmarks/data/cmrc2018_dev.json``) as in ``qabot eval --squad``;
- the seed question set (``tests/data/seed_questions.jsonl``) over ``seeds/``;
- the CMRC dev questions asked against ``seeds/``, which must all abstain;
- the real-notes question set (``benchmarks/data/llm_notes_questions.jsonl``) over the
  vendored LLMForEverybody notes, per kind of question.

Then it writes the variants' table, and the chosen variant's real-notes table per kind,
into docs/quality.md. The index cache is off, so every variant is built from scratch.

Usage:
    .venv/bin/python benchmarks/bench_quality.py              # all variants, ~35 min
    .venv/bin/python benchmarks/bench_quality.py --jobs 2     # two at a time, ~20 min
    .venv/bin/python benchmarks/bench_quality.py --only chosen --no-write
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qabot.config import Settings  # noqa: E402
from qabot.eval.questions import load_questions  # noqa: E402
from qabot.eval.report import evaluate  # noqa: E402
from qabot.eval.squad import evaluate_squad  # noqa: E402
from qabot.pipeline import QAPipeline  # noqa: E402

CMRC = REPO / "benchmarks" / "data" / "cmrc2018_dev.json"
SEED_SET = REPO / "tests" / "data" / "seed_questions.jsonl"
SEEDS = REPO / "seeds"
REAL_SET = REPO / "benchmarks" / "data" / "llm_notes_questions.jsonl"
REAL_NOTES = REPO / "benchmarks" / "data" / "notes-luhengshiwo-LLMForEverybody"
DOC = REPO / "docs" / "quality.md"
TABLE_START = "<!-- bench_quality table start -->"
TABLE_END = "<!-- bench_quality table end -->"
KINDS_START = "<!-- bench_quality kinds start -->"
KINDS_END = "<!-- bench_quality kinds end -->"

# The plain baseline: sentence BM25, basic stopwords, coverage of the answer sentences.
BASELINE: dict[str, Any] = {
    "tokenizer": {"extended_stopwords": False, "char_bigrams": False, "index_search_mode": False},
    "reader": {
        "candidate_notes": 0,
        "min_coverage": 0.5,
        "coverage_scope": "answer",
        "char_credit": 0.0,
        "unseen_name_weight": 1.0,
        "inner_words": False,
        "title_repeats": 0,
        "translations": 0,
        "sentence_bm25_weight": 0.0,
        "definition_weight": 0.0,
        "untyped_penalty": 0.0,
        "runner_up_margin": 0.0,
        "restatement_penalty": 0.0,
        "note_glossary": False,
        "dictionary_weight": 1.0,
        "homophone_weight": 0.0,
        "title_credit": 0.0,
    },
}
# Two stages with nothing but the note score and global-IDF term coverage.
TWO_STAGE: dict[str, Any] = {
    "tokenizer": {**BASELINE["tokenizer"], "extended_stopwords": True},
    "reader": {
        **BASELINE["reader"],
        "candidate_notes": 3,
        "local_idf": False,
        "char_weight": 0.0,
        "answer_type_weight": 0.0,
    },
}


def _merge(base: dict[str, Any], **sections: dict[str, Any]) -> dict[str, Any]:
    merged = {name: dict(values) for name, values in base.items()}
    for name, values in sections.items():
        merged.setdefault(name, {}).update(values)
    return merged


_LOCAL = _merge(TWO_STAGE, reader={"local_idf": True})
_CHARS = _merge(_LOCAL, reader={"char_weight": 1.0})
_TYPES = _merge(_CHARS, reader={"answer_type_weight": 0.2})
_ABSTAIN = _merge(
    _TYPES,
    reader={
        "coverage_scope": "note",
        "char_credit": 0.5,
        "unseen_name_weight": 2.0,
        "min_coverage": 0.4,
    },
)
_BIGRAMS = _merge(_ABSTAIN, tokenizer={"char_bigrams": True}, reader={"bigram_weight": 1.0})
_BIGRAMS_LIGHT = _merge(_BIGRAMS, reader={"bigram_weight": 0.25})
_TITLE = _merge(_BIGRAMS_LIGHT, reader={"title_repeats": 1})
_TRANSLATE = _merge(_TITLE, reader={"translations": 1})
_RUNNER_UP = _merge(_TRANSLATE, reader={"runner_up_margin": 0.25, "char_weight": 0.5})
_GLOSSARY = _merge(_RUNNER_UP, reader={"note_glossary": True})
_DICTIONARY = _merge(_GLOSSARY, reader={"dictionary_weight": 0.75})
_HOMOPHONES = _merge(_DICTIONARY, reader={"homophone_weight": 0.5})
_RESTATE = _merge(_HOMOPHONES, reader={"restatement_penalty": 1.0})
_PARAGRAPHS = _merge(_RESTATE, reader={"candidate_notes": 10, "title_repeats": 2})
_HEADINGS = _merge(_PARAGRAPHS, reader={"title_credit": 0.3})
_DEFINITION = _merge(_HEADINGS, reader={"definition_weight": 0.5})
_UNTYPED = _merge(_DEFINITION, reader={"untyped_penalty": 0.3})
_INDEX_SEARCH = _merge(_UNTYPED, tokenizer={"index_search_mode": True})
_INNER_WORDS = _merge(_INDEX_SEARCH, reader={"inner_words": True})
_TITLE_CREDIT = _merge(_INNER_WORDS, reader={"title_credit": 0.5})

# (name, what changes, settings overrides). "chosen" is the shipped default.
VARIANTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "baseline",
        "sentence BM25 (k1 1.5, b 0.75), basic stopwords, answer coverage ≥ 0.5",
        BASELINE,
    ),
    (
        "+stopwords",
        "extended stopword list",
        _merge(BASELINE, tokenizer={"extended_stopwords": True}),
    ),
    (
        "+two-stage",
        "note BM25 → sentences of top 3 notes; note score + global-IDF coverage",
        TWO_STAGE,
    ),
    ("+local-idf", "question terms also weighed by IDF among the note's sentences", _LOCAL),
    ("+chars", "character coverage (local IDF), weight 1", _CHARS),
    (
        "+answer-type",
        "answer-type cue (number, date, book, reason, definition), weight 0.2",
        _TYPES,
    ),
    (
        "+abstain-note",
        "coverage of the whole note, char credit 0.5, unseen names ×2, ≥ 0.4",
        _ABSTAIN,
    ),
    ("+bigrams", "character bigrams, weight 1", _BIGRAMS),
    ("+bigrams-0.25", "bigram weight 0.25", _BIGRAMS_LIGHT),
    ("+title", "title words once more in note ranking", _TITLE),
    (
        "+translate",
        "English words the notes lack → 1 CC-CEDICT translation the notes hold",
        _TRANSLATE,
    ),
    (
        "+runner-up",
        "a runner-up of the note within 0.25 joins the answer; char weight 0.5",
        _RUNNER_UP,
    ),
    ("+glossary", "the notes' own 中文（English） pairs for English questions", _GLOSSARY),
    ("+dictionary-0.75", "CC-CEDICT translations count 0.75 in ranking", _DICTIONARY),
    ("+homophones", "homophones of words the notes lack, weight 0.5", _HOMOPHONES),
    (
        "+restate",
        "−1 for a sentence that adds no word, asks, or ends with a colon",
        _RESTATE,
    ),
    ("+paragraphs", "10 candidate notes, title words twice", _PARAGRAPHS),
    (
        "+headings",
        "a word only in a sentence's heading path earns it 0.3 of the word",
        _HEADINGS,
    ),
    (
        "+definition",
        "什么是 X: a sentence opening with X 是… earns 0.5; notes holding one join from 40 deep",
        _DEFINITION,
    ),
    (
        "+untyped",
        "−0.3 for a sentence without the number, date or 《title》 asked for",
        _UNTYPED,
    ),
    (
        "+index-search",
        "notes also cut in jieba's search mode (数据类型 → 数据, 类型), questions not",
        _INDEX_SEARCH,
    ),
    (
        "+inner-words",
        "coverage: a long word weighs as itself and the dictionary words inside it",
        _INNER_WORDS,
    ),
    (
        "+title-credit",
        "a word only in the heading path earns 0.5 of the word (0.3 in +headings)",
        _TITLE_CREDIT,
    ),
    ("chosen", "the shipped defaults (= +title-credit)", {}),
    ("definition=1", "chosen, definition_weight 1", {"reader": {"definition_weight": 1.0}}),
    ("untyped=1", "chosen, untyped_penalty 1", {"reader": {"untyped_penalty": 1.0}}),
    ("translate×3", "chosen, up to 3 translations per word", {"reader": {"translations": 3}}),
    ("dictionary=0.5", "chosen, dictionary_weight 0.5", {"reader": {"dictionary_weight": 0.5}}),
    ("dictionary=1", "chosen, dictionary_weight 1", {"reader": {"dictionary_weight": 1.0}}),
    ("no-glossary", "chosen, note_glossary off", {"reader": {"note_glossary": False}}),
    ("homophones=1", "chosen, homophone_weight 1", {"reader": {"homophone_weight": 1.0}}),
    ("runner-up=0.1", "chosen, runner_up_margin 0.1", {"reader": {"runner_up_margin": 0.1}}),
    ("runner-up=0.5", "chosen, runner_up_margin 0.5", {"reader": {"runner_up_margin": 0.5}}),
    (
        "sentence-bm25=0.1",
        "chosen, + sentence BM25 (share of the best candidate's), weight 0.1",
        {"reader": {"sentence_bm25_weight": 0.1}},
    ),
    (
        "sentence-bm25=0.5",
        "chosen, sentence_bm25_weight 0.5",
        {"reader": {"sentence_bm25_weight": 0.5}},
    ),
    ("title×1", "chosen, title_repeats 1", {"reader": {"title_repeats": 1}}),
    (
        "bigrams-0",
        "chosen, bigram_weight 0 (bigrams indexed, unused)",
        {"reader": {"bigram_weight": 0.0}},
    ),
    ("bigrams-0.5", "chosen, bigram_weight 0.5", {"reader": {"bigram_weight": 0.5}}),
    ("no-bigrams", "chosen, char_bigrams off", {"tokenizer": {"char_bigrams": False}}),
    (
        "search-mode",
        "chosen, jieba search mode for questions too",
        {"tokenizer": {"search_mode": True}},
    ),
    (
        "basic-stopwords",
        "chosen, basic stopword list",
        {"tokenizer": {"extended_stopwords": False}},
    ),
    ("k1=1.2", "chosen, BM25 k1 1.2", {"retriever": {"k1": 1.2}}),
    ("k1=0.9,b=0.4", "chosen, BM25 k1 0.9, b 0.4", {"retriever": {"k1": 0.9, "b": 0.4}}),
    ("k1=2.0", "chosen, BM25 k1 2.0", {"retriever": {"k1": 2.0}}),
    ("b=0.9", "chosen, BM25 b 0.9", {"retriever": {"b": 0.9}}),
    ("notes=3", "chosen, candidate_notes 3", {"reader": {"candidate_notes": 3}}),
    ("notes=5", "chosen, candidate_notes 5", {"reader": {"candidate_notes": 5}}),
    ("notes=15", "chosen, candidate_notes 15", {"reader": {"candidate_notes": 15}}),
    ("note-weight=1", "chosen, note_weight 1", {"reader": {"note_weight": 1.0}}),
    ("note-weight=3", "chosen, note_weight 3", {"reader": {"note_weight": 3.0}}),
    ("chars=1.0", "chosen, char_weight 1.0", {"reader": {"char_weight": 1.0}}),
    ("no-local-idf", "chosen, local_idf off", {"reader": {"local_idf": False}}),
    ("no-answer-type", "chosen, answer_type_weight 0", {"reader": {"answer_type_weight": 0.0}}),
    ("restate=0", "chosen, restatement_penalty 0", {"reader": {"restatement_penalty": 0.0}}),
    ("coverage=0.35", "chosen, min_coverage 0.35", {"reader": {"min_coverage": 0.35}}),
    ("coverage=0.45", "chosen, min_coverage 0.45", {"reader": {"min_coverage": 0.45}}),
    (
        "coverage-answer",
        "chosen, coverage of the answer sentences",
        {"reader": {"coverage_scope": "answer"}},
    ),
    ("no-char-credit", "chosen, char_credit 0", {"reader": {"char_credit": 0.0}}),
    ("unseen×1", "chosen, unseen_name_weight 1", {"reader": {"unseen_name_weight": 1.0}}),
]


def settings_for(overrides: dict[str, Any]) -> Settings:
    """The defaults with ``overrides``, the index cache off and one tokenizing process."""
    return Settings(**_merge({"index": {"cache": False, "workers": 1}}, **overrides))


def measure(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Every measure of one variant."""
    settings = settings_for(overrides)
    with tempfile.TemporaryDirectory(prefix="qabot-bench-") as folder:
        cmrc = evaluate_squad(CMRC, settings, Path(folder))
    seeds = QAPipeline.from_settings(settings.model_copy(update={"notes_dir": SEEDS}))
    seed_set = evaluate(load_questions(SEED_SET), seeds)
    offtopic = evaluate(load_questions(CMRC, must_abstain=True), seeds, "offtopic")
    real = QAPipeline.from_settings(settings.model_copy(update={"notes_dir": REAL_NOTES}))
    real_set = evaluate(load_questions(REAL_SET), real)
    return {
        "name": name,
        "cmrc": cmrc.to_dict()["summary"],
        "seed": seed_set.to_dict()["summary"],
        "offtopic": offtopic.to_dict()["summary"],
        "real": real_set.to_dict()["summary"],
    }


def table(rows: list[dict[str, Any]], notes: dict[str, str]) -> str:
    """The Markdown table of all measured variants."""
    lines = [
        "| variant | change | CMRC note@1 | answer@1 | answer@3 | false abstain | mean answer "
        "| CMRC vs seeds abstain | seed note@1 | seed answer@1 | seed off-topic abstain "
        "| real note@1 | real file@1 | real answer@1 | real off-topic abstain |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        c, s, o, r = row["cmrc"], row["seed"], row["offtopic"], row["real"]
        lines.append(
            f"| {row['name']} | {notes[row['name']]} | {c['note_at_1']:.3f} | "
            f"{c['answer_at_1']:.3f} | {c['answer_at_3']:.3f} | {c['false_abstain']:.3f} | "
            f"{c['mean_answer_chars']:.0f} ch, {c['mean_answer_sentences']:.2f} sent | "
            f"{o['abstain_accuracy']:.3f} | {s['note_at_1']:.3f} | {s['answer_at_1']:.3f} | "
            f"{s['abstain_accuracy']:.3f} | {r['note_at_1']:.3f} | {r['file_at_1']:.3f} | "
            f"{r['answer_at_1']:.3f} | "
            f"{r['abstain_accuracy']:.3f} |"
        )
    return "\n".join(lines)


def kinds_table(row: dict[str, Any]) -> str:
    """The Markdown table of one variant's real-notes measures per kind of question."""
    lines = [
        "| kind | questions | note@1 | file@1 | answer@1 | abstained |",
        "|---|---|---|---|---|---|",
    ]
    for kind, m in [*row["real"]["kinds"].items(), ("all", row["real"])]:
        if m["answerable"]:
            abstained = f"{m['wrong_abstains']} (should answer)"
            lines.append(
                f"| {kind} | {m['questions']} | {m['note_at_1']:.3f} | {m['file_at_1']:.3f} | "
                f"{m['answer_at_1']:.3f} | {abstained} |"
            )
        else:
            lines.append(
                f"| {kind} | {m['questions']} | – | – | – | {m['abstain_accuracy']:.3f} (should) |"
            )
    return "\n".join(lines)


def write_doc(rows: list[dict[str, Any]], notes: dict[str, str]) -> None:
    """Replace the tables between the markers in docs/quality.md."""
    text = _between(DOC.read_text(encoding="utf-8"), TABLE_START, TABLE_END, table(rows, notes))
    chosen = [row for row in rows if row["name"] == "chosen"]
    if chosen:
        text = _between(text, KINDS_START, KINDS_END, kinds_table(chosen[0]))
    DOC.write_text(text, encoding="utf-8")


def _between(text: str, start_marker: str, end_marker: str, content: str) -> str:
    start, end = text.index(start_marker) + len(start_marker), text.index(end_marker)
    return text[:start] + "\n" + content + "\n" + text[end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="variants measured at once")
    parser.add_argument("--only", nargs="*", help="measure only these variants")
    parser.add_argument("--no-write", action="store_true", help="print, don't touch docs/")
    args = parser.parse_args()
    chosen = [v for v in VARIANTS if not args.only or v[0] in args.only]
    notes = {name: note for name, note, _ in VARIANTS}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(measure, name, overrides) for name, _, overrides in chosen]
        rows = []
        for future in futures:
            rows.append(future.result())
            print(table(rows[-1:], notes).splitlines()[-1], flush=True)
    if not args.no_write:
        write_doc(rows, notes)
        print(f"wrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
