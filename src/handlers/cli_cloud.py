"""The CLI's AWS side: `--lake s3://…`, `--queue-url` and a sandbox that delivers to SQS."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.lake_uri import is_s3_uri, parse_lake_uri
from domain.errors import ConfigError
from wiring.aws_clients import QUEUE_URL

if TYPE_CHECKING:
    from rich.console import Console

_QUEUE_EXAMPLE = "https://sqs.eu-west-1.amazonaws.com/123456789012/spapi-lake-notifications"


def lake_settings(lake: Path | str, kms_key_id: str | None) -> dict[str, Any]:
    """Container config for `--lake`: a directory, or an S3 location checked before any call."""
    if isinstance(lake, str) and is_s3_uri(lake):
        parse_lake_uri(lake)
        return {"lake": lake.strip(), "lake_kind": "s3", "kms_key_id": kms_key_id or ""}
    if kms_key_id:
        raise ConfigError("--kms-key-id applies only to an s3://bucket/prefix lake")
    if "://" in str(lake):
        raise ConfigError(f"--lake {lake}: give a local directory or s3://bucket/prefix")
    return {"lake": Path(lake), "lake_kind": "file", "kms_key_id": ""}


def queue_settings(queue_url: str | None) -> dict[str, Any]:
    """Container config for `--queue-url`: wait on the queue, or poll getReport without one."""
    if queue_url is None:
        return {"waiting": "poll", "queue_url": ""}
    url = queue_url.strip().rstrip("/")
    if url.endswith(".fifo"):
        raise ConfigError(f"--queue-url {url}: SP-API sends to Standard queues only, not FIFO")
    if QUEUE_URL.fullmatch(url) is None:
        raise ConfigError(
            f"--queue-url {queue_url!r} is not an SQS queue URL, e.g. {_QUEUE_EXAMPLE}"
        )
    return {"waiting": "queue", "queue_url": url}


def serve_sandbox_with_sqs(
    port: int, sqs_endpoint: str, console: Console, stop: threading.Event | None = None
) -> None:
    """`spapi-lake sandbox --sqs-endpoint URL` ("aws" for real SQS): the simulator sends
    REPORT_PROCESSING_FINISHED to the queue of each subscribed seller's destination."""
    if importlib.util.find_spec("boto3") is None:
        raise ConfigError("--sqs-endpoint needs boto3: pip install 'spapi-lake[aws]'")
    from sandbox.server import serve_forever
    from sandbox.settings import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_REFRESH_TOKEN,
        DEMO_SELLER_ID,
    )
    from sandbox.sqs_delivery import boto3_sqs, with_sqs_delivery

    endpoint = None if sqs_endpoint == "aws" else sqs_endpoint
    simulator = with_sqs_delivery(clients=boto3_sqs(endpoint))

    def ready(url: str) -> None:
        console.print(f"SP-API simulator at {url} (LWA token endpoint {url}/auth/o2/token)")
        console.print(f"  client id {DEMO_CLIENT_ID}, client secret {DEMO_CLIENT_SECRET}")
        console.print(f"  refresh token {DEMO_REFRESH_TOKEN} (seller {DEMO_SELLER_ID})")
        console.print(f"  notifications go to SQS at {endpoint or 'AWS'} once subscribed")
        console.print("Ctrl-C stops it.")

    serve_forever(port, app=simulator, on_ready=ready, stop=stop)
