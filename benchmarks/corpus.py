"""Benchmark corpora from CMRC 2018 dev: real sentences first, then varied copies.

The real part is every sentence of the dev set's 848 contexts, cut by qabot's own
sentence splitter (about 10.5k sentences). Larger corpora add synthetic sentences:
each copies a real sentence's jieba words and punctuation, but replaces each word,
with probability ``REPLACE``, by a word drawn from the corpus's word frequencies.
Copies of one sentence therefore share about a quarter of their words: they are
neither near-duplicates (which dedup would merge) nor random word salad, and term
frequencies, sentence lengths and punctuation stay those of the real text.

Notes are written one sentence per line, ``LINES_PER_FILE`` lines per file.

Example:
    $ python benchmarks/corpus.py 100000 /tmp/notes-100k
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

import jieba
import numpy as np

from qabot.ingest.splitter import SentenceSplitter

CMRC = Path(__file__).resolve().parent / "data" / "cmrc2018_dev.json"
REPLACE = 0.5
LINES_PER_FILE = 1000
_WORD = re.compile(r"\w")


@cache
def _dataset() -> dict:
    return json.loads(CMRC.read_text(encoding="utf-8"))


def real_sentences() -> list[str]:
    """The dev contexts cut into sentences as qabot cuts notes (default settings)."""
    splitter = SentenceSplitter(8, 200)
    return [
        text
        for article in _dataset()["data"]
        for paragraph in article["paragraphs"]
        for line in paragraph["context"].splitlines()
        for text, _, _ in splitter.split(line)
    ]


def questions() -> list[str]:
    """The dev questions, in file order (3,219)."""
    return [
        " ".join(qa["question"].split())
        for article in _dataset()["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def sentences(size: int, seed: int = 2018) -> tuple[list[str], int]:
    """``size`` sentences and how many of them are real; the rest are synthetic."""
    real = real_sentences()
    if size <= len(real):
        return real[:size], size
    words = [jieba.lcut(text) for text in real]
    vocabulary, counts = np.unique(
        [w for sentence in words for w in sentence if _WORD.search(w)], return_counts=True
    )
    rng = np.random.default_rng(seed)
    synthetic = size - len(real)
    bases = rng.integers(0, len(real), synthetic)
    draws = iter(rng.choice(vocabulary, size=synthetic * 64, p=counts / counts.sum()).tolist())
    coins = iter((rng.random(synthetic * 64) < REPLACE).tolist())
    made = []
    for base in bases.tolist():
        pieces = []
        for word in words[base]:
            if _WORD.search(word) and next(coins, False):
                word = next(draws, word)
            pieces.append(word)
        made.append("".join(pieces))
    return real + made, len(real)


def write_notes(folder: Path, size: int) -> dict[str, int]:
    """Write a corpus of ``size`` sentences under ``folder``; returns its make-up."""
    lines, real = sentences(size)
    folder.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, len(lines), LINES_PER_FILE)):
        text = "\n".join(lines[start : start + LINES_PER_FILE]) + "\n"
        (folder / f"notes_{number:05d}.txt").write_text(text, encoding="utf-8")
    return {
        "sentences": len(lines),
        "real": real,
        "synthetic": len(lines) - real,
        "chars": sum(map(len, lines)),
        "files": -(-len(lines) // LINES_PER_FILE),
    }


if __name__ == "__main__":
    print(write_notes(Path(sys.argv[2]), int(sys.argv[1])))
