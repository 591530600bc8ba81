"""Stage 4 of the build: find repeated snippets, so each is indexed once with every place.

Exact duplicates are snippets equal after NFKC, case folding and whitespace folding.
Near-duplicates are snippets of at least ``min_near_chars`` normalized characters
whose character 3-gram sets have a Jaccard similarity of at least ``threshold``
(0.8 by default). Candidates are found with MinHash locality-sensitive hashing;
the exact Jaccard similarity then decides. A snippet joins the most similar earlier
snippet that was kept (the later one of a tie), so the first text seen is the one kept.

The MinHash signatures of all snippets are computed together with numpy, and only
snippets that share an LSH bucket with another one are compared one by one, so a
folder of a million snippets is deduplicated in seconds, not hours.

Example:
    >>> Deduplicator().assign(["AdamW 是默认优化器。", "梯度检查点", "adamw  是默认优化器。"])
    array([0, 1, 0])
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

import numpy as np

# MinHash LSH: 20 bands of 4 rows. A pair with Jaccard 0.8 meets in some band with
# probability 1 - (1 - 0.8**4)**20 > 0.99997; a pair with Jaccard 0.1 only with
# probability 0.002, so unrelated sentences are almost never compared one by one.
_BANDS = 20
_ROWS = 4
_rng = np.random.default_rng(20240601)
# Multiply-add hashes modulo 2**64 of a well-mixed 64-bit trigram hash.
_MULTIPLIERS = _rng.integers(1, 1 << 62, _BANDS * _ROWS, dtype=np.uint64) * 2 + 1
_ADDENDS = _rng.integers(0, 1 << 62, _BANDS * _ROWS, dtype=np.uint64)
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
# Stands for "no character" when a text is shorter than one trigram; not a code point.
_NO_CHAR = np.uint64(0x1FFFFF)
# Snippets whose signatures are computed in one numpy pass; bounds memory to ~25 MB.
_SIGNATURE_BATCH = 5_000
# NFKC makes each full-width form of ASCII (！ to ～) the character _FULLWIDTH_SHIFT
# below it, and the ideographic space a space.
_FULLWIDTH_FIRST, _FULLWIDTH_LAST, _FULLWIDTH_SHIFT = 0xFF01, 0xFF5E, 0xFEE0
_IDEOGRAPHIC_SPACE = 0x3000


def normalize(text: str) -> str:
    """The form in which two snippets are compared: NFKC, case-folded, spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def normalize_all(texts: list[str]) -> list[str]:
    """:func:`normalize` of each text, about 4x faster.

    Chinese text is seldom NFKC as it is, for its full-width punctuation, and
    ``unicodedata.normalize`` then takes ~4 µs a snippet: half of deduplicating. The
    full-width forms are replaced by what NFKC makes of them first, all texts at
    once (NFKC decomposes each character by itself, so the result is the same), and
    only a text still not NFKC is normalized.
    """
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    points = points.copy()
    points[(points >= _FULLWIDTH_FIRST) & (points <= _FULLWIDTH_LAST)] -= _FULLWIDTH_SHIFT
    points[points == _IDEOGRAPHIC_SPACE] = ord(" ")
    mapped = points.tobytes().decode("utf-32-le", "surrogatepass")
    normalized = []
    start = 0
    for text in texts:
        piece = mapped[start : start + len(text)]
        start += len(text)
        if not unicodedata.is_normalized("NFKC", piece):
            piece = unicodedata.normalize("NFKC", piece)
        normalized.append(" ".join(piece.casefold().split()))
    return normalized


