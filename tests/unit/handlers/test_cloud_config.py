"""Cold start: the environment is checked on the first invocation, and names what is missing."""

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.s3_lake import S3Lake
from adapters.sealed_tokens import SealedAccessTokens
from adapters.stepfunctions_workflow import StepFunctionsWorkflow
from domain.errors import ConfigError
from handlers import store_report
from wiring import cloud_config, runtime
from wiring.cloud_config import NEEDS, VARIABLES, load

ROOT = Path(__file__).resolve().parents[3]
ENV = {
    "SPAPI_LAKE_STACK": "spapi-lake-test",
    "SPAPI_LAKE_REGION": "EU",
    "SPAPI_LAKE_SETTINGS_PATH": "/spapi-lake/test",
    "SPAPI_LAKE_APP_SECRET_ID": "spapi-lake/test/app",
    "SPAPI_LAKE_SELLER_SECRET_PREFIX": "spapi-lake/test/seller/",
    "SPAPI_LAKE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/test",
    "SPAPI_LAKE_BUCKET": "spapi-lake-test-lake",
    "SPAPI_LAKE_PREFIX": "/lake/",
    "SPAPI_LAKE_INGEST_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:1:stateMachine:ingest",
    "SPAPI_LAKE_QUERY_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:1:stateMachine:query",
    "SPAPI_LAKE_QUEUE_ARN": "arn:aws:sqs:eu-west-1:123456789012:notifications",
    "SPAPI_LAKE_DESTINATION_NAME": "spapi-lake-test",
    "SPAPI_LAKE_AUTHENTICATE_FUNCTION": "spapi-lake-test-authenticate",
    "SPAPI_LAKE_RATE_LIMIT_TABLE": "spapi-lake-test-rate-limits",
}
CASES = [(function, VARIABLES[field]) for function, fields in NEEDS.items() for field in fields]


@pytest.mark.parametrize(("function", "variable"), CASES)
def test_a_missing_variable_is_named_in_one_line(function, variable):
    environ = {k: v for k, v in ENV.items() if k != variable}

    with pytest.raises(ConfigError) as raised:
        load(environ, function)

    assert str(raised.value) == f"{variable} is not set: the {function} function needs it"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SPAPI_LAKE_REGION", "US"),
        ("SPAPI_LAKE_ENDPOINT", "sellingpartnerapi-eu.amazon.com"),
        ("SPAPI_LAKE_MAX_DECOMPRESSED_BYTES", "8GiB"),
        ("SPAPI_LAKE_RECONCILE_HOURS", "0"),
        ("SPAPI_LAKE_INGEST_UNCONFIGURED", "maybe"),
        ("SPAPI_LAKE_THROTTLE_DEADLINE_HOURS", "a day"),
        ("SPAPI_LAKE_MAX_INGEST_ATTEMPTS", "0"),
    ],
)
def test_a_bad_value_is_named_with_the_variable(variable, value):
    with pytest.raises(ConfigError, match=f"^{variable}="):
        load({**ENV, variable: value}, "reconcile")


def test_values_are_parsed_and_defaults_filled():
    config = load(
        {**ENV, "SPAPI_LAKE_REGION": "eu", "SPAPI_LAKE_RECONCILE_HOURS": "6"}, "reconcile"
    )

    assert config.region == "EU"
    assert config.prefix == "lake"
    assert config.reconcile_hours == 6
    assert config.max_decompressed_bytes == cloud_config.DEFAULT_MAX_DECOMPRESSED_BYTES
    assert config.spapi_endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert config.lwa_endpoint == "https://api.amazon.com/auth/o2/token"


def test_the_simulator_overrides_the_endpoints():
    config = load(
        {
            **ENV,
            "SPAPI_LAKE_ENDPOINT": "http://127.0.0.1:8765",
            "SPAPI_LAKE_LWA_ENDPOINT": "http://127.0.0.1:8765/auth/o2/token",
        },
        "fetch_document",
    )

    assert config.as_dict()["spapi_endpoint"] == "http://127.0.0.1:8765"
    assert config.lwa_endpoint == "http://127.0.0.1:8765/auth/o2/token"


def test_ingesting_every_notification_needs_no_settings():
    environ = {
        "SPAPI_LAKE_BUCKET": "b",
        "SPAPI_LAKE_INGEST_STATE_MACHINE_ARN": "arn",
        "SPAPI_LAKE_QUERY_STATE_MACHINE_ARN": "arn",
        "SPAPI_LAKE_INGEST_UNCONFIGURED": "true",
    }

    assert load(environ, "process_notification").ingest_unconfigured is True


def test_the_first_invocation_checks_the_environment(monkeypatch):
    runtime.reset()
    for name in VARIABLES.values():
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError, match=r"^SPAPI_LAKE_STACK is not set: the store_report"):
        store_report.lambda_handler({}, None)


def test_the_real_container_wires_every_service_from_the_environment(monkeypatch):
    runtime.reset()
    for name, value in {
        **ENV,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        built = runtime.container("reconcile")
        for service in (
            "subscriptions",
            "authenticator",
            "planner",
            "requester",
            "fetcher",
            "placer",
        ):
            assert getattr(built, service)() is not None
        for service in ("storer", "recorder", "dispatcher", "reconciler"):
            assert getattr(built, service)() is not None

        assert isinstance(built.lake(), S3Lake)
        assert built.lake().uri("k") == "s3://spapi-lake-test-lake/lake/k"
        assert isinstance(built.workflow(), StepFunctionsWorkflow)
        assert isinstance(built.access_tokens(), SealedAccessTokens)
        assert built.s3().meta.endpoint_url == "http://127.0.0.1:9"  # the moto server, in tests
        assert built is runtime.container("store_report")
    finally:
        runtime.reset()


def test_importing_a_handler_loads_no_sdk_and_reads_no_environment():
    modules = ", ".join(f"handlers.{name}" for name in NEEDS)
    heavy = ("boto3", "botocore", "httpx", "dependency_injector", "aws_lambda_powertools")
    code = f"import sys, {modules}; print([m for m in {heavy!r} if m in sys.modules])"

    found = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}", "PATH": "/usr/bin:/bin"},
    )

    assert found.stdout.strip() == "[]"
