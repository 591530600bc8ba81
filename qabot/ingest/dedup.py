"""Merge repeated snippets into one that keeps every place it appears.

Exact duplicates are snippets equal after NFKC, case folding and whitespace folding.
Near-duplicates are snippets of at least ``min_near_chars`` normalized characters
whose character 3-gram sets have a Jaccard similarity of at least ``threshold``
(0.8 by default). Candidates are found with MinHash locality-sensitive hashing;
the exact Jaccard similarity then decides.

Example:
    >>> dedup = Deduplicator()
    >>> a = RawSnippet("AdamW 是默认优化器。", "Adam", Location("a.txt", 1, 0, 12), 0)
    >>> b = RawSnippet("adamw  是默认优化器。", "Adam", Location("b.txt", 4, 9, 22), 7)
    >>> [str(loc) for loc in dedup.merge([a, b])[0].locations]
    ['a.txt:1', 'b.txt:4']
"""

from __future__ import annotations

import unicodedata
import zlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from qabot.schema import Location, Snippet

# MinHash LSH: 8 bands of 2 rows. A pair with Jaccard 0.8 meets in some band with
# probability 1 - (1 - 0.8**2)**8 > 0.9997; the exact Jaccard check then decides.
_BANDS = 8
_ROWS = 2
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20240601)
_PERM_A = _rng.integers(1, 1 << 31, _BANDS * _ROWS, dtype=np.uint64)
_PERM_B = _rng.integers(0, 1 << 31, _BANDS * _ROWS, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class RawSnippet:
    """A snippet before deduplication: one text at one place."""

    text: str
    title: str
    location: Location
    note_id: int


def normalize(text: str) -> str:
    """The form in which two snippets are compared: NFKC, case-folded, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class Deduplicator:
    """Merges exact and near-duplicate snippets, keeping all their locations."""

    def __init__(self, threshold: float = 0.8, min_near_chars: int = 20) -> None:
        self.threshold = threshold
        self.min_near_chars = min_near_chars

    def merge(self, raw: list[RawSnippet]) -> list[Snippet]:
        snippets: list[Snippet] = []
        by_key: dict[str, Snippet] = {}
        grams_of: dict[int, frozenset[str]] = {}
        buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
        for item in raw:
            key = normalize(item.text)
            twin = by_key.get(key)
            grams: frozenset[str] = frozenset()
            bands: list[tuple[int, bytes]] = []
            if twin is None and len(key) >= self.min_near_chars:
                grams = _trigrams(key)
                bands = _minhash_bands(grams)
                candidates = {sid for band in bands for sid in buckets.get(band, ())}
                twin = self._most_similar(grams, candidates, snippets, grams_of)
            if twin is not None:
                if item.location not in twin.locations:
                    twin.locations.append(item.location)
                    twin.note_ids.append(item.note_id)
                by_key.setdefault(key, twin)
                continue
            snippet = Snippet(len(snippets), item.text, item.title, [item.location], [item.note_id])
            snippets.append(snippet)
            by_key[key] = snippet
            if bands:
                grams_of[snippet.id] = grams
                for band in bands:
                    buckets[band].append(snippet.id)
        return snippets

    def _most_similar(
        self,
        grams: frozenset[str],
        candidates: set[int],
        snippets: list[Snippet],
        grams_of: dict[int, frozenset[str]],
    ) -> Snippet | None:
        best, best_similarity = None, self.threshold
        for sid in sorted(candidates):
            other = grams_of[sid]
            similarity = len(grams & other) / len(grams | other)
            if similarity >= best_similarity:
                best, best_similarity = snippets[sid], similarity
        return best


def _trigrams(text: str) -> frozenset[str]:
    compact = text.replace(" ", "")
    return frozenset(compact[i : i + 3] for i in range(max(1, len(compact) - 2)))


def _minhash_bands(grams: frozenset[str]) -> list[tuple[int, bytes]]:
    hashes = np.fromiter((zlib.crc32(g.encode()) for g in grams), np.uint64, len(grams))
    signature = ((hashes[:, None] * _PERM_A + _PERM_B) % _PRIME).min(axis=0)
    rows = signature.reshape(_BANDS, _ROWS)
    return [(band, rows[band].tobytes()) for band in range(_BANDS)]
