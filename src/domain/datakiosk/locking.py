"""The creation lock for one process (the CLI, tests): a thread lock per partner."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ProcessCreationLock:
    """The CreationLock port within one process; a deployment's callers need a shared one."""

    def __init__(self, patience_seconds: float = 5.0) -> None:
        self._patience = patience_seconds
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def holding(self, partner_id: str) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(partner_id, threading.Lock())
        held = lock.acquire(timeout=self._patience)
        try:
            yield held
        finally:
            if held:
                lock.release()
