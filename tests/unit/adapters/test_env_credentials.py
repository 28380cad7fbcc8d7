"""Credentials from the environment or from memory; missing values name what to set."""

from __future__ import annotations

import pytest

from adapters.env_credentials import EnvCredentials, StaticCredentials
from domain.errors import ConfigError
from domain.ports import AppCredentials

ENV = {
    "SPAPI_CLIENT_ID": "amzn1.application-oa2-client.abc",
    "SPAPI_CLIENT_SECRET": "cs-SECRET",
    "SPAPI_REFRESH_TOKEN": "Atzr|SECRET",
}


def test_env_credentials_read_the_three_variables() -> None:
    credentials = EnvCredentials(ENV)

    assert credentials.app() == AppCredentials("amzn1.application-oa2-client.abc", "cs-SECRET")
    assert credentials.refresh_token("ANY_SELLER") == "Atzr|SECRET"


@pytest.mark.parametrize("name", sorted(ENV))
def test_a_missing_variable_is_a_config_error_naming_it(name: str) -> None:
    credentials = EnvCredentials({**ENV, name: " "})

    def read_all() -> None:
        credentials.app()
        credentials.refresh_token("S1")

    with pytest.raises(ConfigError, match=name):
        read_all()


def test_env_credentials_default_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)

    assert EnvCredentials().refresh_token("S1") == "Atzr|SECRET"


def test_static_credentials_hold_one_token_per_seller() -> None:
    credentials = StaticCredentials("id", "cs-SECRET", {"S1": "r1", "S2": "r2"})

    assert (credentials.refresh_token("S1"), credentials.refresh_token("S2")) == ("r1", "r2")
    with pytest.raises(ConfigError, match="S3"):
        credentials.refresh_token("S3")


def test_no_secret_reaches_a_repr() -> None:
    for credentials in (EnvCredentials(ENV), StaticCredentials("id", "cs-SECRET", "Atzr|SECRET")):
        text = repr(credentials) + repr(credentials.app())
        assert "SECRET" not in text
