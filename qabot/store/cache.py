"""The index cache on disk: one snapshot per notes folder, and one part per note file.

Layout under ``index.cache_dir`` (default ``.qabot-cache`` in the working folder)::

    v1/<folder id>/index.npz              the whole index, loaded at start-up
    v1/<folder id>/parts/<part key>.npz   one note file, read, split and tokenized
    v1/<folder id>/folder.txt             the notes folder's path
    v1/jieba-<key>.npz                    jieba's dictionary (see jieba_cache.py)

``<folder id>`` is a hash of the notes folder's absolute path; the cache of a folder
that no longer exists is deleted at the next save. Every file is an
uncompressed ``.npz`` (numpy arrays; strings as UTF-8 bytes, metadata as JSON bytes),
loaded with ``allow_pickle=False``.

Loading maps the file and views each array in place (no copy), after checking its
zip CRC-32. Keys are SHA-256 hashes of what the content depends on: a part's key covers the file's
bytes, whether it is Markdown, the ``ingest`` and ``tokenizer`` settings and the code
version; the snapshot's key covers every file's path and part key, the skipped files,
and the ``retriever`` settings too. The code version hashes the source of the modules
that shape an index, the bundled resources, and the jieba, OpenCC and rank-bm25 in use,
so an upgrade or a local edit never serves an index the code would not build.

A snapshot whose key differs is stale; a file that is truncated or corrupt fails the
zip CRC-32 checks or the shape checks when loaded. Either way it is rebuilt, with a
warning. Files are written to a temporary name in the same folder, then renamed over
the old one, so a reader sees the old file or the new one, never half of one.

Example:
    >>> cache = IndexCache(Path(".qabot-cache"), Path("seeds"))  # doctest: +SKIP
    >>> cache.save_snapshot("0f3a…", {"meta": pack_json({"key": "0f3a…"})})  # doctest: +SKIP
    >>> cache.load_snapshot("0f3a…")["meta"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import math
import mmap
import os
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import opencc

import qabot

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Modules and resources whose code decides what an index holds.
_SHAPING_CODE = (
    "index.py",
    "tokenizer.py",
    "retriever/bm25.py",
    "retriever/note_ranker.py",
    "ingest/*.py",
    "store/*.py",
    "resources/*",
)
# Fixed part of a zip local file header, and the most a .npy header may take.
_LOCAL_HEADER = 30
_NPY_HEADER_LIMIT = 1 << 16
# Names the notes folder a cache directory belongs to, so a deleted folder's is pruned.
_FOLDER_FILE = "folder.txt"
# A temporary file this old was left by a crashed writer, not one still writing.
_ABANDONED_SECONDS = 3600

Arrays = dict[str, np.ndarray]


class CacheError(Exception):
    """A cache file that cannot be used: missing members, bad shapes, or a stale key."""


def digest(*parts: Any) -> str:
    """A SHA-256 hex digest of JSON-encodable ``parts``."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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


def pack_json(value: Any) -> np.ndarray:
    """JSON as a uint8 array, to store next to other arrays."""
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)


def unpack_json(array: np.ndarray) -> Any:
    return json.loads(array.tobytes().decode())


