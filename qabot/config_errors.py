"""Configuration errors as one line each: which key, why, and where in a TOML file.

pydantic reports where in the settings a value failed (``('ingest',
'boilerplate_patterns', 0)``) but not where it came from, and Python's TOML parser
puts the line and column in its message only. These helpers turn either into the one
line ``qabot: error: bad config: …`` shows: the key as it is written in the config
(``ingest.boilerplate_patterns[0]``), and for a value set in the TOML file, the file
and the line of its key.

Example:
    >>> toml = TomlFile.read(Path("config/qabot.toml"))  # raises ConfigError  # doctest: +SKIP
    >>> describe_validation_error(error, toml)  # doctest: +SKIP
    "ingest.boilerplate_patterns[0]: invalid regex '(': missing ), … (config/qabot.toml:19)"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

# tomllib's messages end with the position (Python 3.11-3.13 have no attributes for it).
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_AT_END = " (at end of document)"
# A TOML key: bare or quoted parts joined by dots.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_TABLE_LINE = re.compile(rf"^\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^\s*({_KEY})\s*=")


class ConfigError(Exception):
    """Bad configuration, with a one-line message for the user."""


@dataclass(frozen=True, slots=True)
class TomlFile:
    """A config file, read and parsed, kept to say where a bad value was set."""

    path: Path
    text: str
    data: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> TomlFile:
        """Read and parse ``path``; :class:`ConfigError` (``path:line:column: …`` for a
        syntax error) if it cannot be."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"bad config: {path}: not UTF-8 text (byte {error.start}: {error.reason})"
            ) from None
        except OSError as error:
            raise ConfigError(f"bad config: cannot read {path}: {error.strerror}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"bad config: {describe_toml_error(path, error, text)}") from None
        return cls(path, text, data)

    def holds(self, loc: Sequence[int | str], value: Any) -> bool:
        """Whether this file sets ``value`` at ``loc`` (so no later source overrode it)."""
        held: Any = self.data
        try:
            for part in loc:
                held = held[part]
        except (KeyError, IndexError, TypeError):
            return False
        return bool(held == value)


def describe_toml_error(path: Path, error: tomllib.TOMLDecodeError, text: str) -> str:
    """``path:line:column: reason`` for ``text``, read from ``path``, that is not TOML."""
    reason = str(error)
    if position := _TOML_POSITION.search(reason):
        return f"{path}:{position[1]}:{position[2]}: {reason[: position.start()]}"
    if reason.endswith(_AT_END):  # an unterminated string or array
        line, column = text.count("\n") + 1, len(text) - text.rfind("\n")
        return f"{path}:{line}:{column}: {reason.removesuffix(_AT_END)}"
    return f"{path}: {reason}"


def describe_validation_error(error: ValidationError, toml: TomlFile | None = None) -> str:
    """``key: reason``, then ``(file:line)`` when the TOML file set the bad value, then
    how many more errors there are."""
    problems = error.errors()
    first = problems[0]
    message = f"{key_name(first['loc'])}: {first['msg']}"
    if toml is not None and toml.holds(first["loc"], first["input"]):
        line = key_line(toml.text, first["loc"])
        message += f" ({toml.path}:{line})" if line else f" ({toml.path})"
    if len(problems) > 1:
        more = len(problems) - 1
        message += f"; and {more} more error{'s' if more > 1 else ''}"
    return message


def key_name(loc: Sequence[int | str]) -> str:
    """``ingest.boilerplate_patterns[0]`` for ``('ingest', 'boilerplate_patterns', 0)``."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or "settings"


def key_line(text: str, loc: Sequence[int | str]) -> int | None:
    """The line (from 1) of the TOML key that sets ``loc``, or of its nearest parent
    that is set as a whole (an array, an inline table); ``None`` if none is found."""
    wanted = tuple(_names(loc))
    table: tuple[str, ...] = ()
    best: tuple[int, int] | None = None  # (matched parts, line)
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _TABLE_LINE.match(line):
            table = _split_key(header[1])
            full = table
        elif key := _KEY_LINE.match(line):
            full = table + _split_key(key[1])
        else:
            continue
        if full == wanted[: len(full)] and (best is None or len(full) > best[0]):
            best = (len(full), number)
    return best[1] if best else None


def _names(loc: Sequence[int | str]) -> list[str]:
    """The key names of ``loc``, up to its first list index."""
    names = []
    for part in loc:
        if isinstance(part, int):
            break
        names.append(part)
    return names


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(_KEY_PART, key)
    return tuple(part[1:-1] if part[0] in "\"'" else part for part in parts)
