from qabot.telegram.state import RateLimiter, ResultStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_results_expire_and_unknown_ids_are_none() -> None:
    clock = FakeClock()
    store = ResultStore(ttl=60, clock=clock)
    key = store.put("问题", page=2)
    assert len(f"more:{key}".encode()) <= 64
    assert store.get(key) is not None and store.get(key).page == 2
    assert store.get("forged-id") is None
    clock.now = 61
    assert store.get(key) is None


def test_store_forgets_the_oldest_beyond_capacity() -> None:
    store = ResultStore(capacity=2)
    first, second, third = (store.put(q, 0) for q in "abc")
    assert store.get(first) is None
    assert store.get(second) is not None and store.get(third) is not None


def test_rate_limiter_window_slides_per_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=2, window=60, clock=clock)
    assert [limiter.allow(1) for _ in range(3)] == [True, True, False]
    assert limiter.allow(2)
    clock.now = 59.9
    assert not limiter.allow(1)
    clock.now = 60
    assert limiter.allow(1)
