"""Find the note files of a folder, never leaving it, and name each one safely.

The notes folder is a boundary. Every folder and file is resolved; a symlink whose
real path leaves the folder is skipped with a reason (unless
``ingest.follow_symlinks_outside`` is on), and a folder reached twice (a symlink
loop) is walked once. Special files (FIFOs, devices, sockets) are reported, never
opened here. A folder that cannot be listed is reported like an unreadable file.

What to leave out is said in gitignore syntax (pathspec): hidden files and folders
and ``node_modules/`` by default, then the lines of ``.qabotignore`` in the notes
folder, then ``ingest.ignore``; a later ``!pattern`` brings a path back. Files the
rules leave out are counted, except inside the default-skipped folders, which are
never entered.

File names may hold any bytes. A file's ``source`` (what citations and warnings
show) escapes bytes that are not UTF-8 as ``\\xNN`` and control, line-separator and
bidi characters as ``\\n`` or ``\\u202e``; ``raw_name`` keeps the relative path's
bytes.

Example:
    >>> listing = NoteFinder([".txt", ".md"]).find(Path("seeds"))  # doctest: +SKIP
    >>> [file.source for file in listing.files][:1]  # doctest: +SKIP
    ['000_518f52ec4929dd4d.txt']
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from qabot.ingest.reading import NoteFileRefused, not_regular, read_note_bytes
from qabot.schema import SkippedFile

DEFAULT_IGNORE = (".*", "node_modules/")
IGNORE_FILE = ".qabotignore"
OUTSIDE = "links outside the notes folder"
_IGNORE_FILE_CAP = 1 << 20
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class NotesFolderError(Exception):
    """The notes folder is missing, not a folder, or holds no notes."""


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A note file: the path to open, the name to show, and its relative path's bytes.

    ``identity`` is the ``(device, inode)`` seen when it was found; a file swapped for
    another before it is read is refused.
    """

    path: str
    source: str
    raw_name: bytes
    identity: tuple[int, int]


