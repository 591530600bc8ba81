"""The index cache on disk: one snapshot per notes folder, and one part per note file.

Layout under ``index.cache_dir`` (default ``.qabot-cache`` in the working folder)::

    v2/<folder id>/snapshot-<key>/        the whole index: *.npy and manifest.json
    v2/<folder id>/parts/<part key>.part  one note file, read, split and tokenized
    v2/<folder id>/folder.txt             the notes folder's path
    v2/jieba-<key>.dict                   jieba's dictionary (see jieba_cache.py)

``<folder id>`` is a hash of the notes folder's absolute path; the cache of a folder
that no longer exists is deleted at the next save, and so is a cache of another
layout version. Keys are hashes of what the content depends on (:mod:`.key`). A
snapshot or part that is stale, truncated or damaged is rebuilt, with a warning;
files are written whole before they are renamed into place (:mod:`.arrays_io`).

Example:
    >>> cache = IndexCache(Path(".qabot-cache"), Path("seeds"))  # doctest: +SKIP
    >>> cache.save_snapshot("0f3a…", arrays)  # doctest: +SKIP
    >>> cache.load_snapshot("0f3a…")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from pathlib import Path
from typing import TypeVar

from qabot.index.arrays import IndexArrays
from qabot.store.arrays_io import CacheError, load_file, load_folder, save_file, save_folder
from qabot.store.key import FORMAT_VERSION, digest

log = logging.getLogger(__name__)

T = TypeVar("T")

# Names the notes folder a cache directory belongs to, so a deleted folder's is pruned.
_FOLDER_FILE = "folder.txt"
_SNAPSHOT_PREFIX = "snapshot-"
# A temporary file this old was left by a crashed writer, not one still writing.
_ABANDONED_SECONDS = 3600
# What a damaged cache file can raise while it is read.
UNREADABLE = (CacheError, OSError, ValueError, KeyError, EOFError)


class IndexCache:
    """Reads and writes one notes folder's snapshot and parts under ``root``."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.folder = folder.resolve()
        self.root = root / f"v{FORMAT_VERSION}"
        self.dir = self.root / digest(str(self.folder))[:16]
        self.parts_dir = self.dir / "parts"

    def snapshot_path(self, key: str) -> Path:
        return self.dir / f"{_SNAPSHOT_PREFIX}{key[:16]}"

    def load_snapshot(self, key: str) -> IndexArrays | None:
        """The snapshot saved under ``key``; ``None`` if there is none, or (with a
        warning) if it is damaged."""
        path = self.snapshot_path(key)
        if not path.exists():
            if any(self.dir.glob(f"{_SNAPSHOT_PREFIX}*")):
                # Expected after an edit: a notice, not a warning.
                log.info("the notes or settings changed since the index was cached; updating it")
            return None
        try:
            return load_folder(path, IndexArrays, key)
        except UNREADABLE as error:
            log.warning("index cache %s is unreadable (%s); rebuilding it", path, error)
            return None

    def save_snapshot(self, key: str, arrays: IndexArrays) -> None:
        """Save the snapshot, then delete the folder's older ones."""
        path = self.snapshot_path(key)
        save_folder(path, key, arrays)
        for old in self.dir.glob(f"{_SNAPSHOT_PREFIX}*"):
            if old != path and not old.name.endswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)

    def has_part(self, key: str) -> bool:
        return (self.parts_dir / f"{key}.part").is_file()

    def load_part(self, key: str, kind: type[T]) -> T | None:
        """The part saved under ``key``, or ``None`` if it is missing or damaged."""
        path = self.parts_dir / f"{key}.part"
        if not path.exists():
            return None
        try:
            return load_file(path, kind, key)
        except UNREADABLE as error:
            log.warning("index cache %s is unreadable (%s); rebuilding it", path, error)
            return None

    def save_part(self, key: str, part: object) -> None:
        save_file(self.parts_dir / f"{key}.part", key, part)

    def prune(self, keep: set[str]) -> None:
        """Delete what is no longer needed: parts not in ``keep``, temporary files
        abandoned by crashed writers, the caches of notes folders that are gone, and
        caches of other layout versions."""
        folder_file = self.dir / _FOLDER_FILE
        if not folder_file.is_file():
            temporary = self.dir / f"{_FOLDER_FILE}.{os.getpid()}.tmp"
            temporary.write_bytes(os.fsencode(self.folder))
            os.replace(temporary, folder_file)  # whole, for another process's prune to read
        now = time.time()
        unused = [path for path in self.parts_dir.glob("*.part") if path.stem not in keep]
        for path in [*unused, *self.parts_dir.glob("*.tmp"), *self.dir.glob("*.tmp")]:
            with contextlib.suppress(OSError):  # another process pruned it first
                if path.suffix == ".part" or now - path.stat().st_mtime > _ABANDONED_SECONDS:
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
        for other in self.root.iterdir():
            with contextlib.suppress(OSError):
                if (
                    other.is_dir()
                    and not Path(os.fsdecode((other / _FOLDER_FILE).read_bytes())).is_dir()
                ):
                    shutil.rmtree(other)
        for version in self.root.parent.glob("v*"):
            if version != self.root and version.is_dir() and version.name[1:].isdigit():
                shutil.rmtree(version, ignore_errors=True)
