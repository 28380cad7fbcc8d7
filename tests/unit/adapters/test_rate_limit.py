"""Token buckets: burst then steady rate, header adoption, and draining on 429."""

from __future__ import annotations

import pytest

from adapters.rate_limit import DEFAULT_LIMITS, RateLimiter, TokenBucket
from domain.errors import RateLimitedError
from domain.pacing import Ticket
from tests.unit.adapters.support import FakeTime


def limiter(time: FakeTime, **limits: tuple[float, int]) -> RateLimiter:
    return RateLimiter(limits or None, margin_seconds=0.0, clock=time.clock, sleep=time.sleep)


def test_the_defaults_are_amazons_published_limits() -> None:
    assert DEFAULT_LIMITS["getReports"] == (0.0222, 10)
    assert DEFAULT_LIMITS["createReport"] == (0.0167, 15)
    assert DEFAULT_LIMITS["getReport"] == (2.0, 15)
    assert DEFAULT_LIMITS["cancelReport"] == (0.0222, 10)
    assert DEFAULT_LIMITS["getReportDocument"] == (0.0167, 15)
    for operation in ("getDestinations", "createDestination", "getSubscription"):
        assert DEFAULT_LIMITS[operation] == (1.0, 5)
    assert DEFAULT_LIMITS["createSubscription"] == (1.0, 5)


def test_a_burst_goes_through_then_calls_are_spaced_at_the_rate() -> None:
    time = FakeTime()
    limits = limiter(time)

    waits = [limits.acquire("getReport", "S1") for _ in range(17)]

    assert waits[:15] == [0.0] * 15
    assert waits[15:] == [0.5, 0.5]


def test_a_batch_takes_exactly_the_theoretical_minimum() -> None:
    time = FakeTime()
    limits = limiter(time)
    start = time.now

    for _ in range(45):
        limits.acquire("getReport", "S1")

    assert time.now - start == pytest.approx((45 - 15) / 2.0)


def test_the_safety_margin_is_paid_once_per_batch_not_per_call() -> None:
    time = FakeTime()
    limits = RateLimiter(margin_seconds=0.05, clock=time.clock, sleep=time.sleep)
    start = time.now

    waits = [limits.acquire("getReport", "S1") for _ in range(45)]

    assert waits[15] == pytest.approx(0.55)
    assert waits[16:] == [pytest.approx(0.5)] * 29
    assert time.now - start == pytest.approx(15.05)


def test_an_idle_bucket_refills_up_to_its_burst_only() -> None:
    time = FakeTime()
    limits = limiter(time, getReport=(2.0, 3))
    for _ in range(3):
        limits.acquire("getReport", "S1")

    time.now += 3600
    waits = [limits.acquire("getReport", "S1") for _ in range(4)]

    assert waits == [0.0, 0.0, 0.0, 0.5]


def test_each_operation_and_seller_has_its_own_bucket() -> None:
    time = FakeTime()
    limits = limiter(time, getReport=(1.0, 1), createReport=(1.0, 1))

    waits = [
        limits.acquire("getReport", "S1"),
        limits.acquire("getReport", "S2"),
        limits.acquire("createReport", "S1"),
        limits.acquire("getReport", "S1"),
    ]

    assert waits == [0.0, 0.0, 0.0, 1.0]


def test_unknown_operations_get_the_fallback_limit() -> None:
    time = FakeTime()
    limits = RateLimiter(
        {}, fallback=(4.0, 1), margin_seconds=0.0, clock=time.clock, sleep=time.sleep
    )

    assert [limits.acquire("mystery"), limits.acquire("mystery")] == [0.0, 0.25]


def test_a_rate_limit_header_changes_the_rate_and_keeps_the_burst() -> None:
    time = FakeTime()
    limits = limiter(time)

    limits.adopt("getReport", "S1", "0.5")
    waits = [limits.acquire("getReport", "S1") for _ in range(16)]

    assert limits.bucket("getReport", "S1").burst == 15
    assert waits[-1] == pytest.approx(2.0)
    assert limits.bucket("getReport", "S2").rate == 2.0  # other sellers keep their own rate


@pytest.mark.parametrize("header", [None, "", "fast", "0", "-1", "nan", "inf"])
def test_absent_or_nonsense_headers_are_ignored(header: str | None) -> None:
    time = FakeTime()
    limits = limiter(time)

    limits.adopt("getReport", "S1", header)

    assert limits.bucket("getReport", "S1").rate == 2.0


def test_a_429_drains_the_bucket_so_the_next_call_waits_a_full_interval() -> None:
    time = FakeTime()
    limits = limiter(time)
    limits.acquire("getReport", "S1")

    limits.throttled("getReport", "S1")

    assert limits.acquire("getReport", "S1") == pytest.approx(0.5)


def test_concurrent_reservations_queue_one_interval_apart() -> None:
    bucket = TokenBucket(rate=2.0, burst=1, now=0.0)

    assert [bucket.reserve(0.0) for _ in range(4)] == [0.0, 0.5, 1.0, 1.5]


def test_draining_keeps_outstanding_reservations() -> None:
    bucket = TokenBucket(rate=1.0, burst=2, now=0.0)
    for _ in range(3):
        bucket.reserve(0.0)

    bucket.drain(0.0)

    assert bucket.reserve(0.0) == 2.0


def test_a_bucket_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0.0, burst=1, now=0.0)


def test_a_wait_beyond_the_cap_reserves_the_token_for_the_ticket_holder() -> None:
    time = FakeTime()
    limits = RateLimiter(
        {"createReport": (0.5, 1)},
        margin_seconds=0.0,
        max_wait_seconds=1.0,
        clock=time.clock,
        sleep=time.sleep,
    )
    limits.acquire("createReport", "S1")
    limits.throttled("createReport", "S1")
    with pytest.raises(RateLimitedError, match=r"createReport.*2 s away") as raised:
        limits.acquire("createReport", "S1")
    # The token is spoken for: the next caller queues behind it.
    assert limits.bucket("createReport", "S1").tokens == -1.0
    time.sleep(2.0)
    ticket = Ticket("createReport", "S1", raised.value.not_before)
    with limits.holding(ticket):
        assert limits.acquire("createReport", "S1") == 0.0
    # The ticket took no second token: the next caller's slot is one interval later.
    with pytest.raises(RateLimitedError):
        limits.acquire("createReport", "S1")
