"""The Settings port on SSM Parameter Store: every parameter under one path, cached for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from adapters.aws_errors import translated
from domain.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


class SsmSettings:
    """Parameters under `path` (e.g. `/spapi-lake/prod`), named relative to it (`reports/x`).

    One GetParametersByPath sweep (recursive, decrypted) fills a cache that lives `ttl_seconds`,
    so a warm Lambda reads SSM at most once per TTL. Raises ConfigError for a missing parameter
    or a denied read, AwsServiceError (retry) for throttling and outages.
    """

    def __init__(
        self,
        client: SSMClient,
        path: str,
        ttl_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm = client
        self._path = "/" + path.strip("/")
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, str] | None = None
        self._fetched_at = 0.0

    def get_all(self) -> dict[str, str]:
        if self._cache is None or self._clock() - self._fetched_at >= self._ttl:
            self._cache = self._fetch()
            self._fetched_at = self._clock()
        return dict(self._cache)

    def get(self, name: str) -> str:
        settings = self.get_all()
        relative = name.strip("/")
        if relative not in settings:
            full = self._full_name(relative)
            raise ConfigError(
                f"SSM parameter {full} is missing: create it with "
                f"`aws ssm put-parameter --name {full} --type String --value …` "
                "(SecureString with the stack key for anything sensitive)"
            )
        return settings[relative]

    def _full_name(self, relative: str) -> str:
        return f"{self._path.rstrip('/')}/{relative}"

    def _fetch(self) -> dict[str, str]:
        found: dict[str, str] = {}
        start = len(self._path.rstrip("/")) + 1
        pages = self._ssm.get_paginator("get_parameters_by_path").paginate(
            Path=self._path, Recursive=True, WithDecryption=True
        )
        with translated(f"SSM GetParametersByPath {self._path}"):
            for page in pages:
                for parameter in page.get("Parameters", []):
                    found[parameter["Name"][start:]] = parameter.get("Value", "")
        return found

    def __repr__(self) -> str:
        return f"SsmSettings({self._path!r})"
