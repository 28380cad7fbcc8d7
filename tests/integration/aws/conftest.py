"""A moto server on a loopback port for the AWS adapters, reset before every test, and the
rate-limit table as the deployment makes it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class MotoServer:
    url: str

    def client(self, service: str) -> Any:
        """A real boto3 client speaking HTTP to the moto server (no retries: failures show)."""
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.url,
            region_name=REGION,
            config=Config(retries={"total_max_attempts": 1}),
        )

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset").raise_for_status()


@pytest.fixture(scope="package")
def moto_server() -> Iterator[MotoServer]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in FAKE_ENV.items():
            env.setenv(name, value)
        # Neither a developer's profile nor their config file may reach a test.
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield MotoServer(f"http://{host}:{port}")
        finally:
            server.stop()


@pytest.fixture
def aws(moto_server: MotoServer) -> Callable[[str], Any]:
    """`aws("s3")` → a boto3 client of a freshly reset moto server."""
    moto_server.reset()
    return moto_server.client


@pytest.fixture
def kms_key_arn(aws: Callable[[str], Any]) -> str:
    return str(aws("kms").create_key(Description="spapi-lake test key")["KeyMetadata"]["Arn"])


class FakeMonotonic:
    """A monotonic clock the test moves by hand, for TTL caches."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


def count_calls(client: Any, operation: str) -> list[str]:
    """Record every `operation` the client sends; the list grows by one per request."""
    calls: list[str] = []
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(
        f"before-call.{service}.{operation}", lambda **_: calls.append(operation)
    )
    return calls


RATE_LIMIT_TABLE = "spapi-lake-dev-rate-limits"


class SharedClock:
    """The time every limiter instance sees; it moves only when one of them sleeps."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.current += timedelta(seconds=seconds)

    def epoch(self) -> float:
        return self.current.timestamp()


@pytest.fixture
def dynamodb(aws: Callable[[str], Any]) -> Callable[[], Any]:
    """A new client per call, as each Lambda container has its own; the table made as the
    deployment makes it."""
    client = aws("dynamodb")
    client.create_table(
        TableName=RATE_LIMIT_TABLE,
        AttributeDefinitions=[{"AttributeName": "bucket", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "bucket", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=RATE_LIMIT_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return lambda: aws("dynamodb")


@pytest.fixture
def clock() -> SharedClock:
    return SharedClock()
