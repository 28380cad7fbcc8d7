"""The CurateTrigger port on Lambda: the curate function, invoked without waiting for it."""

from __future__ import annotations

import json
from typing import Any

from adapters.aws_errors import translated
from domain.errors import AwsServiceError

# What Lambda answers when it has queued an asynchronous invocation.
QUEUED = 202


class LambdaCurateTrigger:
    """For reconcile, which has no DuckDB: the curate function curates the report on its own
    (InvocationType Event), and a failure shows in its Errors alarm; the next sweep asks
    again. A refused invoke raises AwsServiceError or ConfigError."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._lambda = client
        self._name = function_name

    def curate(self, manifest_key: str) -> None:
        with translated(f"Lambda Invoke {self._name}"):
            answer = self._lambda.invoke(
                FunctionName=self._name,
                InvocationType="Event",
                Payload=json.dumps({"manifestKey": manifest_key}).encode(),
            )
        if answer.get("StatusCode") != QUEUED:
            status = answer.get("StatusCode")
            raise AwsServiceError(f"Lambda Invoke {self._name}: not queued (status {status})")

    def __repr__(self) -> str:
        return f"LambdaCurateTrigger({self._name!r})"
