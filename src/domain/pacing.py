"""Pacing: a step that must wait for a rate limit hands its wait to the workflow, to a deadline."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from domain.errors import RateLimitedError, ThrottleDeadlineError
from domain.ports import Clock


@dataclass(frozen=True)
class Ticket:
    """A token reserved in a shared bucket: the call may be made from `not_before` on."""

    operation: str
    key: str
    not_before: float  # epoch seconds


class RateLimits(Protocol):
    """The rate limiter behind the SP-API adapter, as far as the domain sees it."""

    def holding(self, ticket: Ticket | None) -> AbstractContextManager[None]:
        """Within the block, the first call of the ticket's operation and key uses the reserved
        token (waiting until `not_before` if need be) instead of reserving another."""
        ...


@dataclass(frozen=True)
class Pace:
    """Where a paced step stands: its deadline, whether it must wait, and for how long.

    The workflow carries it from one attempt of the step to the next; `waiting` sends the
    execution to a Wait state of `wait_seconds`, after which the step runs again with `ticket`.
    """

    deadline: datetime
    waits: int = 0
    since: datetime | None = None  # when this step first had to wait
    wait_seconds: int = 0
    ticket: Ticket | None = None
    authenticate: bool = False  # seal a new access token before the next attempt

    @property
    def waiting(self) -> bool:
        return self.wait_seconds > 0


class Pacer:
    """Runs steps under a deadline; the deadline is set on a step's first attempt."""

    def __init__(self, limits: RateLimits, clock: Clock, deadline: timedelta) -> None:
        if deadline <= timedelta(0):
            raise ValueError("the throttle deadline must be positive")
        self._limits = limits
        self._clock = clock
        self._deadline = deadline

    def start(self, pace: Pace | None) -> Pace:
        """The pace of an attempt: the carried one, or a new one whose deadline starts now."""
        if pace is not None:
            return pace
        return Pace(deadline=self._clock.now() + self._deadline)

    @contextmanager
    def attempt(self, pace: Pace) -> Iterator[None]:
        """Honour the ticket the previous attempt waited for."""
        with self._limits.holding(pace.ticket):
            yield

    def wait(self, pace: Pace, limited: RateLimitedError) -> Pace:
        """The pace that waits for `limited`'s reserved token. ThrottleDeadlineError when the
        token comes after the deadline."""
        now = self._clock.now()
        not_before = datetime.fromtimestamp(limited.not_before, UTC)
        if not_before > pace.deadline:
            raise ThrottleDeadlineError(
                f"{limited.operation}: still rate-limited at the deadline"
                f" {pace.deadline.isoformat(timespec='seconds')} after {pace.waits} waits;"
                " raise throttleDeadlineHours or request fewer reports per selling partner"
            )
        return Pace(
            deadline=pace.deadline,
            waits=pace.waits + 1,
            since=pace.since or now,
            wait_seconds=max(1, math.ceil((not_before - now).total_seconds())),
            ticket=Ticket(limited.operation, limited.key, limited.not_before),
        )

    def pause(self, pace: Pace, seconds: int) -> Pace:
        """Come back in `seconds` with no ticket: a fault interrupted a step that had made
        progress, which the workflow carries instead of losing it to a retry."""
        return Pace(
            deadline=pace.deadline, waits=pace.waits, since=pace.since, wait_seconds=seconds
        )

    def reauthenticate(self, pace: Pace) -> Pace:
        """The access token expired (a 403 that consumed no token): come back at once with a new
        one, keeping the ticket this attempt held."""
        return Pace(
            deadline=pace.deadline,
            waits=pace.waits,
            since=pace.since,
            wait_seconds=1,
            ticket=pace.ticket,
            authenticate=True,
        )

    def done(self, pace: Pace) -> Pace:
        """The pace after a step ran: nothing to wait for, the deadline kept."""
        return Pace(deadline=pace.deadline, waits=pace.waits, since=pace.since)

    def overdue(self, pace: Pace) -> bool:
        return self._clock.now() > pace.deadline