class Deduplicator:
    """Merges exact and near-duplicate snippets, keeping all their locations."""

    def __init__(self, threshold: float = 0.8, min_near_chars: int = 20) -> None:
        self.threshold = threshold
        self.min_near_chars = min_near_chars

    def assign(self, texts: Sequence[str]) -> np.ndarray:
        """The snippet each text belongs to, numbered from 0 in order of first appearance:
        ``assign(["a", "b", "A"])`` is ``[0, 1, 0]``.
        ``texts`` may be a lazy sequence: each text is read a few times, none is kept.
        """
        leader, long_enough = self._exact_leaders(texts)
        representative = np.arange(len(texts))
        for item, twin in self._near_twins(texts, long_enough).items():
            representative[item] = twin
        _, groups = np.unique(representative[leader], return_inverse=True)
        return groups.reshape(-1)

    def _exact_leaders(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Each text's first exact duplicate (itself if none), and the first texts long
        enough to be compared for near-duplicates."""
        leader = np.empty(len(texts), dtype=np.int64)
        long_enough: list[int] = []
        # Keyed by the normalized text's hash, not the text: a million keys stay small.
        first: dict[int, int] = {}
        clashes: dict[str, int] = {}  # texts whose hash an earlier, different text had
        for index, key in enumerate(_normalized(texts)):
            seen = first.setdefault(hash(key), index)
            if seen != index and normalize(texts[seen]) != key:
                seen = clashes.setdefault(key, index)
            leader[index] = seen
            if seen == index and len(key) >= self.min_near_chars:
                long_enough.append(index)
        return leader, long_enough

    def _near_twins(self, texts: Sequence[str], items: list[int]) -> dict[int, int]:
        """For each of ``items`` (ascending) that is a near-duplicate, the kept item it joins."""
        if len(items) < 2:
            return {}
        bands = _band_hashes(texts, items)
        # Each band's hashes become its bucket numbers, -1 for a bucket of one, in
        # place: a second matrix the size of all the signatures would double the memory.
        buckets = bands.view(np.int64)
        for band in range(_BANDS):
            _, inverse, counts = np.unique(bands[:, band], return_inverse=True, return_counts=True)
            inverse = inverse.reshape(-1)
            buckets[:, band] = np.where(counts[inverse] > 1, inverse, -1)
        # Only a snippet sharing some bucket can be, or have, a near-duplicate.
        crowded = np.flatnonzero((buckets >= 0).any(axis=1))
        bucket_rows = buckets[crowded].tolist()
        del bands, buckets
        grams = lru_cache(maxsize=65536)(lambda item: _trigrams(normalize(texts[item])))
        kept: list[dict[int, list[int]]] = [{} for _ in range(_BANDS)]
        twins: dict[int, int] = {}
        for position, row in zip(crowded.tolist(), bucket_rows, strict=True):
            item = items[position]
            candidates = {
                other
                for band, bucket in enumerate(row)
                if bucket >= 0
                for other in kept[band].get(bucket, ())
            }
            twin = self._most_similar(grams(item), sorted(candidates), grams)
            if twin is not None:
                twins[item] = twin
                continue
            for band, bucket in enumerate(row):
                if bucket >= 0:
                    kept[band].setdefault(bucket, []).append(item)
        return twins

    def _most_similar(
        self, mine: frozenset[str], candidates: list[int], grams: Callable[[int], frozenset[str]]
    ) -> int | None:
        best, best_similarity = None, self.threshold
        for other in candidates:
            theirs = grams(other)
            similarity = len(mine & theirs) / len(mine | theirs)
            if similarity >= best_similarity:
                best, best_similarity = other, similarity
        return best


def _trigrams(text: str) -> frozenset[str]:
    compact = text.replace(" ", "")
    return frozenset(compact[i : i + 3] for i in range(max(1, len(compact) - 2)))


def _normalized(texts: Sequence[str], items: list[int] | None = None) -> Iterator[str]:
    """:func:`normalize` of each text (or of each of ``items``, ascending), made a batch
    at a time."""
    chosen: Iterator[str] = iter(texts)
    if items is not None:
        wanted = np.zeros(len(texts), dtype=bool)
        wanted[items] = True
        chosen = itertools.compress(chosen, wanted.tolist())
    while batch := list(itertools.islice(chosen, _SIGNATURE_BATCH)):
        yield from normalize_all(batch)


def _band_hashes(texts: Sequence[str], items: list[int]) -> np.ndarray:
    """One 64-bit hash per LSH band (its rows of the MinHash signature) for each item."""
    hashes = np.empty((len(items), _BANDS), dtype=np.uint64)
    keys = _normalized(texts, items)
    for start in range(0, len(items), _SIGNATURE_BATCH):
        batch = [key.replace(" ", "") for key in itertools.islice(keys, _SIGNATURE_BATCH)]
        signature = _minhash(batch).reshape(len(batch), _BANDS, _ROWS)
        combined = signature[:, :, 0].copy()
        for row in range(1, _ROWS):
            combined = combined * _BAND_MIX + signature[:, :, row]
        hashes[start : start + len(batch)] = combined
    return hashes


def _minhash(texts: list[str]) -> np.ndarray:
    """MinHash signatures of the character-trigram sets of non-empty ``texts``.

    Each trigram is packed exactly into 63 bits (three 21-bit code points), as
    ``_trigrams`` sees it: a text shorter than three characters is its one gram.
    """
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le"), np.uint32).astype(np.uint64)
    points = np.append(points, [_NO_CHAR, _NO_CHAR])
    counts = np.maximum(lengths - 2, 1)
    first_gram = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(len(texts)), counts)
    position = np.repeat(np.cumsum(lengths) - lengths, counts) + (
        np.arange(int(counts.sum())) - first_gram[owner]
    )
    length = lengths[owner]
    second = np.where(length >= 2, points[position + 1], _NO_CHAR)
    third = np.where(length >= 3, points[position + 2], _NO_CHAR)
    packed = (points[position] << np.uint64(42)) | (second << np.uint64(21)) | third
    mixed = _splitmix64(packed)
    signature = np.empty((len(texts), _BANDS * _ROWS), dtype=np.uint64)
    # One hash function at a time over a flat array: far faster than a 2-D broadcast.
    for column, (multiplier, addend) in enumerate(zip(_MULTIPLIERS, _ADDENDS, strict=True)):
        hashed = mixed * multiplier
        hashed += addend
        signature[:, column] = np.minimum.reduceat(hashed, first_gram)
    return signature


def _splitmix64(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))
