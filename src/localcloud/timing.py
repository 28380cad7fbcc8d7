"""moto's Step Functions waits on LocalCloud's scaled clock: Wait states and Retry intervals
last their simulated seconds, which take seconds/scale of real time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from types import SimpleNamespace
from typing import Any

from sandbox.clock import ScaledClock


@contextmanager
def scaled_waits(clock: ScaledClock) -> Iterator[ScaledClock]:
    """Patch moto's interpreter for the duration (server mode included), then restore it."""
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import (
        Timestamp,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    def wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        # Until simulated time has moved on by wait_seconds; moto wakes waits on every change of
        # the execution's state, and a stopped execution stops waiting.
        until = clock() + wait_seconds
        while env.is_running() and (left := until - clock()) > 0:
            # In slices: the scale may change during a long wait.
            env.program_state_event.wait(min(0.5, clock.real_seconds(left)))

    def seconds_to_timestamp(self: Any, env: Any) -> float:
        # moto compares with the local wall clock; the timestamp is in simulated UTC.
        self.string.eval(env=env)
        text: str = env.stack.pop()
        timestamp = self._from_timestamp_string(timestamp=text)
        if timestamp is None:
            raise FailureEventException(self._create_failure_event(env, text))
        return float(timestamp.replace(tzinfo=UTC).timestamp() - clock())

    patches: list[tuple[Any, str, Any]] = [
        (WaitFunction, "_wait_interval", wait_interval),
        (Timestamp, "_get_wait_seconds", seconds_to_timestamp),
        # The retrier's only use of `time` is `time.sleep(interval_seconds)`.
        (retrier_decl, "time", SimpleNamespace(sleep=clock.sleep)),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield clock
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
