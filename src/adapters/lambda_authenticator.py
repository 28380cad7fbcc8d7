"""Sealed access tokens from the authenticate function, invoked through the Lambda API."""

from __future__ import annotations

import json
from typing import Any

from adapters.aws_errors import translated
from domain import errors
from domain.errors import AwsServiceError, SpApiError, SpApiLakeError

OPERATION = "authenticate"


class LambdaAuthenticator:
    """For reconcile, which runs on a schedule with no workflow to hand it a token, and may not
    read LWA credentials itself (rule 15). An error the function raised is raised again under
    the same class (InvalidGrantError, ThrottledError, ...); a failed invoke is AwsServiceError
    or ConfigError."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._lambda = client
        self._name = function_name

    def sealed_token(self, seller_id: str) -> str:
        with translated(f"Lambda Invoke {self._name}"):
            answer = self._lambda.invoke(
                FunctionName=self._name, Payload=json.dumps({"sellerId": seller_id}).encode()
            )
            raw = answer["Payload"].read()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if answer.get("FunctionError"):
            raise _raised(body, self._name)
        token = body.get("sealedToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AwsServiceError(f"{self._name} returned no sealedToken for seller {seller_id}")
        return token

    def __repr__(self) -> str:
        return f"LambdaAuthenticator({self._name!r})"


def _raised(body: Any, function: str) -> SpApiLakeError:
    kind = body.get("errorType") if isinstance(body, dict) else None
    message = body.get("errorMessage") if isinstance(body, dict) else None
    text = f"{function} failed: {message or 'no error message'}"
    cls = getattr(errors, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, SpApiLakeError)):
        return AwsServiceError(f"{function} failed with {kind or 'an unknown error'}: {message}")
    if issubclass(cls, SpApiError):
        return cls(OPERATION, str(message or "no error message"))
    return cls(text)
