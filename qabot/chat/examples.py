"""Example questions drawn from the notes themselves, for /help.

Names the notes mention often (``AdamW``, ``DeepSeek-V3``, ``LoRA``: Latin words with
a capital letter or a digit, not stopwords) become "AdamW 是什么？" or "What is AdamW?"; only those
the notes answer are kept, so every example works. Computed once per index.

Example:
    >>> examples = ExampleQuestions()
    >>> examples.for_pipeline(pipeline, "zh")  # doctest: +SKIP
    ['DeepSeek-V3 是什么？', 'AdamW 是什么？']
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from weakref import WeakKeyDictionary

from qabot.pipeline import QAPipeline

_NAME = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9.+-]*[A-Za-z0-9](?![\w-])")
_SAMPLED_SNIPPETS = 2000
_CANDIDATES = 12
_TEMPLATES = {"zh": "{name} 是什么？", "en": "What is {name}?"}


class ExampleQuestions:
    """Per index and language, a few questions about the notes that they answer."""

    def __init__(self, count: int = 2) -> None:
        self.count = count
        self._lock = threading.Lock()
        self._made: WeakKeyDictionary[QAPipeline, dict[str, list[str]]] = WeakKeyDictionary()

    def for_pipeline(self, pipeline: QAPipeline, language: str) -> list[str]:
        """Up to ``count`` questions in ``language`` that ``pipeline`` answers."""
        with self._lock:
            made = self._made.setdefault(pipeline, {})
            if language not in made:
                template = _TEMPLATES.get(language, _TEMPLATES["en"])
                questions = (template.format(name=name) for name in _frequent_names(pipeline))
                answered = (q for q in questions if not pipeline.ask(q).abstained)
                made[language] = [q for _, q in zip(range(self.count), answered, strict=False)]
            return list(made[language])


def _frequent_names(pipeline: QAPipeline) -> list[str]:
    """Names in the most snippets of an even sample of the notes, most frequent first."""
    snippets = pipeline.index.snippets
    step = max(1, len(snippets) // _SAMPLED_SNIPPETS)
    counts: Counter[str] = Counter()
    for position in range(0, len(snippets), step):
        names = set(_NAME.findall(snippets[position].text))
        counts.update(n for n in names if _looks_like_a_name(n, pipeline.tokenizer.stopwords))
    return [name for name, _ in counts.most_common(_CANDIDATES)]


def _looks_like_a_name(word: str, stopwords: frozenset[str]) -> bool:
    """``AdamW``, ``GPT-4``, ``Llama``; not ``The`` or ``the``."""
    if len(word) > 20 or word.lower() in stopwords:
        return False
    return any(ch.isdigit() or ch.isupper() for ch in word)
