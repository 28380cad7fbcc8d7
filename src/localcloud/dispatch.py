"""Routing moto's Lambda invocations to the real `handlers.<name>.lambda_handler` in-process."""

from __future__ import annotations

import importlib
import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of a Lambda context that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class Dispatcher:
    """Maps a function name (`<prefix><handler>`) to a handler and answers the way Lambda does."""

    prefix: str
    overrides: dict[str, Handler] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def handler(self, name: str) -> Handler:
        if name in self.overrides:
            return self.overrides[name]
        module = importlib.import_module(f"handlers.{name}")
        return module.lambda_handler  # type: ignore[no-any-return]

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        # Step Functions passes the function's ARN, boto3 callers its name.
        bare = function_name.split(":function:")[-1].split(":")[0]
        name = bare.removeprefix(self.prefix)
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1
        event = json.loads(body) if body else {}
        context = LambdaContext(bare, function_name)
        try:
            result = self.handler(name)(event, context)
        except Exception as exc:
            # What Lambda does with an unhandled error: Step Functions names it by errorType,
            # which is what Retry and Catch match.
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
            ).encode()
        return json.dumps(result).encode()


@contextmanager
def routed(dispatcher: Dispatcher) -> Iterator[Dispatcher]:
    """Replace moto's simple Lambda backend invoke for the duration (server mode included)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        return dispatcher.invoke(function_name, body, response_headers)

    original = LambdaSimpleBackend.invoke
    LambdaSimpleBackend.invoke = invoke  # type: ignore[assignment,method-assign]
    try:
        yield dispatcher
    finally:
        LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]
