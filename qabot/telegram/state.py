"""Server-side state the bot keeps between updates: button ids and rate limits.

Telegram allows 64 bytes of callback data, so a button carries only a short random
id; the question it refers to stays here until it expires.

Example:
    >>> results = ResultStore(ttl=60)
    >>> key = results.put("梯度检查点?", page=0)
    >>> results.get(key).question
    '梯度检查点?'
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What a More or Sources button refers to."""

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


class RateLimiter:
    """Allows each key at most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[int, deque[float]] = {}

    def allow(self, key: int) -> bool:
        """Record an event for ``key`` if it is within the limit; ``False`` if not."""
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True
