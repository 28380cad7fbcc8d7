"""Bounded retries with exponential backoff and full jitter for HTTP calls."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def retryable_status(response: httpx.Response) -> bool:
    return response.status_code in RETRYABLE_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Both bounds apply: whichever is reached first wins."""

    max_attempts: int = 5
    max_total_seconds: float = 60.0
    base_delay: float = 1.0
    max_delay: float = 30.0

    def ceiling(self, failures: int) -> float:
        """The upper bound of the jittered delay after `failures` failed attempts (1-based)."""
        return min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))


class Retrying:
    """Runs one HTTP attempt repeatedly until it succeeds, fails for good, or a bound is hit.

    Full jitter (a uniform delay in [0, ceiling]) spreads out clients that failed together, which
    is what a 429 from a shared bucket or a 503 from a recovering service needs.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._random = random
        self._clock = clock

    def run(
        self,
        attempt: Callable[[], httpx.Response],
        *,
        operation: str,
        retryable: Callable[[httpx.Response], bool] = retryable_status,
    ) -> httpx.Response:
        """Return the first non-retryable response, or the last one when the bounds are hit.

        httpx transport errors (timeouts, refused or reset connections) are retried too; after
        the last attempt the final one is re-raised for the caller to translate.
        """
        deadline = self._clock() + self.policy.max_total_seconds
        failures = 0
        while True:
            try:
                response = attempt()
            except httpx.TransportError as exc:
                failures += 1
                if not self._pause(operation, failures, deadline, type(exc).__name__):
                    raise
                continue
            if not retryable(response):
                return response
            failures += 1
            if not self._pause(operation, failures, deadline, f"HTTP {response.status_code}"):
                return response
            response.close()

    def _pause(self, operation: str, failures: int, deadline: float, reason: str) -> bool:
        """Sleep before the next attempt; False when no attempt is left."""
        if failures >= self.policy.max_attempts:
            log.warning("%s: giving up after %d attempts (%s)", operation, failures, reason)
            return False
        delay = self._random() * self.policy.ceiling(failures)
        if self._clock() + delay > deadline:
            log.warning("%s: giving up, retry budget spent (%s)", operation, reason)
            return False
        log.info("%s: attempt %d failed (%s), retry in %.2fs", operation, failures, reason, delay)
        self._sleep(delay)
        return True
