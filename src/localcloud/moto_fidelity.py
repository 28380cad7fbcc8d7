"""moto made faithful and fast where LocalCloud needs it: atomic DynamoDB writes, one Lambda
client, each state machine definition and JSONPath parsed once.

moto checks a write's condition and then stores the item without a lock, so two racing writers
can both win; the shared rate limiter relies on exactly that race being impossible in DynamoDB.
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


@contextmanager
def shared_lambda_client() -> Iterator[None]:
    """One Lambda client for moto's Step Functions interpreter, not a new one per task.

    moto builds a boto3 client (models, an SSL context) for every Lambda task and every retry:
    under a burst of executions that work, not ours, would take most of this machine's time
    and stretch simulated time. botocore clients are thread-safe, so one serves every thread.
    """
    import boto3
    from botocore.config import Config
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.boto_client_for  # type: ignore[attr-defined]
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in clients:
                # moto's own settings (no retries, long timeouts), with a pool for many threads.
                clients[(region, service)] = boto3.client(  # type: ignore[call-overload]
                    service,
                    region_name=region,
                    endpoint_url=f"http://localhost:{moto_server_port()}",
                    aws_access_key_id="ak",
                    aws_secret_access_key="sk",  # noqa: S106 - moto's fake credentials
                    config=Config(
                        parameter_validation=False,
                        retries={"max_attempts": 0, "total_max_attempts": 1},
                        connect_timeout=3600,
                        read_timeout=3600,
                        max_pool_connections=200,
                    ),
                )
            return clients[(region, service)]

    lambda_eval_utils.boto_client_for = cached  # type: ignore[attr-defined]
    try:
        yield
    finally:
        lambda_eval_utils.boto_client_for = original  # type: ignore[attr-defined]


@contextmanager
def parsed_json_paths_once() -> Iterator[None]:
    """moto's Step Functions interpreter builds a new JSONPath parser (its yacc tables) for every
    path of every state it evaluates: about an eighth of LocalCloud's CPU under a burst. A parsed
    expression is immutable, so one per distinct path serves every execution and thread."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    modules = (json_path, result_path)
    saved = [module.parse for module in modules]
    for module, parse in zip(modules, saved, strict=True):
        module.parse = functools.lru_cache(maxsize=4096)(parse)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, parse in zip(modules, saved, strict=True):
            module.parse = parse  # type: ignore[attr-defined]


@contextmanager
def parsed_definitions_once() -> Iterator[None]:
    """moto parses a state machine's definition (ANTLR, then its components) again for every
    execution: a fifth of LocalCloud's CPU under a burst. Its components keep per-execution
    state in the execution's environment, never on themselves (a Map already runs one parsed
    iteration body in many threads), so one parse per definition serves every execution. Each
    component's lazily drawn heap key is drawn at parse time, so threads never race to it."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original = AmazonStateLanguageParser.__dict__["parse"]

    @functools.lru_cache(maxsize=64)
    def parse(definition: str) -> Any:
        parsed = original.__func__(definition)
        _draw_heap_keys(parsed[0])
        return parsed

    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]
    try:
        yield
    finally:
        AmazonStateLanguageParser.parse = original  # type: ignore[method-assign]


def _draw_heap_keys(root: Any) -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    seen: set[int] = set()
    pending = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, EvalComponent):
            item.heap_key  # noqa: B018 - drawn now, once
            pending.extend(vars(item).values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
