"""Code notes: never the answer to a prose question, the answer to a question about code.

Ingest keeps each code block (and notebook code cell) whole, as a note of kind
``"code"``. Code holds many of the words prose questions ask about (``weight_decay``,
``learning_rate``), but a line of code is no answer to "what is weight decay?". So a
prose question is answered from prose and maths notes only; code stays searchable:
when a question asks for code, by its words (代码, 怎么写, 命令, code, implement…) or
by naming something only code holds, spelled as code spells it (``LoraConfig``,
``weight_decay``), code notes take part and a code
block holding the question's words counts as the kind of answer asked for.

Example:
    >>> code = CodeNotes(index)  # doctest: +SKIP
    >>> code.asks_for_code("怎么用 PyTorch 写 dropout?")  # doctest: +SKIP
    True
    >>> code.asks_for_code("LoraConfig 有哪些参数?")  # doctest: +SKIP
    True
    >>> code.asks_for_code("什么是权重衰减?")  # doctest: +SKIP
    False
"""

from __future__ import annotations

import re

import numpy as np

from qabot.index import NotesIndex
from qabot.schema import NOTE_KINDS

_CODE = NOTE_KINDS.index("code")
# Words that ask for code, or a command, rather than for prose about it: they are the
# request, not its subject, so no answer needs to hold them.
_REQUEST = re.compile(
    r"代码|代碼|源码|源碼|脚本|腳本|命令|写法|寫法|安装|安裝"
    r"|\b(?:code|implement\w*|snippet|script|command|syntax|install\w*)\b",
    re.IGNORECASE,
)
# "How do I write … (in X)": 怎么写, 如何用 PyTorch 写.
_HOW_TO_WRITE = re.compile(r"(?:怎么|如何|怎样|怎麼|怎樣)(?:用.{0,20}?)?[写寫]")
# A name spelled as code spells it: joined by _ or ., or in camelCase (LoraConfig).
_IDENTIFIER = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+|[a-z]+[A-Z][A-Za-z0-9]*|[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*"
)
# How many of a name's best snippets are looked at to tell whether only code holds it.
_LOOK = 20


class CodeNotes:
    """Which snippets of an index are code, and which questions ask for code."""

    def __init__(self, index: NotesIndex) -> None:
        self.index = index
        corpus = index.arrays.corpus
        kinds = np.asarray(corpus.notes.kind)
        self.note_is_code = kinds == _CODE
        snippets = corpus.snippets
        self.snippet_kind = kinds[snippets.place_note[snippets.place_ptr[:-1]]]
        self.snippet_is_code = self.snippet_kind == _CODE

    def is_code(self, snippet: int) -> bool:
        return bool(self.snippet_is_code[snippet])

    def kind_of(self, snippet: int) -> str:
        """The kind of the note a snippet was first seen in: prose, code or math."""
        return NOTE_KINDS[self.snippet_kind[snippet]]

    def asks_for_code(self, question: str) -> bool:
        """Whether ``question`` asks for code: by its words, or by naming, spelled as
        code spells it, something only code notes hold."""
        if not self.snippet_is_code.any():
            return False
        if _REQUEST.search(question) or _HOW_TO_WRITE.search(question):
            return True
        for name in _IDENTIFIER.findall(question):
            hits = self.index.bm25.top_k([name.lower()], _LOOK)
            if hits and all(self.snippet_is_code[sid] for sid, _ in hits):
                return True
        return False


def request_words(question: str) -> set[str]:
    """The words with which ``question`` asks for code (代码, implement, 写…), lower-cased."""
    words = {match.group().lower() for match in _REQUEST.finditer(question)}
    return words | {match.group()[-1] for match in _HOW_TO_WRITE.finditer(question)}
