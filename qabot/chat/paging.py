"""Paging state kept between turns: which question a More or Sources request refers to.

A button can carry only 64 bytes, so it carries a short random id; the question and
the page it refers to stay here until they expire.

Example:
    >>> results = ResultStore(ttl=60)
    >>> key = results.put("梯度检查点?", page=0)
    >>> results.get(key).question
    '梯度检查点?'
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from qabot.chat.limits import Clock


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What a More or Sources request refers to."""

    question: str
    page: int
    created: float


class ResultStore:
    """Maps short random ids to questions, forgetting them after ``ttl`` seconds."""

    def __init__(self, ttl: float = 3600, capacity: int = 10_000, clock: Clock = time.monotonic):
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._items: OrderedDict[str, StoredResult] = OrderedDict()

    def put(self, question: str, page: int) -> str:
        key = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
        self._items[key] = StoredResult(question, page, self.clock())
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> StoredResult | None:
        """The stored result, or ``None`` if unknown, forged or expired."""
        item = self._items.get(key)
        if item is None or self.clock() - item.created > self.ttl:
            self._items.pop(key, None)
            return None
        return item
