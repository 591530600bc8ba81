"""A faster start for jieba: its prefix dictionary kept as arrays in the index cache.

jieba holds about 500k words and word prefixes with their frequencies. It keeps them
in a ``marshal`` file in the temp folder, and unmarshalling that is most of a cold
start (1.5 to 2.5 s on the benchmark machine; every ``qabot ask`` pays it). The same
dictionary saved as one string and an array of counts rebuilds the identical dict
about five times faster: ``str.split`` and ``dict(zip(...))`` do the work in C.

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
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy as np

from qabot.config import Settings
from qabot.store.arrays_io import load_file, save_file
from qabot.store.cache import UNREADABLE
from qabot.store.key import FORMAT_VERSION, code_version, digest
from qabot.tokenizer import Tokenizer

log = logging.getLogger(__name__)

_SEPARATOR = "\x00"


@dataclass(eq=False, slots=True)
class _Dictionary:
    """jieba's ``FREQ`` as its words joined by ``_SEPARATOR`` (UTF-8) and their counts."""

    words: np.ndarray
    counts: np.ndarray
    total: int


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
        words = saved.words.tobytes().decode().split(_SEPARATOR)
        counts = saved.counts.tolist()
        if len(words) != len(counts):
            raise ValueError("words and counts differ in number")
        frequencies = dict(zip(words, counts, strict=True))
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
    words = list(tokenizer.FREQ)
    if any(_SEPARATOR in word for word in words):
        return
    save_file(
        path,
        key,
        _Dictionary(
            words=np.frombuffer(_SEPARATOR.join(words).encode(), dtype=np.uint8),
            counts=np.fromiter(tokenizer.FREQ.values(), dtype=np.int64, count=len(words)),
            total=int(tokenizer.total),
        ),
    )


def _pristine(tokenizer: jieba.Tokenizer) -> bool:
    """Not loaded yet, with the default dictionary and cache file."""
    return not tokenizer.initialized and tokenizer.dictionary is None and not tokenizer.cache_file


def _location(root: Path) -> tuple[Path, str]:
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    stat = dictionary.stat()
    key = digest(code_version(), jieba.__version__, stat.st_size, stat.st_mtime_ns)
    return root / f"v{FORMAT_VERSION}" / f"jieba-{key[:16]}.dict", key
