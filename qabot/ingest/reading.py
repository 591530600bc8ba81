"""Read a note file's bytes safely: regular files only, bounded, never blocking.

A notes folder may hold a symlink to ``/dev/zero``, a FIFO named ``pipe.txt`` or a
file that grows while it is read. So a file is ``stat``-ed before it is opened and
refused unless it is a regular file within the size cap; it is opened non-blocking
(opening a FIFO then returns at once instead of waiting for a writer), checked again
with ``fstat`` on the opened descriptor (it may have been swapped since), and read
up to one byte past the cap, so a file that grew is refused too.

Example:
    >>> read_note_bytes(Path("seeds/000_518f52ec4929dd4d.txt"), 20 * 2**20)[:8]  # doctest: +SKIP
    b'INCOMING'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NoteFileRefused(Exception):
    """A file that is not read: too large, or not a regular file. The message says why."""


def read_note_bytes(path: Path | str, cap: int, identity: tuple[int, int] | None = None) -> bytes:
    """The bytes of the regular file ``path``; raises :class:`NoteFileRefused` or
    ``OSError`` with the reason it is not read.

    With ``identity`` (``(device, inode)``), a file that is no longer the one that
    was found (swapped for a link elsewhere since) is refused.
    """
    refuse_unless_regular(os.stat(path), cap)
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        opened = os.fstat(descriptor)
        refuse_unless_regular(opened, cap)
        if identity is not None and (opened.st_dev, opened.st_ino) != identity:
            raise NoteFileRefused("replaced by another file while the folder was read")
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = os.read(descriptor, min(_CHUNK, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(descriptor)
    if size > cap:
        raise NoteFileRefused(too_large(None, cap))
    return b"".join(chunks)


def too_large(size: int | None, cap: int) -> str:
    """The reason a file over the cap is skipped, the same for every such file."""
    grown = "it grew while read" if size is None else f"{size / 2**20:.1f} MiB"
    return f"too large (the cap is {cap / 2**20:g} MiB, ingest.max_file_mb): {grown}"


def not_regular(status: os.stat_result) -> str:
    """The reason a file that is not a regular file is skipped: what it is."""
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a file")
    return f"not a regular file: {kind}"


def refuse_unless_regular(status: os.stat_result, cap: int) -> None:
    """Raise :class:`NoteFileRefused` unless ``status`` is a regular file within ``cap``."""
    if not stat.S_ISREG(status.st_mode):
        raise NoteFileRefused(not_regular(status))
    if status.st_size > cap:
        raise NoteFileRefused(too_large(status.st_size, cap))
