"""Clocks for the simulator and LocalCloud: one tests move by hand, one faster than real time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class ManualClock:
    """Callable like `time.time`; starts at the real time and moves only on `advance`."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class ScaledClock:
    """Simulated time running `scale` times faster than real time, from `start` (epoch seconds).

    Callable like `time.time` (the simulator's clock) and a domain Clock (`now`, `sleep`), so
    one instance drives the simulator, every function and the state machines' waits alike.
    """

    def __init__(self, scale: float = 1.0, start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError("the time scale must be positive")
        self.scale = scale
        self._start = time.time() if start is None else start
        self._origin = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._start + (time.monotonic() - self._origin) * self.scale

    def rescale(self, scale: float) -> None:
        """Run at `scale` from now on; simulated time goes on from where it is. A load test runs
        its CPU-bound start slower, so that compute is not stretched into simulated hours."""
        if scale <= 0:
            raise ValueError("the time scale must be positive")
        with self._lock:
            real = time.monotonic()
            self._start += (real - self._origin) * self.scale
            self._origin, self.scale = real, scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)

    def real_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds take in real time."""
        return max(0.0, simulated) / self.scale

    def sleep(self, seconds: float) -> None:
        self.sleep_until(self() + seconds)

    def sleep_until(self, epoch_seconds: float) -> None:
        """Sleep until simulated time reaches `epoch_seconds` (a real sleep may end early)."""
        while (left := epoch_seconds - self()) > 0:
            # In slices: the scale may change while we sleep.
            time.sleep(min(0.5, self.real_seconds(left)))
