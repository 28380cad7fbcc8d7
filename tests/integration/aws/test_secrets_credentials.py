"""SecretsManagerCredentials against moto over HTTP: app and seller secrets, caching, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from adapters.secrets_credentials import SecretsManagerCredentials
from domain.errors import ConfigError
from tests.integration.aws.conftest import FakeMonotonic, count_calls

APP = "spapi-lake/dev/lwa-app"
PREFIX = "spapi-lake/dev/sellers/"
CLIENT_SECRET = "amzn1.oa2-cs.v1.app-secret-value"
REFRESH = "Atzr|IwEBIrefresh-token-value"


@pytest.fixture
def secrets(aws: Callable[[str], Any], kms_key_arn: str) -> Any:
    client = aws("secretsmanager")
    app = {"clientId": "amzn1.application-oa2-client.abc", "clientSecret": CLIENT_SECRET}
    client.create_secret(Name=APP, SecretString=json.dumps(app), KmsKeyId=kms_key_arn)
    client.create_secret(Name=f"{PREFIX}A1", SecretString=json.dumps({"refreshToken": REFRESH}))
    client.create_secret(Name=f"{PREFIX}A2", SecretString=f" {REFRESH}-plain\n")
    return client


@pytest.fixture
def credentials(secrets: Any, monotonic: FakeMonotonic) -> SecretsManagerCredentials:
    return SecretsManagerCredentials(secrets, APP, PREFIX, ttl_seconds=300, clock=monotonic)


def test_app_credentials_come_from_the_json_app_secret(
    credentials: SecretsManagerCredentials,
) -> None:
    app = credentials.app()

    assert (app.client_id, app.client_secret) == ("amzn1.application-oa2-client.abc", CLIENT_SECRET)
    assert CLIENT_SECRET not in repr(app)


def test_refresh_tokens_are_read_per_seller_as_json_or_plain_text(
    credentials: SecretsManagerCredentials,
) -> None:
    assert credentials.refresh_token("A1") == REFRESH
    assert credentials.refresh_token("A2") == f"{REFRESH}-plain"


def test_secrets_are_cached_until_the_ttl_passes(
    credentials: SecretsManagerCredentials, secrets: Any, monotonic: FakeMonotonic
) -> None:
    calls = count_calls(secrets, "GetSecretValue")
    credentials.refresh_token("A1")
    secrets.put_secret_value(SecretId=f"{PREFIX}A1", SecretString='{"refreshToken":"rotated"}')

    monotonic.now += 299
    assert credentials.refresh_token("A1") == REFRESH
    assert calls == ["GetSecretValue"]

    monotonic.now += 1
    assert credentials.refresh_token("A1") == "rotated"
    assert len(calls) == 2


def test_a_missing_seller_secret_says_which_secret_to_fill(
    credentials: SecretsManagerCredentials,
) -> None:
    with pytest.raises(ConfigError) as raised:
        credentials.refresh_token("A9")

    message = str(raised.value)
    assert f"{PREFIX}A9" in message
    assert "put-secret-value --secret-id spapi-lake/dev/sellers/A9" in message


def test_a_secret_without_a_value_says_which_secret_to_fill(
    credentials: SecretsManagerCredentials, secrets: Any
) -> None:
    secrets.create_secret(Name=f"{PREFIX}A3")  # created by Pulumi, never filled

    with pytest.raises(ConfigError, match=f"secret {PREFIX}A3 is missing or empty"):
        credentials.refresh_token("A3")


def test_a_malformed_app_secret_is_reported_without_its_value(
    credentials: SecretsManagerCredentials, secrets: Any
) -> None:
    secrets.put_secret_value(SecretId=APP, SecretString=json.dumps({"clientSecret": CLIENT_SECRET}))

    with pytest.raises(ConfigError, match=f"secret {APP} must be JSON") as raised:
        credentials.app()

    assert CLIENT_SECRET not in str(raised.value)


def test_a_blank_refresh_token_is_a_config_error(
    credentials: SecretsManagerCredentials, secrets: Any
) -> None:
    secrets.put_secret_value(SecretId=f"{PREFIX}A1", SecretString='{"refreshToken": " "}')

    with pytest.raises(ConfigError, match="holds no refresh token for seller A1"):
        credentials.refresh_token("A1")
