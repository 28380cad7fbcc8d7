"""The one module that reads Pulumi config: the schema shared with the CLI, plus secret values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from adapters.graphql_queries import GraphQlQueryValidator, query_files
from domain.config import NAMESPACE, StackConfig, parse_stack_config
from domain.datakiosk.definitions import QueryDefinition
from domain.deployment import DeployOptions, deploy_options
from domain.errors import ConfigError

_OBJECTS = {"sellers", "reports", "queries", "appCredentials", "refreshTokens"}
# Query files (`queries[].file`) are paths in the project directory, whatever the cwd.
ROOT = Path(__file__).resolve().parents[1]
# Keys only the Pulumi program reads (Glue and Athena): checked here, then set aside, so
# parse_stack_config (the schema shared with the CLI) never sees them.
_CUTOFF, _CATALOG_ENCRYPTION = "athenaBytesScannedCutoff", "glueCatalogEncryption"
GB = 1024**3
# The AWS provider refuses a per-query cutoff below 10 MiB (Athena's own minimum is 10 MB).
MIN_CUTOFF = 10 * 1024**2
_WHOLE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class AnalyticsOptions:
    """Athena's per-query scan cutoff; whether to encrypt the account's Glue Data Catalog."""

    bytes_scanned_cutoff: int = 10 * GB
    # Account- and region-wide, shared with every other catalog user: opt-in (README).
    glue_catalog_encryption: bool = False


@dataclass(frozen=True)
class Deployment:
    stack: str
    config: StackConfig
    options: DeployOptions
    aws_region: str
    sellers_json: list[Any]  # as written in the stack file, which the functions' Catalog reads
    reports_json: list[Any]
    app_credentials: pulumi.Output[str] | None = None
    refresh_tokens: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    analytics: AnalyticsOptions = field(default_factory=AnalyticsOptions)

    @property
    def queries(self) -> tuple[QueryDefinition, ...]:
        """The stack's Data Kiosk queries, each parsed and validated, its text read."""
        return self.config.queries

    @property
    def query_concurrency(self) -> int:
        """At most this many non-terminal Data Kiosk queries per partner."""
        return self.config.query_concurrency


def raw_config() -> dict[str, Any]:
    """Every config value the engine handed us, objects decoded (Pulumi passes them as JSON)."""
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    decoded: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE and name in _OBJECTS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError(f"{key}: expected a YAML list or mapping") from None
        decoded[key] = value
    return decoded


def load(stack: str) -> Deployment:
    """The stack's deployment; pulumi.RunError (one line, no traceback) names any bad key."""
    try:
        return _load(stack, raw_config())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def _load(stack: str, raw: Mapping[str, Any]) -> Deployment:
    analytics = _analytics(raw)
    ours = {f"{NAMESPACE}:{_CUTOFF}", f"{NAMESPACE}:{_CATALOG_ENCRYPTION}"}
    raw = {k: v for k, v in raw.items() if k not in ours}
    config = parse_stack_config(raw, read=query_files(ROOT), validator=GraphQlQueryValidator())
    if config.aws_region is None:
        raise ConfigError(
            f"aws:region: missing; {config.region.name} stacks deploy to {config.region.aws_region}"
        )
    return Deployment(
        stack=stack,
        config=config,
        options=deploy_options(config),
        aws_region=config.aws_region,
        sellers_json=list(raw[f"{NAMESPACE}:sellers"]),
        reports_json=list(raw[f"{NAMESPACE}:reports"]),
        app_credentials=_app_credentials(raw),
        refresh_tokens=_refresh_tokens(raw, {s.seller_id for s in config.sellers}),
        analytics=analytics,
    )


def _analytics(raw: Mapping[str, Any]) -> AnalyticsOptions:
    """The analytics keys (Pulumi hands every value over as text); one-line errors naming them."""
    default = AnalyticsOptions()
    key = f"{NAMESPACE}:{_CUTOFF}"
    cutoff = raw.get(key, default.bytes_scanned_cutoff)
    text = str(cutoff).strip()
    if isinstance(cutoff, bool) or not _WHOLE.fullmatch(text) or int(text) < MIN_CUTOFF:
        allowed = f"a whole number of bytes from {MIN_CUTOFF}, e.g. {10 * GB} (10 GiB)"
        raise ConfigError(f"{key}: {cutoff!r} is not allowed; use {allowed}")
    key = f"{NAMESPACE}:{_CATALOG_ENCRYPTION}"
    encrypt = raw.get(key, default.glue_catalog_encryption)
    flag = str(encrypt).strip().lower()
    if flag not in ("true", "false") or not isinstance(encrypt, bool | str):
        raise ConfigError(f"{key}: {encrypt!r} is not allowed; use true or false")
    return AnalyticsOptions(int(text), flag == "true")


def _secret(raw: Mapping[str, Any], name: str) -> Any:
    key = f"{NAMESPACE}:{name}"
    if key not in raw:
        return None
    if not runtime_config.is_config_secret(key):
        raise ConfigError(f"{key}: holds credentials, so set it with `pulumi config set --secret`")
    return raw[key]


def _app_credentials(raw: Mapping[str, Any]) -> pulumi.Output[str] | None:
    value = _secret(raw, "appCredentials")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) and value[k] for k in ("clientId", "clientSecret")
    ):
        raise ConfigError(f"{NAMESPACE}:appCredentials: expected clientId and clientSecret")
    return pulumi.Output.secret(
        json.dumps({"clientId": value["clientId"], "clientSecret": value["clientSecret"]})
    )


def _refresh_tokens(raw: Mapping[str, Any], sellers: set[str]) -> dict[str, pulumi.Output[str]]:
    value = _secret(raw, "refreshTokens")
    if value is None:
        return {}
    key = f"{NAMESPACE}:refreshTokens"
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping of seller id to refresh token")
    for seller_id, token in value.items():
        if seller_id not in sellers:
            raise ConfigError(f"{key}.{seller_id}: not a configured seller")
        if not isinstance(token, str) or not token:
            raise ConfigError(f"{key}.{seller_id}: expected the seller's refresh token")
    return {
        seller_id: pulumi.Output.secret(json.dumps({"refreshToken": token}))
        for seller_id, token in sorted(value.items())
    }
