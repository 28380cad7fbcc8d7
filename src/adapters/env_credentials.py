"""LWA credentials from environment variables, or from values given in code."""

from __future__ import annotations

import os
from collections.abc import Mapping

from domain.errors import ConfigError
from domain.ports import AppCredentials

CLIENT_ID = "SPAPI_CLIENT_ID"
# Names of variables, not values.
CLIENT_SECRET = "SPAPI_CLIENT_SECRET"  # noqa: S105
REFRESH_TOKEN = "SPAPI_REFRESH_TOKEN"  # noqa: S105


class EnvCredentials:
    """The Credentials port for one machine: one app and one refresh token, used for every seller.

    Variables are read when asked for, not at construction, so a missing one is reported by the
    first call that needs it, with its name.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _get(self, name: str) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            raise ConfigError(f"environment variable {name} is not set: export it and run again")
        return value

    def app(self) -> AppCredentials:
        return AppCredentials(self._get(CLIENT_ID), self._get(CLIENT_SECRET))

    def refresh_token(self, seller_id: str) -> str:
        return self._get(REFRESH_TOKEN)

    def __repr__(self) -> str:
        return "EnvCredentials()"


class StaticCredentials:
    """The Credentials port over values held in memory: one refresh token, or one per seller."""

    def __init__(
        self, client_id: str, client_secret: str, refresh_tokens: str | Mapping[str, str]
    ) -> None:
        self._app = AppCredentials(client_id, client_secret)
        self._refresh_tokens = refresh_tokens

    def app(self) -> AppCredentials:
        return self._app

    def refresh_token(self, seller_id: str) -> str:
        if isinstance(self._refresh_tokens, str):
            return self._refresh_tokens
        token = self._refresh_tokens.get(seller_id)
        if token is None:
            raise ConfigError(f"no refresh token for seller {seller_id}: authorise the app first")
        return token

    def __repr__(self) -> str:
        return f"StaticCredentials(client_id={self._app.client_id!r})"
