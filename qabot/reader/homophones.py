"""Homophone typos: a word no note holds meets the notes' words that sound the same.

Chinese is typed by its sound, so a typo is usually another character with the same
pinyin: 目标检侧 for 检测, 梯度截段 for 截断, 未登陆词 for 未登录词. For a question word
(or character bigram) that no note contains, :meth:`Homophones.alike` proposes the
words that differ from it in one character read the same, tone included (a typist
picks the character from the candidates of one syllable; across tones, 北京 would
meet 背景), and keeps those the notes hold.

The readings are pypinyin's table of every character's readings, read straight from
its data file on the first lookup (about 50 ms; importing pypinyin itself would load
its phrase table too, about 250 ms).

Example:
    >>> homophones = Homophones()
    >>> homophones.alike("检侧", {"检测", "检查"}.__contains__)
    ['检测']
    >>> homophones.alike("截段²", {"截断²"}.__contains__)
    ['截断²']
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Container
from functools import cache
from pathlib import Path

from qabot.tokenizer import BIGRAM_MARK, CJK_CHAR

_DATA = "pinyin_dict.json"
_ENTRY = re.compile(r'"(\d+)": "([^"]*)"')
# Characters a typo is drawn from: the CJK unified ideographs an input method offers.
_FIRST, _LAST = 0x4E00, 0x9FFF


class Homophones:
    """Finds words read the same as a word; see the module docstring."""

    def __init__(self) -> None:
        self._readings: dict[str, list[str]] = {}
        self._characters: dict[str, list[str]] = {}

    def alike(
        self, term: str, known: Callable[[str], bool], used: Container[str] | None = None
    ) -> list[str]:
        """The terms ``known`` accepts that differ from ``term`` (a word or a bigram) in
        one Chinese character with a reading in common; ``used``, if given, holds the
        only characters worth trying (those of the notes)."""
        word = term.removesuffix(BIGRAM_MARK)
        mark = term[len(word) :]
        readings, characters = self._tables()
        found: list[str] = []
        for position, char in enumerate(word):
            if not CJK_CHAR.match(char):
                continue
            for reading in readings.get(char, ()):
                for other in characters[reading]:
                    if other == char or (used is not None and other not in used):
                        continue
                    candidate = word[:position] + other + word[position + 1 :] + mark
                    if candidate not in found and known(candidate):
                        found.append(candidate)
        return found

    def _tables(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Each character's readings, tones included, and each reading's characters."""
        if not self._readings:
            spec = importlib.util.find_spec("pypinyin")
            folders = spec.submodule_search_locations if spec is not None else None
            if not folders:
                return {}, {}
            text = (Path(folders[0]) / _DATA).read_text(encoding="utf-8")
            for code, listed in _ENTRY.findall(text):
                if _FIRST <= int(code) <= _LAST:
                    char = chr(int(code))
                    self._readings[char] = listed.split(",")
                    for reading in self._readings[char]:
                        self._characters.setdefault(reading, []).append(char)
        return self._readings, self._characters


@cache
def default_homophones() -> Homophones:
    """The process-wide lookup; its tables are read on the first lookup."""
    return Homophones()