class IndexCache:
    """Reads and writes one notes folder's snapshot and parts under ``root``."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.folder = folder.resolve()
        self.dir = root / f"v{FORMAT_VERSION}" / digest(str(self.folder))[:16]
        self.snapshot_path = self.dir / "index.npz"
        self.parts_dir = self.dir / "parts"

    def load_snapshot(self, key: str) -> Arrays | None:
        """The snapshot saved under ``key``; ``None`` (with a warning) if stale or broken."""
        if not self.snapshot_path.exists():
            return None
        try:
            return load_arrays(self.snapshot_path, key)
        except CacheError:  # expected after an edit: --watch meets it at every rebuild
            log.info("the notes or settings changed since the index was cached; updating it")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            log.warning(
                "index cache %s is unreadable (%s); rebuilding it", self.snapshot_path, error
            )
        return None

    def save_snapshot(self, key: str, arrays: Arrays) -> None:
        save_arrays(self.snapshot_path, key, arrays)

    def load_part(self, key: str) -> Arrays | None:
        """The part saved under ``key``, or ``None`` if it is missing or broken."""
        path = self.parts_dir / f"{key}.npz"
        if not path.exists():
            return None
        try:
            return load_arrays(path, key)
        except (CacheError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            log.warning("index cache %s is unreadable (%s); rebuilding it", path, error)
            return None

    def save_part(self, key: str, arrays: Arrays) -> None:
        save_arrays(self.parts_dir / f"{key}.npz", key, arrays)

    def prune(self, keep: set[str]) -> None:
        """Delete what is no longer needed: parts not in ``keep``, temporary files
        abandoned by crashed writers, and the caches of notes folders that are gone."""
        folder_file = self.dir / _FOLDER_FILE
        if not folder_file.is_file():
            temporary = self.dir / f"{_FOLDER_FILE}.{os.getpid()}.tmp"
            temporary.write_text(str(self.folder), encoding="utf-8")
            os.replace(temporary, folder_file)  # whole, for another process's prune to read
        now = time.time()
        unused = [path for path in self.parts_dir.glob("*.npz") if path.stem not in keep]
        for path in [*unused, *self.parts_dir.glob("*.tmp"), *self.dir.glob("*.tmp")]:
            with contextlib.suppress(OSError):  # another process pruned it first
                if path.suffix == ".npz" or now - path.stat().st_mtime > _ABANDONED_SECONDS:
                    path.unlink()
        for other in self.dir.parent.iterdir():
            with contextlib.suppress(OSError):
                folder = (other / _FOLDER_FILE).read_text(encoding="utf-8")
                if not Path(folder).is_dir():
                    shutil.rmtree(other)


def load_arrays(path: Path, key: str) -> Arrays:
    """The arrays saved under ``key`` at ``path``: mapped from the file, CRC-32 checked.

    Raises :class:`CacheError` if they were saved under another key.

    ``numpy.load`` would copy each array through ``zipfile`` in small reads; mapping
    the file and viewing each member in place loads a large index several times faster.
    """
    with zipfile.ZipFile(path) as archive:  # reads the central directory: fails if truncated
        members = archive.infolist()
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    arrays = {_member_name(info): _member_array(mapped, info) for info in members}
    if unpack_json(arrays["meta"]).get("key") != key:
        raise CacheError("stale")
    return arrays


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename.removesuffix(".npy")


def _member_array(mapped: mmap.mmap, info: zipfile.ZipInfo) -> np.ndarray:
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{info.filename} is compressed")
    local = mapped[info.header_offset : info.header_offset + _LOCAL_HEADER]
    if local[:4] != b"PK\x03\x04":
        raise ValueError(f"{info.filename}: bad zip entry")
    name_size, extra_size = struct.unpack("<HH", local[26:30])
    start = info.header_offset + _LOCAL_HEADER + name_size + extra_size
    data = memoryview(mapped)[start : start + info.file_size]
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise ValueError(f"{info.filename}: CRC-32 mismatch")
    header = io.BytesIO(data[: min(len(data), _NPY_HEADER_LIMIT)])
    version = np.lib.format.read_magic(header)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(header)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(header)
    else:
        raise ValueError(f"{info.filename}: .npy version {version}")
    if dtype.hasobject or fortran:
        raise ValueError(f"{info.filename}: not a plain array")
    count = math.prod(shape)
    if header.tell() + count * dtype.itemsize != len(data):
        raise ValueError(f"{info.filename}: size does not match its shape")
    return np.frombuffer(mapped, dtype, count, start + header.tell()).reshape(shape)


def save_arrays(path: Path, key: str, arrays: Arrays) -> None:
    """Write ``arrays`` and ``key`` to ``path`` as an uncompressed ``.npz``, atomically."""
    meta = unpack_json(arrays["meta"]) if "meta" in arrays else {}
    arrays = {**arrays, "meta": pack_json({**meta, "key": key})}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
