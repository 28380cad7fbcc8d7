"""The Credentials port on Secrets Manager: the LWA app secret and one refresh token per seller."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code
from domain.errors import ConfigError
from domain.ports import AppCredentials

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# Placeholders in hints: a real value must never appear in an error message or a log.
_APP_SHAPE = '{"clientId":"amzn1.application-oa2-client.…","clientSecret":"…"}'
_SELLER_SHAPE = '{"refreshToken":"…"}'


def _fill_hint(secret_id: str, shape: str) -> str:
    return (
        f"fill it with `aws secretsmanager put-secret-value --secret-id {secret_id} "
        f"--secret-string '{shape}'`"
    )


class SecretsManagerCredentials:
    """App secret `app_secret_id` holds {"clientId","clientSecret"}; seller secret
    `<seller_secret_prefix><sellerId>` holds {"refreshToken"} or the bare token. Values are cached
    for `ttl_seconds`, so a rotated secret is picked up within one TTL. Raises ConfigError naming
    the secret to fill, AwsServiceError (retry) for throttling and outages."""

    def __init__(
        self,
        client: SecretsManagerClient,
        app_secret_id: str,
        seller_secret_prefix: str,
        ttl_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets = client
        self._app_id = app_secret_id
        self._prefix = seller_secret_prefix
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}

    def app(self) -> AppCredentials:
        text = self._value(self._app_id, _APP_SHAPE)
        try:
            fields = json.loads(text)
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or not all(
            isinstance(fields.get(k), str) and fields[k].strip()
            for k in ("clientId", "clientSecret")
        ):
            raise ConfigError(
                f"secret {self._app_id} must be JSON with non-empty clientId and clientSecret: "
                + _fill_hint(self._app_id, _APP_SHAPE)
            )
        return AppCredentials(fields["clientId"].strip(), fields["clientSecret"].strip())

    def refresh_token(self, seller_id: str) -> str:
        secret_id = f"{self._prefix}{seller_id}"
        text = self._value(secret_id, _SELLER_SHAPE).strip()
        token: object = text
        if text.startswith("{"):
            try:
                token = json.loads(text).get("refreshToken")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token.strip():
            raise ConfigError(
                f"secret {secret_id} holds no refresh token for seller {seller_id}: "
                + _fill_hint(secret_id, _SELLER_SHAPE)
            )
        return token.strip()

    def _value(self, secret_id: str, shape: str) -> str:
        cached = self._cache.get(secret_id)
        if cached is not None and self._clock() - cached[1] < self._ttl:
            return cached[0]
        try:
            found = self._secrets.get_secret_value(SecretId=secret_id)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                # Either no secret or no value yet; put-secret-value needs the secret to exist.
                raise ConfigError(
                    f"secret {secret_id} is missing or empty: create it with "
                    f"`aws secretsmanager create-secret --name {secret_id}` if needed, then "
                    + _fill_hint(secret_id, shape)
                ) from error
            raise aws_error(error, f"Secrets Manager GetSecretValue {secret_id}") from error
        except BotoCoreError as error:
            raise aws_error(error, f"Secrets Manager GetSecretValue {secret_id}") from error
        if "SecretString" in found:
            text = found["SecretString"]
        else:
            text = found.get("SecretBinary", b"").decode("utf-8", errors="replace")
        if not text.strip():
            raise ConfigError(f"secret {secret_id} is empty: " + _fill_hint(secret_id, shape))
        self._cache[secret_id] = (text, self._clock())
        return text

    def __repr__(self) -> str:
        return f"SecretsManagerCredentials(app={self._app_id!r}, sellers={self._prefix!r}…)"
