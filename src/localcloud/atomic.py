"""DynamoDB's conditional writes made atomic in moto, as they are in DynamoDB itself.

moto checks a write's condition and then stores the item without a lock, so two racing writers
can both win. The shared rate limiter relies on exactly that race being impossible.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    """Serialise moto's DynamoDB writes for the duration (server mode included)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def write(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return write

    saved = {name: getattr(DynamoDBBackend, name) for name in _WRITES}
    for name, method in saved.items():
        setattr(DynamoDBBackend, name, locked(method))
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(DynamoDBBackend, name, method)
