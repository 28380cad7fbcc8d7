"""Run a state machine in moto with its Lambda tasks dispatched to Python callables in-process."""

from __future__ import annotations

import io
import json
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import DefaultConfig

Handler = Callable[[dict[str, Any], Any], Any]

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret")
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


def function_arn(name: str) -> str:
    """The ARN moto gives a function created by `moto_workflow`."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of a Lambda context that handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Invocations:
    """Every payload each function received, in call order (Map items call concurrently)."""

    calls: dict[str, list[Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, name: str, event: Any) -> None:
        with self._lock:
            self.calls.setdefault(name, []).append(event)

    def count(self, name: str) -> int:
        return len(self.calls.get(name, []))


@dataclass(frozen=True)
class Execution:
    status: str
    output: Any
    history: list[dict[str, Any]]
    error: str | None = None
    cause: str | None = None

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == kind]

    def secrets(self) -> list[str]:
        """Rule 20's markers of an unsealed secret, wherever they appear in history or output."""
        text = json.dumps([self.history, self.output], default=str)
        return [marker for marker in SECRET_MARKERS if marker in text]


def _invoke_as(handler: Handler, name: str, event: Any, response_headers: dict[str, str]) -> bytes:
    """Call `handler` and answer the way Lambda does, errors included.

    An unhandled exception becomes the `X-Amz-Function-Error: Unhandled` header plus an
    `errorType`/`errorMessage` payload, which Step Functions (and moto) turn into an error named
    after the exception class: that is what Retry and Catch match.
    """
    try:
        result = handler(event, FakeLambdaContext(name))
    except Exception as exc:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(
            {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
        ).encode()
    return json.dumps(result).encode()


@dataclass
class MotoWorkflow:
    """Functions created in moto (one per handler name) and a way to run a definition."""

    role_arn: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    invocations: Invocations = field(default_factory=Invocations)
    _machines: dict[str, str] = field(default_factory=dict, repr=False)

    def use(self, handlers: Mapping[str, Handler]) -> MotoWorkflow:
        """Route invocations to `handlers` from now on, with a fresh record of calls."""
        awslambda = boto3.client("lambda", region_name=REGION)
        for name in set(handlers) - set(self.handlers):
            awslambda.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=self.role_arn,
                Handler="index.handler",
                Code={"ZipFile": _stub_zip()},
            )
        self.handlers = dict(handlers)
        self.invocations = Invocations()
        return self

    def dispatch(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        # Step Functions passes the function's ARN; the handler is named by the bare name.
        name = function_name.split(":function:")[-1].split(":")[0]
        event = json.loads(body) if body else {}
        self.invocations.record(name, event)
        return _invoke_as(self.handlers[name], name, event, response_headers)

    def state_machine(self, definition: Mapping[str, Any]) -> str:
        """The ARN of a machine with this definition, created once: moto's ASL parser is slow."""
        text = json.dumps(definition, sort_keys=True)
        if text not in self._machines:
            created = _sfn().create_state_machine(
                name=f"sm-{len(self._machines)}", definition=text, roleArn=self.role_arn
            )
            self._machines[text] = created["stateMachineArn"]
        return self._machines[text]

    def run(
        self,
        definition: Mapping[str, Any],
        execution_input: Any,
        *,
        name: str | None = None,
        timeout: float = 30,
    ) -> Execution:
        """Start one execution (moto names none by itself) and wait for it to end."""
        sfn = _sfn()
        arn = sfn.start_execution(
            stateMachineArn=self.state_machine(definition),
            name=name or uuid.uuid4().hex,
            input=json.dumps(execution_input),
        )["executionArn"]
        deadline = time.monotonic() + timeout
        while (described := sfn.describe_execution(executionArn=arn))["status"] not in TERMINAL:
            if time.monotonic() > deadline:
                raise AssertionError(f"execution still {described['status']} after {timeout} s")
            time.sleep(0.02)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        output = described.get("output")
        return Execution(
            status=described["status"],
            output=json.loads(output) if output else None,
            history=history,
            error=described.get("error"),
            cause=described.get("cause"),
        )


@contextmanager
def moto_workflow(handlers: Mapping[str, Handler]) -> Iterator[MotoWorkflow]:
    """moto with executing state machines; each Lambda invoke runs `handlers[function name]`.

    moto's ASL parser warms up for seconds: share one context across a module's tests and
    swap handlers with `use()` rather than entering a new context per test.
    """
    with mock_aws(config=MOTO_CONFIG):
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(
            RoleName="workflow-test", AssumeRolePolicyDocument=json.dumps(_TRUST)
        )
        workflow = MotoWorkflow(role["Role"]["Arn"]).use(handlers)

        def invoke(
            backend: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes:
            return workflow.dispatch(function_name, body, response_headers)

        original = LambdaSimpleBackend.invoke
        LambdaSimpleBackend.invoke = invoke  # type: ignore[assignment,method-assign]
        try:
            yield workflow
        finally:
            LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]


def run_execution(
    definition: Mapping[str, Any], execution_input: Any, handlers: Mapping[str, Handler]
) -> tuple[str, Any, list[dict[str, Any]]]:
    """One-shot form: (status, output, history events) of one execution."""
    with moto_workflow(handlers) as workflow:
        result = workflow.run(definition, execution_input)
    return result.status, result.output, result.history


def _sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


def _stub_zip() -> bytes:
    # moto wants a deployment package; its code never runs because invoke is replaced.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()
