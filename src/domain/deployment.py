"""Typed deployment options (stage, alarms, logs, Lambda, reconcile) from a stack's config."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.config import NAMESPACE, StackConfig, parse_schedule
from domain.errors import ConfigError

# Secret config: set with `pulumi config set --secret --path …`, stored encrypted (`secure:`) in
# the stack file, and read by the Pulumi program as secret Outputs, never into DeployOptions:
#   appCredentials  {"clientId": "amzn1.application-oa2-client.…", "clientSecret": "…"}
#   refreshTokens   {"<sellerId>": "Atzr|…"}, one entry per seller of the stack
SECRET_KEYS = ("appCredentials", "refreshTokens")

GIB = 1024**3
# The values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
ARCHITECTURES = ("arm64", "x86_64")
MAX_RECONCILE_HOURS = 720
# A step keeps waiting for SP-API's rate limits this long at most (a Standard workflow may run a
# year; a week of waiting means the configuration asks for more than Amazon's quotas allow).
MAX_THROTTLE_DEADLINE_HOURS = 168
MAX_INGEST_ATTEMPTS = 20
# Stages become part of resource names: keep them short and DNS-safe.
_STAGE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_WHOLE = re.compile(r"^\s*[+-]?[0-9]+\s*$")

_T = TypeVar("_T")


@dataclass(frozen=True)
class DeployOptions:
    """What the Pulumi program needs beyond sellers and reports; defaults suit production."""

    stage: str = "dev"
    alarm_email: str | None = None
    trail: bool = True
    log_retention_days: int = 365
    lambda_architecture: str = "arm64"
    reconcile_schedule: str = "rate(6 hours)"
    reconcile_hours: int = 48
    max_decompressed_bytes: int = 8 * GIB
    throttle_deadline_hours: int = 24
    max_ingest_attempts: int = 5


def _refuse(value: object, key: str, allowed: str) -> ConfigError:
    return ConfigError(f"{key}: {value!r} is not allowed; use {allowed}")


def _whole(value: object, key: str, allowed: str, ok: Callable[[int], bool]) -> int:
    """Native ints (the stack-file reader) and their text (Pulumi config gives strings)."""
    if isinstance(value, str) and _WHOLE.match(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise _refuse(value, key, allowed)
    if not ok(number):
        raise _refuse(value, key, allowed)
    return number


def _bool(value: object, key: str) -> bool:
    text = value.strip().lower() if isinstance(value, str) else value
    if isinstance(text, bool) or text in ("true", "false"):
        return text is True or text == "true"
    raise _refuse(value, key, "true or false")


def _email(value: object, key: str) -> str:
    if not (isinstance(value, str) and _EMAIL.match(value.strip())):
        raise _refuse(value, key, "an email address like data-team@example.com")
    return value.strip()


def _architecture(value: object, key: str) -> str:
    if value not in ARCHITECTURES:
        raise _refuse(value, key, " or ".join(ARCHITECTURES))
    return str(value)


def _retention(value: object, key: str) -> int:
    allowed = "one of CloudWatch Logs' retentions: " + ", ".join(map(str, LOG_RETENTION_DAYS))
    return _whole(value, key, allowed, lambda days: days in LOG_RETENTION_DAYS)


def _hours(value: object, key: str) -> int:
    allowed = f"a whole number of hours from 1 to {MAX_RECONCILE_HOURS}"
    return _whole(value, key, allowed, lambda hours: 1 <= hours <= MAX_RECONCILE_HOURS)


def _deadline(value: object, key: str) -> int:
    allowed = f"a whole number of hours from 1 to {MAX_THROTTLE_DEADLINE_HOURS}"
    return _whole(value, key, allowed, lambda hours: 1 <= hours <= MAX_THROTTLE_DEADLINE_HOURS)


def _attempts(value: object, key: str) -> int:
    allowed = f"a whole number from 1 to {MAX_INGEST_ATTEMPTS}"
    return _whole(value, key, allowed, lambda n: 1 <= n <= MAX_INGEST_ATTEMPTS)


def _bytes(value: object, key: str) -> int:
    return _whole(value, key, "a whole number of bytes above 0, e.g. 8589934592", lambda n: n > 0)


def _option(extra: Mapping[str, Any], name: str, parse: Callable[[object, str], _T], or_: _T) -> _T:
    value = extra.get(name)
    return or_ if value is None else parse(value, f"{NAMESPACE}:{name}")


def deploy_options(config: StackConfig) -> DeployOptions:
    """Check every optional infrastructure key; ConfigError names the key and what it allows."""
    if not _STAGE.match(config.stage):
        allowed = "up to 16 lowercase letters, digits and inner hyphens, e.g. dev or prod"
        raise _refuse(config.stage, f"{NAMESPACE}:stage", allowed)
    extra, default = config.extra, DeployOptions()
    return DeployOptions(
        stage=config.stage,
        alarm_email=_option(extra, "alarmEmail", _email, default.alarm_email),
        trail=_option(extra, "trail", _bool, default.trail),
        log_retention_days=_option(
            extra, "logRetentionDays", _retention, default.log_retention_days
        ),
        lambda_architecture=_option(
            extra, "lambdaArchitecture", _architecture, default.lambda_architecture
        ),
        reconcile_schedule=_option(
            extra, "reconcileSchedule", parse_schedule, default.reconcile_schedule
        ),
        reconcile_hours=_option(extra, "reconcileHours", _hours, default.reconcile_hours),
        max_decompressed_bytes=_option(
            extra, "maxDecompressedBytes", _bytes, default.max_decompressed_bytes
        ),
        throttle_deadline_hours=_option(
            extra, "throttleDeadlineHours", _deadline, default.throttle_deadline_hours
        ),
        max_ingest_attempts=_option(
            extra, "maxIngestAttempts", _attempts, default.max_ingest_attempts
        ),
    )
