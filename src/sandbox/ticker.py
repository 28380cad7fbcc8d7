"""A background thread that moves reports along while any are pending, and then stops."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Ticker:
    """Calls `tick` every `interval` seconds while `busy()`; `poke()` starts it again."""

    def __init__(self, tick: Callable[[], None], busy: Callable[[], bool], interval: float) -> None:
        self._tick = tick
        self._busy = busy
        self._interval = interval
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def poke(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-ticker", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        self._closed.set()

    def _run(self) -> None:
        while not self._closed.wait(self._interval):
            self._tick()
            # Decide to stop under the lock poke() takes, so new work never finds a dying thread.
            with self._lock:
                if not self._busy():
                    self._thread = None
                    return
        with self._lock:
            self._thread = None
