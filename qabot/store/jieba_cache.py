"""A faster start for jieba: its prefix dictionary kept as arrays in the index cache.

jieba holds about 500k words and word prefixes with their frequencies. It keeps them
in a ``marshal`` file in the temp folder, and unmarshalling that is most of a cold
start (0.8 to 2.5 s on the benchmark machine; every ``qabot ask`` would pay it). Here
the dictionary is saved as arrays: the words, a hash table over them
(:class:`~qabot.arrays.StringIndex`) and the counts. Loading them takes ~15 ms, and
they answer jieba's lookups as they are (:class:`SavedFrequencies`), which is all a
question needs: it looks up a few hundred words. Building even a dict of 500k words
takes ~0.2 s, so it is made only when many texts are tokenized
(:func:`use_a_dict`), where a dict's faster lookups win.

It is saved from jieba's own dictionary after an index build, keyed on the jieba
version, its dictionary file and qabot's code version (which covers anything
qabot's tokenizer adds to jieba). It is installed only into jieba's default
tokenizer, only before jieba has loaded or changed anything, so the words jieba sees
are exactly the ones it would have loaded itself. A damaged file (truncated, say) is
rebuilt the first time it is found, with one warning.

Example:
    >>> save_jieba_dictionary(Path(".qabot-cache"))  # doctest: +SKIP
    >>> load_jieba_dictionary(Path(".qabot-cache"))  # in a fresh process  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy as np

from qabot.arrays import StringIndex, StringTable
from qabot.config import Settings
from qabot.store.arrays_io import load_file, save_file
from qabot.store.cache import UNREADABLE
from qabot.store.key import code_version, derived_file
from qabot.tokenizer import Tokenizer

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class _Dictionary:
    """jieba's ``FREQ``: its words, a hash table over them (``slots``), their counts."""

    words: StringTable
    slots: np.ndarray
    counts: np.ndarray
    total: int


class SavedFrequencies(MutableMapping[str, int]):
    """jieba's word frequencies read from the saved arrays; words jieba adds
    (``jieba.add_word``) go to a dict of their own."""

    def __init__(self, words: StringIndex, counts: np.ndarray) -> None:
        self.words = words
        self.counts = counts
        self.added: dict[str, int] = {}

    def __getitem__(self, word: str) -> int:
        if word in self.added:
            return self.added[word]
        row = self.words.row(word)
        if row is None:
            raise KeyError(word)
        return int(self.counts[row])

    def get(self, word: str, default: int | None = None) -> int | None:  # type: ignore[override]
        # jieba's cut calls this for every prefix of a question: kept to two lookups.
        found = self.added.get(word)
        if found is not None:
            return found
        row = self.words.row(word)
        return default if row is None else int(self.counts[row])

    def __setitem__(self, word: str, count: int) -> None:
        self.added[word] = count

    def __delitem__(self, word: str) -> None:
        raise TypeError("jieba's saved words cannot be deleted; set the count to 0")

    def __iter__(self) -> Iterator[str]:
        yield from (word for word in self.words if word not in self.added)
        yield from self.added

    def __len__(self) -> int:
        return len(self.words) + sum(1 for word in self.added if self.words.row(word) is None)

    def to_dict(self) -> dict[str, int]:
        frequencies = dict(zip(self.words.strings.to_list(), self.counts.tolist(), strict=True))
        frequencies.update(self.added)
        return frequencies


def use_a_dict(tokenizer: jieba.Tokenizer | None = None) -> None:
    """Give a tokenizer (by default jieba's own) its frequencies as a dict, before it
    cuts many texts: each lookup then costs a dict's."""
    tokenizer = tokenizer or jieba.dt
    if isinstance(tokenizer.FREQ, SavedFrequencies):
        tokenizer.FREQ = tokenizer.FREQ.to_dict()


def load_jieba_dictionary(root: Path, tokenizer: jieba.Tokenizer | None = None) -> bool:
    """Give an untouched jieba tokenizer (by default jieba's own) its dictionary from
    the cache under ``root``.

    Returns whether it did; if not, jieba loads its dictionary itself when it needs it.
    A damaged cache file is replaced at once, from the dictionary jieba loads.
    """
    tokenizer = tokenizer or jieba.dt
    path, key = _location(root)
    if not _pristine(tokenizer) or not path.is_file():
        return False
    try:
        saved = load_file(path, _Dictionary, key)
        if len(saved.words) != len(saved.counts):
            raise ValueError("words and counts differ in number")
        words = StringIndex(saved.words, saved.slots, len(saved.words))
        frequencies = SavedFrequencies(words, saved.counts)
        total = int(saved.total)
    except UNREADABLE as error:
        _repair(path, key, tokenizer, error)
        return False
    with tokenizer.lock:
        if not _pristine(tokenizer):
            return False
        tokenizer.FREQ, tokenizer.total = frequencies, total
        tokenizer.initialized = True
    return True


def make_tokenizer(settings: Settings) -> Tokenizer:
    """The tokenizer the settings describe, its jieba dictionary from the cache when
    it is there (it loads several times faster than jieba's own)."""
    if settings.index.cache:
        load_jieba_dictionary(settings.index.cache_dir)
    return Tokenizer(settings.tokenizer)


def save_jieba_dictionary(root: Path, tokenizer: jieba.Tokenizer | None = None) -> None:
    """Save the dictionary of a jieba tokenizer with the default dictionary (by default
    jieba's own) under ``root``, unless it is there already."""
    tokenizer = tokenizer or jieba.dt
    path, key = _location(root)
    if not path.is_file() and tokenizer.dictionary is None and not tokenizer.cache_file:
        _save(path, key, tokenizer)


def _repair(path: Path, key: str, tokenizer: jieba.Tokenizer, damage: Exception) -> None:
    """Replace a damaged cache file with one made from jieba's own dictionary, loaded
    now (the first question needs it anyway), so that the next run finds it whole."""
    try:
        _save(path, key, tokenizer)
    except OSError as error:
        log.warning(
            "jieba dictionary cache %s is unusable (%s) and could not be rebuilt: %s",
            path,
            damage,
            error,
        )
    else:
        log.warning("jieba dictionary cache %s was unusable (%s); rebuilt it", path, damage)


def _save(path: Path, key: str, tokenizer: jieba.Tokenizer) -> None:
    """Write the dictionary to ``path`` atomically, loading it first if need be."""
    tokenizer.check_initialized()
    words = StringTable.of(list(tokenizer.FREQ))
    save_file(
        path,
        key,
        _Dictionary(
            words=words,
            slots=StringIndex.build(words).slots,
            counts=np.fromiter(tokenizer.FREQ.values(), dtype=np.int64, count=len(words)),
            total=int(tokenizer.total),
        ),
    )


def _pristine(tokenizer: jieba.Tokenizer) -> bool:
    """Not loaded yet, with the default dictionary and cache file."""
    return not tokenizer.initialized and tokenizer.dictionary is None and not tokenizer.cache_file


def _location(root: Path) -> tuple[Path, str]:
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    return derived_file(root, dictionary, "jieba", ".dict", code_version(), jieba.__version__)