@dataclass(slots=True)
class FolderListing:
    """The note files of a folder, what was skipped and why, and how many were ignored."""

    files: list[FoundFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored: int = 0


def display_name(name: str) -> str:
    """``name`` safe to print: a part that is not UTF-8 with its non-ASCII bytes as
    ``\\xNN``, control and bidi characters escaped."""
    if name.isprintable():
        return name
    return "/".join(map(_shown_part, name.split("/")))


def _shown_part(part: str) -> str:
    if any(0xDC80 <= ord(char) <= 0xDCFF for char in part):
        # Not UTF-8 (GBK from a Windows zip, kept by os.fsdecode as surrogates): a few
        # of its bytes may happen to read as UTF-8, so every non-ASCII byte is shown.
        return "".join(
            _shown_char(chr(byte)) if byte < 0x80 else f"\\x{byte:02x}"
            for byte in os.fsencode(part)
        )
    return "".join(map(_shown_char, part))


def _shown_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


class NoteFinder:
    """Lists the note files under a folder, as the ``[ingest]`` settings say."""

    def __init__(
        self,
        extensions: Iterable[str],
        ignore: Iterable[str] = (),
        follow_symlinks_outside: bool = False,
    ) -> None:
        self.extensions = tuple(ext.lower() for ext in extensions)
        self.ignore = list(ignore)
        self.follow_symlinks_outside = follow_symlinks_outside

    def find(self, folder: Path) -> FolderListing:
        """Every note file below ``folder`` in a stable order (each folder's files, then
        its subfolders), and what was skipped or ignored."""
        if not folder.is_dir():
            raise NotesFolderError(f"notes folder not found: {folder}")
        walk = _Walk(self, folder)
        walk.run()
        if not walk.listing.files and not walk.listing.skipped:
            *others, last = self.extensions
            names = f"{', '.join(others)} or {last}" if others else last
            raise NotesFolderError(f"no {names} notes in {folder}")
        return walk.listing


class _Walk:
    """One walk of a notes folder."""

    def __init__(self, finder: NoteFinder, folder: Path) -> None:
        self.finder = finder
        self.folder = folder
        self.root = os.path.realpath(folder)
        self.prefix = self.root.rstrip(os.sep) + os.sep
        self.listing = FolderListing()
        rules = [*DEFAULT_IGNORE, *self._ignore_file(), *finder.ignore]
        self.spec = pathspec.GitIgnoreSpec.from_lines(rules)
        self.default_spec = pathspec.GitIgnoreSpec.from_lines(DEFAULT_IGNORE)
        self.seen: set[tuple[int, int]] = set()

    def run(self) -> None:
        root = os.stat(self.root)
        self.seen.add((root.st_dev, root.st_ino))
        pending = [(os.fspath(self.folder), "")]
        while pending:
            path, relative = pending.pop()
            subfolders = self._list(path, relative)
            pending.extend(reversed(subfolders))

    def _list(self, path: str, relative: str) -> list[tuple[str, str]]:
        """Record the note files of one folder; return its subfolders to walk."""
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            if not relative:
                message = f"cannot read the notes folder {self.folder}: {reason}"
                raise NotesFolderError(message) from None
            self._skip(relative, reason)
            return []
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            name = relative + entry.name
            is_note = entry.name.lower().endswith(self.finder.extensions)
            if not is_note and not _is_folder(entry):
                continue  # an image, a PDF: not even stat-ed
            try:
                status = entry.stat()  # follows symlinks
            except OSError as error:  # a dangling link or a loop of links
                if is_note:
                    self._skip(name, error.strerror or type(error).__name__)
                continue
            is_folder = stat.S_ISDIR(status.st_mode)
            if self._ignored(name + "/" if is_folder else name, entry.path, is_folder):
                continue
            if not self.finder.follow_symlinks_outside and self._leaves(entry):
                self._skip(name + "/" if is_folder else name, OUTSIDE)
                continue
            if is_folder:
                identity = (status.st_dev, status.st_ino)
                if identity not in self.seen:  # a symlink loop is walked once
                    self.seen.add(identity)
                    subfolders.append((entry.path, name + "/"))
            elif not stat.S_ISREG(status.st_mode):
                self._skip(name, not_regular(status))
            else:
                identity = (status.st_dev, status.st_ino)
                self.listing.files.append(
                    FoundFile(entry.path, display_name(name), os.fsencode(name), identity)
                )
        return subfolders

    def _ignored(self, name: str, path: str, is_folder: bool) -> bool:
        if not self.spec.match_file(name):
            return False
        if not is_folder:
            self.listing.ignored += 1
        elif not self.default_spec.match_file(name):  # default-skipped folders: not entered
            self.listing.ignored += _count_notes(path, self.finder.extensions)
        return True

    def _leaves(self, entry: os.DirEntry[str]) -> bool:
        """True for a symlink whose real path is outside the notes folder."""
        return entry.is_symlink() and not self._inside(os.path.realpath(entry.path))

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.prefix)

    def _skip(self, name: str, reason: str) -> None:
        self.listing.skipped.append(SkippedFile(display_name(name), reason))

    def _ignore_file(self) -> list[str]:
        """The lines of ``.qabotignore``, read only if it is a regular file in the folder."""
        path = os.path.join(self.root, IGNORE_FILE)
        if not os.path.lexists(path):
            return []
        if not self._inside(os.path.realpath(path)):
            self._skip(IGNORE_FILE, OUTSIDE)
            return []
        try:
            data = read_note_bytes(path, _IGNORE_FILE_CAP)
        except (NoteFileRefused, OSError) as error:
            self._skip(IGNORE_FILE, getattr(error, "strerror", None) or str(error))
            return []
        return data.decode("utf-8", errors="replace").splitlines()


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks; no system call for most entries
    except OSError:
        return False


def _count_notes(folder: str, extensions: tuple[str, ...]) -> int:
    """Note files below ``folder``, not following links: for the count of ignored files."""
    count = 0
    for _, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        count += sum(name.lower().endswith(extensions) for name in files)
    return count
