"""The timer-free in-process rate-limit storage: fixed windows that expire when read, through limits' strategy."""

from __future__ import annotations

from limits import parse
from limits.strategies import FixedWindowRateLimiter

from app.api import rate_limit_storage
from app.api.rate_limit_storage import LazyExpiryMemoryStorage


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _storage() -> tuple[LazyExpiryMemoryStorage, Clock]:
    storage, clock = LazyExpiryMemoryStorage(), Clock()
    storage.clock = clock
    return storage, clock


def test_a_window_counts_then_expires_when_read():
    storage, clock = _storage()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == clock.now + 60
    clock.now += 59.9
    assert storage.incr("k", 60, amount=2) == 5  # same window: its end does not move
    assert storage.get_expiry("k") == 1_000_060.0
    clock.now += 0.1
    assert storage.get("k") == 0 and storage.get_expiry("k") == clock.now  # the window has ended
    assert storage.incr("k", 60) == 1 and storage.get_expiry("k") == clock.now + 60
    assert storage.get("other") == 0


def test_clear_reset_and_check():
    storage, _ = _storage()
    storage.incr("a", 10)
    storage.incr("b", 10)
    storage.clear("a")
    assert storage.get("a") == 0 and storage.get("b") == 1
    assert storage.reset() == 1 and storage.get("b") == 0
    assert storage.check()


def test_expired_counters_are_swept(monkeypatch):
    monkeypatch.setattr(rate_limit_storage, "SWEEP_EVERY", 10)
    storage, clock = _storage()
    for i in range(9):
        storage.incr(f"old-{i}", 1)
    clock.now += 2
    storage.incr("new", 1)  # the tenth write sweeps the nine expired counters
    assert set(storage._counters) == {"new"}


def test_the_fixed_window_strategy_over_it():
    storage, clock = _storage()
    limiter, item = FixedWindowRateLimiter(storage), parse("3/minute")
    assert [limiter.hit(item, "hooks", "client") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "hooks", "another client")
    stats = limiter.get_window_stats(item, "hooks", "client")
    assert stats.remaining == 0 and stats.reset_time == clock.now + 60
    clock.now += 60
    assert limiter.hit(item, "hooks", "client")
