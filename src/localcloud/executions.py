"""Step Functions executions as LocalCloud reports them."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Execution:
    arn: str
    name: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None


def described(execution: Mapping[str, Any]) -> Execution:
    """An Execution from DescribeExecution's answer, input and output parsed."""

    def load(text: str | None) -> Any:
        return json.loads(text) if text else None

    return Execution(
        arn=execution["executionArn"],
        name=execution["name"],
        status=execution["status"],
        input=load(execution.get("input")),
        output=load(execution.get("output")),
        error=execution.get("error"),
        cause=execution.get("cause"),
    )


def wait(sfn: Any, execution_arn: str, timeout: float = 60) -> Execution:
    """Poll until the execution ends; TimeoutError after `timeout` real seconds."""
    deadline = time.monotonic() + timeout
    while (answer := sfn.describe_execution(executionArn=execution_arn))["status"] not in TERMINAL:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{answer['name']} still {answer['status']}")
        time.sleep(0.05)
    return described(answer)
