from qabot.chat.paging import ResultStore


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
