"""The one container of a Lambda process: built from the environment on the first invocation."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wiring import cloud_config

if TYPE_CHECKING:
    from wiring.cloud_container import CloudContainer

_container: CloudContainer | None = None
_checked: set[str] = set()


def container(function: str) -> CloudContainer:
    """The container, after checking once that the environment has what `function` needs.

    Built lazily, so importing a handler reads no environment and builds no client (cold start
    and tests); a ConfigError names the missing variable on the first invocation.
    """
    global _container
    if function not in _checked:
        config = cloud_config.load(os.environ, function)
        if _container is None:
            from wiring.cloud_container import CloudContainer

            _container = CloudContainer()
            _container.config.from_dict(config.as_dict())
        _checked.add(function)
    assert _container is not None
    return _container


def use(built: CloudContainer) -> None:
    """Make every handler use `built` (tests: a container with fakes), with no env checks."""
    global _container
    _container = built
    _checked.update(cloud_config.NEEDS)


def reset() -> None:
    """Forget the container: the next invocation reads the environment again."""
    global _container
    _container = None
    _checked.clear()
