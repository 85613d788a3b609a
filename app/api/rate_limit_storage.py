"""In-process rate-limit counters without a timer thread, behind ``VARSHARE_RATE_LIMIT_STORAGE=memory://``.

A storage backend through the ``limits`` library's extension point (a ``Storage`` subclass registers its URI
scheme). limits' own ``MemoryStorage`` expires counters with a 10 ms ``threading.Timer`` and starts a new one
whenever the last has run out: at tens of calls a second per worker that is a new thread on almost every call
(about 0.26 ms of CPU each on the benchmark machine). Here a fixed-window counter expires when it is next read,
and expired counters are swept every SWEEP_EVERY writes, so memory stays bounded by the keys of one window.
Only what the fixed-window strategy uses is offered (no moving window).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from limits.storage import Storage

SCHEME = "varshare-memory"
SWEEP_EVERY = 1000


class LazyExpiryMemoryStorage(Storage):
    """Fixed-window counters of one process: key -> (count, window end in epoch seconds)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._writes = 0
        self.clock: Callable[[], float] = time.time

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the counter of ``key``; a counter whose window ended starts a new ``expiry``-second
        window. Returns the new count."""
        now = self.clock()
        with self._lock:
            self._writes += 1
            if self._writes % SWEEP_EVERY == 0:
                self._counters = {k: v for k, v in self._counters.items() if v[1] > now}
            count, ends = self._counters.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + expiry
            count += amount
            self._counters[key] = (count, ends)
            return count

    def get(self, key: str) -> int:
        count, ends = self._counters.get(key, (0, 0.0))
        return count if ends > self.clock() else 0

    def get_expiry(self, key: str) -> float:
        now = self.clock()
        ends = self._counters.get(key, (0, 0.0))[1]
        return ends if ends > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            dropped = len(self._counters)
            self._counters = {}
        return dropped

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)
