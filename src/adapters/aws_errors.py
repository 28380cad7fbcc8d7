"""Translating botocore exceptions into domain errors at the boundary of every AWS adapter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from domain.errors import AwsServiceError, ConfigError, SpApiLakeError

# Retrying these cannot help: the role, the key or the resource name must be fixed first.
_ACCESS = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError"})
_MISSING = frozenset(
    {
        "NoSuchBucket",
        "NotFoundException",
        "ParameterNotFound",
        "ResourceNotFoundException",
        "StateMachineDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
)
_KEY_UNUSABLE = frozenset(
    {"DisabledException", "KMSInvalidStateException", "KMS.DisabledException"}
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def aws_error(error: BotoCoreError | ClientError, what: str) -> SpApiLakeError:
    """The domain error for a failed AWS call; `what` names the operation and resource."""
    if isinstance(error, BotoCoreError):
        return AwsServiceError(f"{what} failed: {error}")
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message") or "no message"
    request_id = error.response.get("ResponseMetadata", {}).get("RequestId")
    suffix = f" (request id {request_id})" if request_id else ""
    if code in _ACCESS or http_status(error) == 403:
        return ConfigError(f"{what}: access denied ({code}): check the role's permissions{suffix}")
    if code in _MISSING:
        return ConfigError(f"{what}: {code}: {message}{suffix}")
    if code in _KEY_UNUSABLE:
        return ConfigError(f"{what}: the KMS key cannot be used ({code}): {message}{suffix}")
    return AwsServiceError(f"{what} failed: {code or 'error'}: {message}{suffix}")


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Raise the domain error for any botocore exception inside the block, chained to it."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise aws_error(error, what) from error
