"""Client-side token buckets per (operation, seller), seeded with SP-API's default limits."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Protocol

from domain.errors import RateLimitedError
from domain.pacing import Ticket

log = logging.getLogger(__name__)

# Amazon's published defaults: operation -> (requests per second, burst).
DEFAULT_LIMITS: dict[str, tuple[float, int]] = {
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    "getReportSchedules": (0.0222, 10),
    "createReportSchedule": (0.0222, 10),
    "getReportSchedule": (0.0222, 10),
    "cancelReportSchedule": (0.0222, 10),
    # Data Kiosk 2023-11-15.
    "createQuery": (0.0167, 15),
    "getQueries": (0.0222, 10),
    "getQuery": (2.0, 15),
    "cancelQuery": (0.0222, 10),
    "getDocument": (0.0167, 15),
    "getDestinations": (1.0, 5),
    "getDestination": (1.0, 5),
    "createDestination": (1.0, 5),
    "deleteDestination": (1.0, 5),
    "getSubscription": (1.0, 5),
    "createSubscription": (1.0, 5),
    "getSubscriptionById": (1.0, 5),
    "deleteSubscriptionById": (1.0, 5),
}
# Notifications' limit is the most conservative one Amazon publishes for a "typical" operation.
FALLBACK_LIMIT: tuple[float, int] = (1.0, 5)


class Limiter(Protocol):
    """What SpApiClient needs of a limiter: in-process (the CLI) or shared (DynamoDB, Lambda)."""

    def acquire(self, operation: str, key: str = "") -> float:
        """Wait for a token; returns the seconds slept. Raises RateLimitedError, with the token
        reserved, when the wait would be longer than the limiter's maximum."""
        ...

    def adopt(self, operation: str, key: str, header: str | None) -> None: ...

    def throttled(self, operation: str, key: str = "") -> None: ...

    def holding(self, ticket: Ticket | None) -> AbstractContextManager[None]: ...


class HeldTickets:
    """Tickets handed back for the current call chain (contextvars: per thread, per task)."""

    def __init__(self) -> None:
        self._held: ContextVar[tuple[Ticket, ...]] = ContextVar(f"tickets-{id(self)}", default=())

    @contextmanager
    def holding(self, ticket: Ticket | None) -> Iterator[None]:
        token = self._held.set((*self._held.get(), ticket) if ticket else self._held.get())
        try:
            yield
        finally:
            self._held.reset(token)

    def take(self, operation: str, key: str) -> Ticket | None:
        """The held ticket for this operation and key, used up by this call."""
        held = self._held.get()
        for index, ticket in enumerate(held):
            if (ticket.operation, ticket.key) == (operation, key):
                self._held.set(held[:index] + held[index + 1 :])
                return ticket
        return None


def seconds_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class TokenBucket:
    """A bucket that may go negative: each caller reserves a token and learns how long to wait.

    Reserving (rather than polling until a token appears) lets concurrent callers queue up in
    order, each sleeping exactly until its own token has been refilled.
    """

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, got {rate}/{burst}")
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def reserve(self, now: float) -> float:
        """Take one token; returns the seconds to wait before using it (0 when available)."""
        self._refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def set_rate(self, rate: float, now: float) -> None:
        """Adopt a new refill rate from now on; tokens earned so far are kept."""
        self._refill(now)
        self.rate = rate

    def drain(self, now: float) -> None:
        """Amazon's bucket is empty (it answered 429): ours must not believe otherwise."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)


class RateLimiter:
    """Blocking limiter with one TokenBucket per (operation, key); thread-safe.

    `margin_seconds` is added to every wait, to absorb network jitter (see `acquire`).
    """

    def __init__(
        self,
        limits: Mapping[str, tuple[float, int]] | None = None,
        *,
        fallback: tuple[float, int] = FALLBACK_LIMIT,
        margin_seconds: float = 0.05,
        max_wait_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._max_wait = max_wait_seconds
        self._limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._fallback = fallback
        self._margin = margin_seconds
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self._tickets = HeldTickets()

    def holding(self, ticket: Ticket | None) -> AbstractContextManager[None]:
        """Tickets of this limiter are in its own clock's time (monotonic by default)."""
        return self._tickets.holding(ticket)

    def bucket(self, operation: str, key: str = "") -> TokenBucket:
        """The bucket for this operation and seller (or application), created on first use."""
        with self._lock:
            return self._bucket(operation, key)

    def _bucket(self, operation: str, key: str) -> TokenBucket:
        found = self._buckets.get((operation, key))
        if found is None:
            rate, burst = self._limits.get(operation, self._fallback)
            found = self._buckets[(operation, key)] = TokenBucket(rate, burst, self._clock())
        return found

    def acquire(self, operation: str, key: str = "") -> float:
        """Block until a call may be made; returns the seconds slept.

        With `max_wait_seconds`, a longer wait raises RateLimitedError instead, the token kept
        for its ticket: a workflow's Wait state waits for free, while a sleeping function is
        billed.
        """
        ticket = self._tickets.take(operation, key)
        with self._lock:
            now = self._clock()
            if ticket is not None:
                wait = max(0.0, ticket.not_before - now)
            else:
                wait = self._bucket(operation, key).reserve(now)
                if self._max_wait is not None and wait > self._max_wait:
                    raise RateLimitedError(
                        operation, key, now + wait + self._margin, waited_for=seconds_text(wait)
                    )
        if wait > 0:
            # Amazon's bucket starts when our first request arrives, a little after ours, and
            # later requests may travel faster than the first: a call timed to the microsecond
            # can arrive just before Amazon's token. The margin is paid once, not per call,
            # because the extra sleep refills our bucket too.
            wait += self._margin
            # Sleep outside the lock so other operations and sellers are not held up.
            self._sleep(wait)
        return wait

    def adopt(self, operation: str, key: str, header: str | None) -> None:
        """Apply an `x-amzn-RateLimit-Limit` value; absent or malformed values are ignored."""
        if not header:
            return
        try:
            rate = float(header)
        except ValueError:
            return
        if not math.isfinite(rate) or rate <= 0:
            return
        with self._lock:
            bucket = self._bucket(operation, key)
            if bucket.rate != rate:
                log.info("rate limit of %s is now %s/s", operation, rate)
                bucket.set_rate(rate, self._clock())

    def throttled(self, operation: str, key: str = "") -> None:
        """Record a 429 so the next call waits for a whole refill interval."""
        with self._lock:
            self._bucket(operation, key).drain(self._clock())
