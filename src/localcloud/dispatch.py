"""Routing moto's Lambda invocations to the real `handlers.<name>.lambda_handler` in-process,
each in an execution environment of its function's pool, throttled at its reserved concurrency."""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from infra.state_machines import FUNCTION_SPECS
from wiring import runtime

Handler = Callable[[Any, Any], Any]
# What an account allows a function without reserved concurrency.
UNRESERVED_CONCURRENCY = 1000
# Lambda queues an asynchronous invocation and retries it while the function is throttled (for
# up to six hours); LocalCloud tries again this often, for at most this long.
ASYNC_RETRY_SECONDS = 0.05
ASYNC_MAX_WAIT_SECONDS = 60.0


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


class Throttled(Exception):
    """Every execution environment of the function is busy: Lambda's TooManyRequestsException."""


@dataclass(frozen=True)
class FunctionStats:
    invocations: int = 0  # invocations that ran (throttled ones did not)
    errors: int = 0  # of those, the ones that raised
    throttles: int = 0
    peak_concurrency: int = 0
    cold_starts: int = 0  # execution environments created


class Pool:
    """The execution environments of one function; at most `limit` run at once, like Lambda's
    reserved concurrency. A free environment is reused (warm), the most recently used first."""

    def __init__(self, limit: int, new: Callable[[], runtime.Process]) -> None:
        self.limit = limit
        self._new = new
        self._idle: list[runtime.Process] = []
        self._busy = 0
        self._generation = 0
        self.stats = FunctionStats()
        self._lock = threading.Lock()

    def _count(self, **changes: int) -> None:
        self.stats = replace(
            self.stats, **{k: getattr(self.stats, k) + v for k, v in changes.items()}
        )

    @contextmanager
    def acquire(self) -> Iterator[runtime.Process]:
        with self._lock:
            if self._busy >= self.limit:
                self._count(throttles=1)
                raise Throttled(f"all {self.limit} execution environments are busy")
            self._busy += 1
            self._count(invocations=1)
            peak = max(self.stats.peak_concurrency, self._busy)
            self.stats = replace(self.stats, peak_concurrency=peak)
            process = self._idle.pop() if self._idle else None
            if process is None:
                process = self._new()
                self._count(cold_starts=1)
            generation = self._generation
        try:
            yield process
        finally:
            with self._lock:
                self._busy -= 1
                if generation == self._generation:
                    self._idle.append(process)

    def record_error(self) -> None:
        with self._lock:
            self._count(errors=1)

    def retire(self) -> None:
        """Drop every environment: the next invocations start cold, as after a deploy."""
        with self._lock:
            self._idle.clear()
            self._generation += 1


def _reserved() -> dict[str, int]:
    return {name: spec.concurrency for name, spec in FUNCTION_SPECS.items()}


@dataclass
class Dispatcher:
    """Maps a function name (`<prefix><handler>`) to a handler and answers the way Lambda does.

    `build` makes a new environment's container from the function's checked configuration.
    """

    prefix: str
    overrides: dict[str, Handler] = field(default_factory=dict)
    concurrency: Mapping[str, int] = field(default_factory=_reserved)
    build: runtime.Build = runtime.build
    calls: dict[str, int] = field(default_factory=dict)
    _pools: dict[str, Pool] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _queued: int = field(default=0, repr=False)

    def handler(self, name: str) -> Handler:
        if name in self.overrides:
            return self.overrides[name]
        module = importlib.import_module(f"handlers.{name}")
        return module.lambda_handler  # type: ignore[no-any-return]

    def pool(self, name: str) -> Pool:
        with self._lock:
            if name not in self._pools:
                limit = self.concurrency.get(name, UNRESERVED_CONCURRENCY)
                self._pools[name] = Pool(limit, lambda: runtime.Process(self.build))
            return self._pools[name]

    def stats(self) -> dict[str, FunctionStats]:
        """Per function: invocations, errors, throttles, peak concurrency, cold starts."""
        with self._lock:
            pools = dict(self._pools)
        return {name: pool.stats for name, pool in sorted(pools.items())}

    def cold_start(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.retire()

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """Raises Throttled when every environment of the function is busy."""
        # Step Functions passes the function's ARN, boto3 callers its name.
        bare = function_name.split(":function:")[-1].split(":")[0]
        name = bare.removeprefix(self.prefix)
        pool = self.pool(name)
        with pool.acquire() as process, runtime.bound(process):
            with self._lock:
                self.calls[name] = self.calls.get(name, 0) + 1
            spec = FUNCTION_SPECS.get(name)
            context = LambdaContext(
                bare, function_name, memory_limit_in_mb=spec.memory if spec else 512
            )
            try:
                event = json.loads(body) if body else {}
                return json.dumps(self.handler(name)(event, context)).encode()
            except Exception as exc:
                pool.record_error()
                response_headers["x-amz-function-error"] = "Unhandled"
                return _unhandled(exc)

    def invoke_async(self, function_name: str, body: Any) -> None:
        """InvocationType Event: queued, run in the background (a throttled one waits for an
        environment), its result and error kept from the caller, as Lambda does."""

        def run() -> None:
            deadline = time.monotonic() + ASYNC_MAX_WAIT_SECONDS
            try:
                while True:
                    try:
                        self.invoke(function_name, body, {})
                        return
                    except Throttled:
                        if time.monotonic() > deadline:
                            return
                        time.sleep(ASYNC_RETRY_SECONDS)
            finally:
                with self._lock:
                    self._queued -= 1

        with self._lock:
            self._queued += 1
        threading.Thread(target=run, name=f"async {function_name}", daemon=True).start()

    def in_flight(self) -> int:
        """Asynchronous invocations queued or running."""
        with self._lock:
            return self._queued


def _unhandled(exc: Exception) -> bytes:
    # What Lambda returns for an unhandled error: Step Functions names it by errorType, which
    # is what Retry and Catch match.
    return json.dumps(
        {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
    ).encode()


def _too_many_requests() -> Exception:
    """What the Lambda API answers over reserved concurrency: HTTP 429, TooManyRequestsException.
    Step Functions' lambda:invoke integration reports it as `Lambda.TooManyRequestsException`."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("TooManyRequestsException", "Rate Exceeded.")
    error.code = 429
    error.description = json.dumps(
        {
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "Type": "User",
            "message": "Rate Exceeded.",
        }
    )
    return error


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
        if headers.get("X-Amz-Invocation-Type") == "Event":
            dispatcher.invoke_async(function_name, body)
            return b""  # moto answers 202 with it
        try:
            return dispatcher.invoke(function_name, body, response_headers)
        except Throttled:
            raise _too_many_requests() from None

    original = LambdaSimpleBackend.invoke
    LambdaSimpleBackend.invoke = invoke  # type: ignore[assignment,method-assign]
    try:
        yield dispatcher
    finally:
        LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]
