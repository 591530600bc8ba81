"""Save and load dataclasses of numpy arrays: a folder of ``.npy`` files, or one file.

A dataclass's fields are arrays, nested dataclasses (a
:class:`~qabot.arrays.StringTable` is one), or JSON-able values; arrays are named by
their path (``corpus.notes.text.data``) and everything else goes to a JSON manifest.
Nothing is ever pickled.

- **A folder** (the snapshot): one ``.npy`` per array, as bm25s saves its index, and
  ``manifest.json`` with each array's size and CRC-32. Loading maps every array
  (``np.load(mmap_mode="r")``) and checks its size and checksum, so a truncated or
  damaged file is found and the index rebuilt. Written to a temporary folder, then
  renamed into place: a reader sees a whole folder or none.
- **One file** (a note file's part, jieba's dictionary): a JSON header (each array's
  dtype, shape and place; the metadata; a CRC-32) and the arrays' bytes, read whole
  in one call and closed at once, so thousands of parts never hold a file handle
  each. Hand-written for a measured reason: a part is ~20 small arrays, and reading
  them from an ``.npz`` parsed a zip entry and a ``.npy`` header per array, ~1.2 ms
  a part: over 3,000 one-line files a rebuild after one edit took 3.8 s, and takes
  0.7 s this way.

Only regular files are opened, so a FIFO or device in the cache never blocks a load.

Example:
    >>> save_folder(Path("/tmp/x"), "key", arrays)  # doctest: +SKIP
    >>> load_folder(Path("/tmp/x"), IndexArrays, "key").corpus.terms[0]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import numpy as np

T = TypeVar("T")

MANIFEST = "manifest.json"
# Starts every one-file save; the header's length follows, as 8 little-endian bytes.
_MAGIC = b"qabot arrays 1\n"


class CacheError(Exception):
    """A cache file that cannot be used: missing, damaged, or saved under another key."""


def flatten(value: object, prefix: str = "") -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A dataclass's arrays and other values, each named by its path of field names."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {}
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        name = f"{prefix}{field.name}"
        item = getattr(value, field.name)
        if isinstance(item, np.ndarray):
            arrays[name] = item
        elif dataclasses.is_dataclass(item):
            inner_arrays, inner_meta = flatten(item, f"{name}.")
            arrays.update(inner_arrays)
            meta.update(inner_meta)
        else:
            meta[name] = item
    return arrays, meta


def unflatten(
    kind: type[T], arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], prefix: str = ""
) -> T:
    """The ``kind`` dataclass that :func:`flatten` took apart; ``CacheError`` if any part
    is missing."""
    hints = _field_types(kind)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        name = f"{prefix}{field.name}"
        hint = hints[field.name]
        try:
            if hint is np.ndarray:
                values[field.name] = arrays[name]
            elif dataclasses.is_dataclass(hint):
                values[field.name] = unflatten(hint, arrays, meta, f"{name}.")
            else:
                values[field.name] = meta[name]
        except KeyError:
            raise CacheError(f"{name} is missing") from None
    try:
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise CacheError(f"{kind.__name__}: {error}") from None


@functools.cache
def _field_types(kind: type) -> dict[str, Any]:
    # Resolving the annotations is slow, and a folder's parts are read by the thousand.
    return get_type_hints(kind)


def save_folder(path: Path, key: str, value: object) -> None:
    """Write ``value`` under ``key`` as a folder of ``.npy`` files and a manifest."""
    arrays, meta = flatten(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp"))
    try:
        files = {}
        for name, array in arrays.items():
            array = np.ascontiguousarray(array)
            np.save(temporary / f"{name}.npy", array, allow_pickle=False)
            files[name] = {"bytes": array.nbytes, "crc32": zlib.crc32(memoryview(array).cast("B"))}
        manifest = {"key": key, "meta": meta, "arrays": files}
        (temporary / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
        try:
            os.rename(temporary, path)
        except OSError:
            if not (path / MANIFEST).is_file():  # not another writer's whole folder
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def load_folder(path: Path, kind: type[T], key: str) -> T:
    """The ``kind`` saved at ``path`` under ``key``, its arrays mapped and checked.

    Raises :class:`CacheError` if it was saved under another key, and ``CacheError`` or
    ``OSError`` if anything in it is missing, truncated or damaged.
    """
    manifest = json.loads(_read_regular(path / MANIFEST))
    if manifest.get("key") != key:
        raise CacheError("stale")
    arrays: dict[str, np.ndarray] = {}
    for name, expected in manifest["arrays"].items():
        file = path / f"{name}.npy"
        _check_regular(file)
        array = np.load(file, mmap_mode="r", allow_pickle=False)
        if array.nbytes != expected["bytes"]:
            raise CacheError(f"{name}: size does not match the manifest")
        # An empty array cannot be memory-mapped: numpy returns it in memory.
        if array.nbytes and zlib.crc32(memoryview(array).cast("B")) != expected["crc32"]:
            raise CacheError(f"{name}: checksum mismatch")
        arrays[name] = array
    return unflatten(kind, arrays, manifest["meta"])


def save_file(path: Path, key: str, value: object) -> None:
    """Write ``value`` under ``key`` as one file, atomically: a header and every array's
    bytes one after the other (see the module docstring)."""
    arrays, meta = flatten(value)
    layout: dict[str, list[Any]] = {}
    chunks: list[memoryview] = []
    offset = crc = 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        layout[name] = [array.dtype.str, list(array.shape), offset, array.nbytes]
        chunks.append(memoryview(array).cast("B"))
        crc = zlib.crc32(chunks[-1], crc)
        offset += array.nbytes
    header = {"key": key, "meta": meta, "arrays": layout, "bytes": offset, "crc32": crc}
    encoded = json.dumps(header, ensure_ascii=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(_MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_file(path: Path, kind: type[T], key: str) -> T:
    """The ``kind`` saved at ``path`` under ``key``: the file is read in one go and closed
    before this returns. Raises as :func:`load_folder` does."""
    _check_regular(path)
    data = path.read_bytes()
    start = len(_MAGIC) + 8
    if not data.startswith(_MAGIC) or len(data) < start:
        raise CacheError(f"{path.name} is not a qabot arrays file")
    end = start + int.from_bytes(data[len(_MAGIC) : start], "little")
    header = json.loads(data[start:end])
    if header.get("key") != key:
        raise CacheError("stale")
    payload = memoryview(data)[end:]
    if len(payload) != header["bytes"] or zlib.crc32(payload) != header["crc32"]:
        raise CacheError(f"{path.name}: size or checksum mismatch")
    arrays = {}
    for name, (dtype, shape, offset, size) in header["arrays"].items():
        dtype = np.dtype(dtype)
        if dtype.hasobject:
            raise CacheError(f"{name}: not a plain array")
        count = size // dtype.itemsize if dtype.itemsize else 0
        arrays[name] = np.frombuffer(payload, dtype, count, offset).reshape(shape)
    return unflatten(kind, arrays, header["meta"])


def _check_regular(path: Path) -> None:
    """Refuse anything but a regular file: opening a FIFO or a device could block."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise CacheError(f"{path.name} is not a regular file")


def _read_regular(path: Path) -> str:
    _check_regular(path)
    return path.read_text(encoding="utf-8")
