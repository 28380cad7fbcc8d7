"""Pacer: a rate-limited step hands its wait to the workflow, with its ticket, to a deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import RateLimitedError, ThrottleDeadlineError
from domain.pacing import Pacer, Ticket
from tests.fakes import FakeClock, FakeRateLimits

SELLER = "A3TH9S8BH6GOGM"
DAY = timedelta(hours=24)


def _pacer(clock: FakeClock, limits: FakeRateLimits | None = None) -> Pacer:
    return Pacer(limits or FakeRateLimits(clock), clock, DAY)


def _limited(clock: FakeClock, seconds: float, operation: str = "createReport") -> RateLimitedError:
    not_before = clock.now().timestamp() + seconds
    return RateLimitedError(operation, SELLER, not_before, waited_for=f"{seconds:.0f} s")


def test_a_first_attempt_gets_a_deadline_a_day_from_now() -> None:
    clock = FakeClock()

    pace = _pacer(clock).start(None)

    assert pace.deadline == clock.now() + DAY
    assert (pace.waits, pace.since, pace.ticket, pace.waiting) == (0, None, None, False)


def test_a_later_attempt_keeps_the_pace_it_carries() -> None:
    # given a pace started a while ago
    clock = FakeClock()
    pacer = _pacer(clock)
    carried = pacer.start(None)
    clock.sleep(3_600)

    # when the next attempt starts with it
    pace = pacer.start(carried)

    # then the deadline does not move
    assert pace == carried
    assert pace.deadline == clock.now() + DAY - timedelta(hours=1)


def test_a_deadline_must_be_positive() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="positive"):
        Pacer(FakeRateLimits(clock), clock, timedelta(0))


def test_a_long_rate_limit_becomes_a_wait_for_the_reserved_token() -> None:
    # given a step rate-limited for 90.2 s
    clock = FakeClock()
    pacer = _pacer(clock)
    pace = pacer.start(None)
    limited = _limited(clock, 90.2)

    # when the pacer turns it into a wait
    waiting = pacer.wait(pace, limited)

    # then the workflow waits whole seconds until the token, and carries the ticket
    assert waiting.wait_seconds == 91
    assert waiting.ticket == Ticket("createReport", SELLER, limited.not_before)
    assert waiting.waiting
    assert (waiting.waits, waiting.since, waiting.deadline) == (1, clock.now(), pace.deadline)


def test_a_second_wait_counts_on_and_remembers_when_waiting_began() -> None:
    # given a step that already waited once
    clock = FakeClock()
    pacer = _pacer(clock)
    first = pacer.wait(pacer.start(None), _limited(clock, 60))
    began = clock.now()
    clock.sleep(first.wait_seconds)

    # when it is rate-limited again
    second = pacer.wait(first, _limited(clock, 120))

    # then the count grows and `since` is still the first wait
    assert (second.waits, second.since, second.wait_seconds) == (2, began, 120)


def test_a_token_already_due_still_waits_one_second() -> None:
    # Step Functions' Wait state takes whole seconds; zero would make the step spin.
    clock = FakeClock()
    pacer = _pacer(clock)

    pace = pacer.wait(pacer.start(None), _limited(clock, 0.0))

    assert pace.wait_seconds == 1


def test_a_token_after_the_deadline_fails_the_step_saying_what_to_do() -> None:
    # given a step an hour from its deadline
    clock = FakeClock()
    pacer = _pacer(clock)
    pace = pacer.start(None)
    clock.sleep((DAY - timedelta(hours=1)).total_seconds())

    # when its next token is two hours away
    # then the step gives up, naming the operation and the settings to change
    with pytest.raises(ThrottleDeadlineError) as raised:
        pacer.wait(pace, _limited(clock, 7_200, operation="getReports"))
    message = str(raised.value)
    assert "getReports" in message
    assert "throttleDeadlineHours" in message
    assert "fewer reports" in message
    assert "\n" not in message


def test_a_token_exactly_at_the_deadline_is_still_waited_for() -> None:
    clock = FakeClock()
    pacer = _pacer(clock)
    pace = pacer.start(None)

    waiting = pacer.wait(pace, _limited(clock, DAY.total_seconds()))

    assert waiting.wait_seconds == DAY.total_seconds()


def test_done_keeps_the_deadline_and_the_count_but_drops_the_ticket() -> None:
    # given a pace waiting for a ticket
    clock = FakeClock()
    pacer = _pacer(clock)
    waiting = pacer.wait(pacer.start(None), _limited(clock, 60))

    # when the step runs through
    done = pacer.done(waiting)

    # then there is nothing left to wait for, and the deadline stands
    assert done.ticket is None
    assert not done.waiting
    assert done.wait_seconds == 0
    assert (done.deadline, done.waits, done.since) == (
        waiting.deadline,
        waiting.waits,
        waiting.since,
    )


def test_an_attempt_hands_its_ticket_to_the_rate_limits() -> None:
    # given a pace waiting for a createReport token, and a limit with no free calls left
    clock = FakeClock()
    limits = FakeRateLimits(clock, free={"createReport": 0})
    pacer = _pacer(clock, limits)
    waiting = pacer.wait(pacer.start(None), _limited(clock, 60))

    # when the next attempt calls createReport
    with pacer.attempt(waiting):
        held_inside = list(limits.held)
        limits.gate("createReport", SELLER)

    # then the call used the ticket instead of reserving another slot
    assert held_inside == [waiting.ticket]
    assert limits.honoured == [waiting.ticket]
    assert limits.reserved == {}
    assert limits.held == []


def test_an_attempt_without_a_ticket_holds_nothing() -> None:
    clock = FakeClock()
    limits = FakeRateLimits(clock, free={"createReport": 0})
    pacer = _pacer(clock, limits)

    with pacer.attempt(pacer.start(None)), pytest.raises(RateLimitedError):
        limits.gate("createReport", SELLER)

    assert limits.honoured == []


def test_a_pace_is_overdue_only_after_its_deadline() -> None:
    clock = FakeClock()
    pacer = _pacer(clock)
    pace = pacer.start(None)

    clock.sleep(DAY.total_seconds())
    at_deadline = pacer.overdue(pace)
    clock.sleep(1)

    assert (at_deadline, pacer.overdue(pace)) == (False, True)
