"""Lazy AWS clients and the S3/SQS adapters the local container selects by configuration."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from domain.errors import ConfigError
from domain.ports import Clock, Lake, MessageQueue

# https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or any endpoint (moto, LocalStack) that
# keeps the /ACCOUNT/NAME path.
QUEUE_URL = re.compile(
    r"https?://(?P<host>[^/\s]+)/(?P<account>\d{12})/(?P<name>[A-Za-z0-9_-]{1,80})/?"
)
_REGION_HOST = re.compile(r"(?:sqs\.(?P<a>[a-z0-9-]+)|(?P<b>[a-z0-9-]+)\.queue)\.amazonaws\.com")


def queue_region(queue_url: str) -> str | None:
    """The region an AWS queue URL names; None for other endpoints (boto3's default then)."""
    found = QUEUE_URL.fullmatch(queue_url)
    host = _REGION_HOST.fullmatch(found["host"]) if found else None
    return (host["a"] or host["b"]) if host else None


def aws_client(service: str, region: str | None = None) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL (e.g. a moto server) and profiles apply as usual."""
    if importlib.util.find_spec("boto3") is None:
        raise ConfigError(f"AWS {service} needs boto3: pip install 'spapi-lake[aws]'")
    import boto3
    from botocore.exceptions import NoRegionError

    try:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]
    except NoRegionError:
        raise ConfigError(f"AWS {service} needs a region: set AWS_REGION") from None


def s3_lake(uri: str, kms_key_id: str) -> Lake:
    from adapters.lake_uri import s3_lake_from_uri

    return s3_lake_from_uri(uri, kms_key_id=kms_key_id or None, client=aws_client("s3"))


def sqs_queue(queue_url: str) -> MessageQueue:
    from adapters.sqs_queue import SqsQueue

    return SqsQueue(aws_client("sqs", queue_region(queue_url)), queue_url)


def dynamodb_rate_limiter(client: Any, table: str, clock: Clock) -> Any:
    """The deployment's shared buckets; the CLI sleeps through any wait (no workflow to wait)."""
    from adapters.dynamodb_rate_limit import DynamoDbRateLimiter

    return DynamoDbRateLimiter(client, table, clock=clock, max_wait_seconds=float("inf"))


def dynamodb_creation_lock(client: Any, table: str, clock: Clock) -> Any:
    """The deployment's Data Kiosk creation leases, so a CLI run and the Lambdas never both
    take a partner's last free query slot."""
    from adapters.dynamodb_creation_lock import DynamoDbCreationLock

    return DynamoDbCreationLock(client, table, clock=clock)
