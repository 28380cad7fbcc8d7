"""Retry policy: which failures are retried, full-jitter delays, and both bounds."""

from __future__ import annotations

import random

import httpx
import pytest

from adapters.http_retry import Retrying, RetryPolicy
from tests.unit.adapters.support import FakeTime, Script, reply


def run(script: Script, retrying: Retrying) -> httpx.Response:
    client = script.client()
    return retrying.run(lambda: client.get("https://api.test/x"), operation="getReport")


def retrying(time: FakeTime, policy: RetryPolicy | None = None, jitter: float = 1.0) -> Retrying:
    return Retrying(policy, sleep=time.sleep, random=lambda: jitter, clock=time.clock)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_retryable_status_is_retried_until_success(status: int) -> None:
    time = FakeTime()
    script = Script([reply(status), reply(status), reply(200)])

    response = run(script, retrying(time))

    assert response.status_code == 200
    assert script.calls == 3
    assert time.slept == [1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_returned_at_once(status: int) -> None:
    time = FakeTime()
    script = Script([reply(status)])

    assert run(script, retrying(time)).status_code == status
    assert script.calls == 1
    assert time.slept == []


def test_retries_stop_after_max_attempts_returning_the_last_response() -> None:
    time = FakeTime()
    script = Script([reply(503)])

    response = run(script, retrying(time, RetryPolicy(max_attempts=5, max_total_seconds=1e9)))

    assert response.status_code == 503
    assert script.calls == 5
    assert time.slept == [1.0, 2.0, 4.0, 8.0]  # ceilings, since the jitter source returned 1.0


def test_retries_stop_when_the_next_delay_would_pass_the_time_budget() -> None:
    time = FakeTime()
    script = Script([reply(429)])
    policy = RetryPolicy(max_attempts=50, max_total_seconds=10.0)

    response = run(script, retrying(time, policy))

    # 1 + 2 + 4 = 7 s slept; another 8 s would end after the 10 s budget.
    assert response.status_code == 429
    assert time.slept == [1.0, 2.0, 4.0]
    assert script.calls == 4


def test_delays_use_full_jitter_between_zero_and_a_capped_exponential_ceiling() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=9, max_total_seconds=1e9, base_delay=0.5, max_delay=10.0)
    source = random.Random(7)
    script = Script([reply(500)])

    run(script, Retrying(policy, sleep=time.sleep, random=source.random, clock=time.clock))

    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert len(time.slept) == len(ceilings)
    assert all(0.0 <= d <= c for d, c in zip(time.slept, ceilings, strict=True))
    assert len(set(time.slept)) == len(ceilings)  # jittered, not a fixed schedule


def test_jitter_scales_each_ceiling() -> None:
    time = FakeTime()
    script = Script([reply(503), reply(503), reply(200)])

    run(script, retrying(time, jitter=0.25))

    assert time.slept == [0.25, 0.5]


def test_transport_errors_are_retried_and_reraised_when_attempts_run_out() -> None:
    time = FakeTime()
    script = Script([httpx.ConnectError("refused")])

    with pytest.raises(httpx.ConnectError):
        run(script, retrying(time, RetryPolicy(max_attempts=3)))

    assert script.calls == 3
    assert len(time.slept) == 2


def test_a_timeout_then_success_returns_the_success() -> None:
    time = FakeTime()
    script = Script([httpx.ReadTimeout("slow"), reply(200)])

    assert run(script, retrying(time)).status_code == 200
