"""SsmSettings against moto over HTTP: every parameter under a path, paginated, cached by TTL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.ssm_settings import SsmSettings
from domain.errors import ConfigError
from tests.integration.aws.conftest import FakeMonotonic, count_calls

PATH = "/spapi-lake/dev"


@pytest.fixture
def ssm(aws: Callable[[str], Any], kms_key_arn: str) -> Any:
    client = aws("ssm")
    for n in range(12):
        client.put_parameter(Name=f"{PATH}/reports/r{n:02}", Value=f"value {n}", Type="String")
    client.put_parameter(
        Name=f"{PATH}/queue-url", Value="https://sqs/q", Type="SecureString", KeyId=kms_key_arn
    )
    client.put_parameter(Name="/spapi-lake/prod/queue-url", Value="other stage", Type="String")
    return client


def test_every_parameter_under_the_path_is_read_across_pages(ssm: Any) -> None:
    calls = count_calls(ssm, "GetParametersByPath")

    settings = SsmSettings(ssm, PATH + "/").get_all()

    assert len(calls) >= 2  # moto pages by 10, like SSM
    assert len(settings) == 13
    assert settings["reports/r11"] == "value 11"
    assert settings["queue-url"] == "https://sqs/q"  # a SecureString, decrypted
    assert "other stage" not in settings.values()


def test_a_second_read_within_the_ttl_sends_no_request(ssm: Any, monotonic: FakeMonotonic) -> None:
    settings = SsmSettings(ssm, PATH, ttl_seconds=300, clock=monotonic)
    calls = count_calls(ssm, "GetParametersByPath")

    assert settings.get("queue-url") == "https://sqs/q"
    sent = len(calls)
    ssm.put_parameter(Name=f"{PATH}/queue-url", Value="changed", Type="String", Overwrite=True)
    monotonic.now += 299
    assert settings.get("queue-url") == "https://sqs/q"
    assert settings.get_all()["reports/r00"] == "value 0"
    assert len(calls) == sent

    monotonic.now += 1
    assert settings.get("queue-url") == "changed"
    assert len(calls) > sent


def test_a_missing_parameter_names_its_full_path(ssm: Any) -> None:
    with pytest.raises(ConfigError, match=f"{PATH}/reports/nope is missing"):
        SsmSettings(ssm, PATH).get("reports/nope")


def test_an_empty_path_reads_as_no_settings(aws: Callable[[str], Any]) -> None:
    assert SsmSettings(aws("ssm"), "/nothing/here").get_all() == {}
