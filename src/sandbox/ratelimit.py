"""Token buckets per (operation, selling partner), as SP-API's usage plans work."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Each (operation, caller) pair starts full at `burst` and refills at `rate` per second."""

    def __init__(
        self, limit_of: Callable[[str], tuple[float, int]], clock: Callable[[], float]
    ) -> None:
        self._limit_of = limit_of
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, operation: str, caller: str) -> bool:
        """Take one token; False when the bucket is empty (answer 429)."""
        rate, burst = self._limit_of(operation)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.setdefault((operation, caller), _Bucket(float(burst), now))
            # A manual clock may move backwards between tests; never refill negatively.
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
            bucket.updated = now
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True

    def header(self, operation: str) -> str:
        """The x-amzn-RateLimit-Limit value Amazon sends, e.g. "2.0" or "0.0167"."""
        return str(float(self._limit_of(operation)[0]))
