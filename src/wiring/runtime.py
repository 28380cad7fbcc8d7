"""The container of a Lambda process: built from the environment on the first invocation.

A process is one Lambda execution environment. Deployed, there is one per Python process and
`container()` uses the default one; LocalCloud runs many in one Python process and binds one to
each invocation (`bound`), so every execution environment keeps its own caches and clients.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from wiring import cloud_config

if TYPE_CHECKING:
    from wiring.cloud_container import CloudContainer

Build = Callable[[cloud_config.CloudConfig], "CloudContainer"]


def build(config: cloud_config.CloudConfig) -> CloudContainer:
    """The container a function runs with, configured from its checked environment."""
    from wiring.cloud_container import CloudContainer

    built = CloudContainer()
    built.config.from_dict(config.as_dict())
    return built


class Process:
    """One execution environment's state: a container, built by `build` on first use."""

    def __init__(self, build: Build = build, built: CloudContainer | None = None) -> None:
        self._build = build
        self.built = built
        # A ready-made container (tests: fakes) skips the environment checks.
        self._checked: set[str] = set(cloud_config.NEEDS) if built is not None else set()
        self._lock = threading.Lock()

    def container(self, function: str) -> CloudContainer:
        """The container, after checking once that the environment has what `function` needs.

        Built lazily, so importing a handler reads no environment and builds no client (cold
        start and tests); a ConfigError names the missing variable on the first invocation.
        """
        with self._lock:
            if function not in self._checked:
                config = cloud_config.load(os.environ, function)
                if self.built is None:
                    self.built = self._build(config)
                self._checked.add(function)
            assert self.built is not None
            return self.built


_default = Process()
_bound: ContextVar[Process | None] = ContextVar("spapi_lake_process", default=None)


def container(function: str) -> CloudContainer:
    """The container of the process running this invocation (see `Process.container`)."""
    return (_bound.get() or _default).container(function)


@contextmanager
def bound(process: Process | CloudContainer) -> Iterator[Process]:
    """Run the enclosed invocation in `process` (or a ready container) instead of the default."""
    target = process if isinstance(process, Process) else Process(built=process)
    token = _bound.set(target)
    try:
        yield target
    finally:
        _bound.reset(token)


def use(built: CloudContainer) -> None:
    """Make every handler use `built` (tests: a container with fakes), with no env checks."""
    global _default
    _default = Process(built=built)


def reset() -> None:
    """Forget the default container: the next invocation reads the environment again."""
    global _default
    _default = Process()
