"""Per-person rate limits: a sliding window of events per key.

Example:
    >>> limiter = RateLimiter(limit=2, window=60)
    >>> [limiter.allow(7) for _ in range(3)]
    [True, True, False]
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


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
