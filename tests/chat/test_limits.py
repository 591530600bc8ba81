from qabot.chat.limits import RateLimiter


def test_rate_limiter_window_slides_per_key() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert [limiter.allow(1) for _ in range(3)] == [True, True, False]
    assert limiter.allow(2)
    now[0] = 59.9
    assert not limiter.allow(1)
    now[0] = 60
    assert limiter.allow(1)
