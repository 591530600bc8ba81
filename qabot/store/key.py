"""Cache keys: hashes of everything a cached index or part depends on.

A part's key covers its file's bytes, how it is parsed and the ``ingest`` and
``tokenizer`` settings; the snapshot's key covers every file's path and part key and
the settings of the later stages. :func:`code_version` hashes the source of the
modules that shape an index, the bundled resources, and the jieba, OpenCC and
rank-bm25 in use, so an upgrade or a local edit never serves an index the code would
not build.

Example:
    >>> digest("a", {"b": 1}) == digest("a", {"b": 1}) != digest("a", {"b": 2})
    True
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import opencc

import qabot

FORMAT_VERSION = 2
"""The cache layout's version; a cache of another version is never read."""

# Modules and resources whose code decides what an index holds.
_SHAPING_CODE = (
    "arrays/*.py",
    "build/*.py",
    "index/*.py",
    "ingest/*.py",
    "retriever/*.py",
    "store/*.py",
    "tokenizer/*.py",
    "schema.py",
    "resources/*",
)


def digest(*parts: Any) -> str:
    """A SHA-256 hex digest of JSON-encodable ``parts``.

    File names that are not valid UTF-8 hold lone surrogates (``surrogateescape``);
    ``surrogatepass`` hashes them as they are instead of failing.
    """
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def derived_file(root: Path, source: Path, stem: str, suffix: str, *parts: Any) -> tuple[Path, str]:
    """Where the cache under ``root`` keeps what is made from the file ``source``
    (``{stem}-{key's start}{suffix}``), and its key: ``parts``, then the file's size and
    modification time, so a changed file is made afresh."""
    stat = source.stat()
    key = digest(*parts, stat.st_size, stat.st_mtime_ns)
    return root / f"v{FORMAT_VERSION}" / f"{stem}-{key[:16]}{suffix}", key


@cache
def code_version() -> str:
    """A hash of the code and libraries that shape an index; see the module docstring."""
    root = Path(qabot.__file__).parent
    hasher = hashlib.sha256(f"format {FORMAT_VERSION}".encode())
    for pattern in _SHAPING_CODE:
        for path in sorted(root.glob(pattern)):
            hasher.update(path.relative_to(root).as_posix().encode())
            hasher.update(path.read_bytes())
    spec = importlib.util.find_spec("rank_bm25")
    if spec is not None and spec.origin:
        hasher.update(Path(spec.origin).read_bytes())
    hasher.update(f"jieba {jieba.__version__} opencc {opencc.__version__}".encode())
    return hasher.hexdigest()
