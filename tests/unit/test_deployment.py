"""Deployment options: defaults, every optional key's rules, and errors that name the key."""

from __future__ import annotations

from typing import Any

import pytest

from domain.config import parse_stack_config
from domain.deployment import GIB, LOG_RETENTION_DAYS, SECRET_KEYS, DeployOptions, deploy_options
from domain.errors import ConfigError

BASE = {
    "aws:region": "us-east-1",
    "spapi-lake:region": "NA",
    "spapi-lake:sellers": [{"sellerId": "A0FAKESELLER", "marketplaces": ["ATVPDKIKX0DER"]}],
    "spapi-lake:reports": [{"type": "GET_MERCHANT_LISTINGS_ALL_DATA"}],
}


def _options(**keys: Any) -> DeployOptions:
    config = {**BASE, **{f"spapi-lake:{key}": value for key, value in keys.items()}}
    return deploy_options(parse_stack_config(config))


def _refused(key: str, value: object) -> str:
    with pytest.raises(ConfigError) as caught:
        _options(**{key: value})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_stack_without_optional_keys_gets_the_production_defaults():
    assert _options() == DeployOptions(
        stage="dev",
        alarm_email=None,
        trail=True,
        log_retention_days=365,
        lambda_architecture="arm64",
        reconcile_schedule="rate(6 hours)",
        reconcile_hours=48,
        max_decompressed_bytes=8 * GIB,
    )


@pytest.mark.parametrize("stage", ["dev", "prod", "prod-eu", "qa2", "7", "a" * 16])
def test_a_short_lowercase_stage_is_accepted(stage):
    assert _options(stage=stage).stage == stage


@pytest.mark.parametrize("stage", ["Prod", "prod_eu", "-dev", "dev-", "a" * 17, "pr od"])
def test_a_stage_unfit_for_resource_names_is_refused(stage):
    message = _refused("stage", stage)
    assert message.startswith(f"spapi-lake:stage: {stage!r} is not allowed")
    assert "16 lowercase letters" in message


# (key, value as written, DeployOptions field, parsed value): native YAML and Pulumi's strings.
VALID = [
    ("alarmEmail", "data-team@example.com", "alarm_email", "data-team@example.com"),
    ("alarmEmail", " ops+alerts@acme.co.uk ", "alarm_email", "ops+alerts@acme.co.uk"),
    ("trail", False, "trail", False),
    ("trail", True, "trail", True),
    ("trail", "false", "trail", False),
    ("trail", "True", "trail", True),
    ("logRetentionDays", 30, "log_retention_days", 30),
    ("logRetentionDays", "30", "log_retention_days", 30),
    ("logRetentionDays", 3653, "log_retention_days", 3653),
    ("lambdaArchitecture", "x86_64", "lambda_architecture", "x86_64"),
    ("lambdaArchitecture", "arm64", "lambda_architecture", "arm64"),
    ("reconcileSchedule", "rate(1 hour)", "reconcile_schedule", "rate(1 hour)"),
    ("reconcileSchedule", "cron(0 */4 * * ? *)", "reconcile_schedule", "cron(0 */4 * * ? *)"),
    ("reconcileHours", 1, "reconcile_hours", 1),
    ("reconcileHours", "720", "reconcile_hours", 720),
    ("maxDecompressedBytes", 1024, "max_decompressed_bytes", 1024),
    ("maxDecompressedBytes", "17179869184", "max_decompressed_bytes", 16 * GIB),
]


@pytest.mark.parametrize(("key", "value", "field", "expected"), VALID)
def test_an_optional_key_is_read_from_native_yaml_or_pulumi_strings(key, value, field, expected):
    assert getattr(_options(**{key: value}), field) == expected


# (key, bad value, what the message says is allowed)
INVALID = [
    ("alarmEmail", "data-team", "an email address like"),
    ("alarmEmail", "a@b", "an email address like"),
    ("alarmEmail", "", "an email address like"),
    ("alarmEmail", 42, "an email address like"),
    ("trail", "yes please", "true or false"),
    ("trail", 1, "true or false"),
    ("logRetentionDays", 31, "one of CloudWatch Logs' retentions: 1, 3, 5"),
    ("logRetentionDays", "0", "3288, 3653"),
    ("logRetentionDays", "thirty", "one of CloudWatch Logs' retentions"),
    ("logRetentionDays", True, "one of CloudWatch Logs' retentions"),
    ("logRetentionDays", 30.0, "one of CloudWatch Logs' retentions"),
    ("lambdaArchitecture", "x86", "arm64 or x86_64"),
    ("lambdaArchitecture", "ARM64", "arm64 or x86_64"),
    ("reconcileSchedule", "every 6 hours", "is not a schedule like cron(0 2 * * ? *)"),
    ("reconcileSchedule", "rate(6 weeks)", "is not a schedule like"),
    ("reconcileHours", 0, "hours from 1 to 720"),
    ("reconcileHours", "721", "hours from 1 to 720"),
    ("reconcileHours", "-5", "hours from 1 to 720"),
    ("maxDecompressedBytes", 0, "bytes above 0"),
    ("maxDecompressedBytes", "8 GiB", "bytes above 0"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), INVALID)
def test_a_bad_optional_value_fails_with_one_line_naming_the_key(key, value, allowed):
    message = _refused(key, value)
    assert message.startswith(f"spapi-lake:{key}: {value!r} ")
    assert allowed in message


def test_an_empty_yaml_value_counts_as_unset():
    assert _options(alarmEmail=None, logRetentionDays=None) == _options()


def test_every_cloudwatch_retention_is_accepted():
    assert [_options(logRetentionDays=d).log_retention_days for d in LOG_RETENTION_DAYS] == list(
        LOG_RETENTION_DAYS
    )


def test_secrets_are_left_to_the_pulumi_program_and_never_held_in_the_options():
    secrets = {
        "appCredentials": {"clientId": "amzn1.application-oa2-client.x", "clientSecret": "s3cr3t"},
        "refreshTokens": {"A0FAKESELLER": "Atzr|t0ken"},
    }
    assert SECRET_KEYS == ("appCredentials", "refreshTokens")
    options = _options(**secrets)
    assert options == _options()
    assert "s3cr3t" not in repr(options)
    assert "Atzr|" not in repr(options)
