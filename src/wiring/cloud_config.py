"""The Lambda functions' environment: resource names and ARNs only, checked at cold start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from domain.errors import ConfigError
from domain.marketplaces import LWA_ENDPOINT, Region

PREFIX = "SPAPI_LAKE_"
GIB = 1 << 30
DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * GIB
DEFAULT_RECONCILE_HOURS = 48
DEFAULT_THROTTLE_DEADLINE_HOURS = 24
DEFAULT_MAX_INGEST_ATTEMPTS = 5
DEFAULT_CURATE_MEMORY_MB = 1024
DEFAULT_CURATE_THREADS = 2

# Every variable, by the config field it fills. None of them may hold a secret (rule 13).
VARIABLES = {
    "stack": "SPAPI_LAKE_STACK",  # names the stack in the KMS encryption context
    "region": "SPAPI_LAKE_REGION",  # NA | EU | FE
    "endpoint": "SPAPI_LAKE_ENDPOINT",  # optional SP-API host override (the simulator)
    "lwa_endpoint": "SPAPI_LAKE_LWA_ENDPOINT",  # optional LWA token URL override
    "settings_path": "SPAPI_LAKE_SETTINGS_PATH",  # SSM path: `sellers`, `reports`, `queries`
    "app_secret_id": "SPAPI_LAKE_APP_SECRET_ID",
    "seller_secret_prefix": "SPAPI_LAKE_SELLER_SECRET_PREFIX",
    "kms_key_id": "SPAPI_LAKE_KMS_KEY_ID",
    "bucket": "SPAPI_LAKE_BUCKET",
    "prefix": "SPAPI_LAKE_PREFIX",
    "ingest_state_machine_arn": "SPAPI_LAKE_INGEST_STATE_MACHINE_ARN",
    # ingest-query: what a DATA_KIOSK_QUERY_PROCESSING_FINISHED notification starts.
    "query_state_machine_arn": "SPAPI_LAKE_QUERY_STATE_MACHINE_ARN",
    "queue_arn": "SPAPI_LAKE_QUEUE_ARN",
    "destination_name": "SPAPI_LAKE_DESTINATION_NAME",
    "authenticate_function": "SPAPI_LAKE_AUTHENTICATE_FUNCTION",
    "max_decompressed_bytes": "SPAPI_LAKE_MAX_DECOMPRESSED_BYTES",
    "reconcile_hours": "SPAPI_LAKE_RECONCILE_HOURS",
    "ingest_unconfigured": "SPAPI_LAKE_INGEST_UNCONFIGURED",  # true: ingest every notification
    # DynamoDB table of the shared token buckets, one item per (partner, operation).
    "rate_limit_table": "SPAPI_LAKE_RATE_LIMIT_TABLE",
    # How long a step may keep waiting for a rate limit before its execution fails.
    "throttle_deadline_hours": "SPAPI_LAKE_THROTTLE_DEADLINE_HOURS",
    # How many executions one report may have: the first, then restarts after failures.
    "max_ingest_attempts": "SPAPI_LAKE_MAX_INGEST_ATTEMPTS",
    # Seconds every call keeps behind its reserved slot, for the network's jitter (default 1).
    "rate_limit_margin_seconds": "SPAPI_LAKE_RATE_LIMIT_MARGIN_SECONDS",
    # The curate function, which reconcile invokes to curate stored reports again.
    "curate_function": "SPAPI_LAKE_CURATE_FUNCTION",
    # DuckDB's memory_limit (MB) and threads in the curate function: memory is bounded by these,
    # not by a report's size (DuckDB spills the rest to /tmp).
    "curate_memory_mb": "SPAPI_LAKE_CURATE_MEMORY_MB",
    "curate_threads": "SPAPI_LAKE_CURATE_THREADS",
}
_SEAL = ("stack", "kms_key_id")
_SP_API = ("region", "rate_limit_table")
_LWA = ("app_secret_id", "seller_secret_prefix")
# What each function cannot run without; everything else is optional or unused by it.
NEEDS: Mapping[str, tuple[str, ...]] = {
    "subscribe": (*_SP_API, "settings_path", *_LWA, "queue_arn", "destination_name"),
    "authenticate": (*_SEAL, *_LWA),
    "create_report": (*_SEAL, *_SP_API, "settings_path"),
    "fetch_document": (*_SEAL, *_SP_API),
    "store_report": (*_SEAL, "bucket"),
    "process_notification": (
        "region",
        "settings_path",
        "bucket",
        "ingest_state_machine_arn",
        "query_state_machine_arn",
    ),
    "reconcile": (
        *_SEAL,
        *_SP_API,
        "settings_path",
        "bucket",
        "ingest_state_machine_arn",
        "query_state_machine_arn",
        "authenticate_function",
    ),
    # Reads a manifest and a raw file, writes Parquet and the manifest: no SP-API, no sealing.
    "curate_report": ("kms_key_id", "bucket"),
    # Data Kiosk: reads the queries' settings, records each created page's context in the lake.
    "run_query": (*_SEAL, *_SP_API, "settings_path", "bucket"),
}


@dataclass(frozen=True)
class CloudConfig:
    stack: str | None = None
    region: str | None = None
    endpoint: str | None = None
    lwa_endpoint: str = LWA_ENDPOINT
    settings_path: str | None = None
    app_secret_id: str | None = None
    seller_secret_prefix: str | None = None
    kms_key_id: str | None = None
    bucket: str | None = None
    prefix: str = ""
    ingest_state_machine_arn: str | None = None
    query_state_machine_arn: str | None = None
    queue_arn: str | None = None
    destination_name: str | None = None
    authenticate_function: str | None = None
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    reconcile_hours: int = DEFAULT_RECONCILE_HOURS
    ingest_unconfigured: bool = False
    rate_limit_table: str | None = None
    throttle_deadline_hours: int = DEFAULT_THROTTLE_DEADLINE_HOURS
    max_ingest_attempts: int = DEFAULT_MAX_INGEST_ATTEMPTS
    rate_limit_margin_seconds: float = 1.0
    curate_function: str | None = None  # without it, reconcile does not curate
    curate_memory_mb: int = DEFAULT_CURATE_MEMORY_MB
    curate_threads: int = DEFAULT_CURATE_THREADS

    @property
    def spapi_endpoint(self) -> str | None:
        if self.endpoint:
            return self.endpoint
        return Region.parse(self.region).endpoint if self.region else None

    def as_dict(self) -> dict[str, Any]:
        """For the container's Configuration provider."""
        return {**asdict(self), "spapi_endpoint": self.spapi_endpoint}


def load(environ: Mapping[str, str], function: str) -> CloudConfig:
    """The config `function` runs with; ConfigError names the first variable missing or bad."""
    values: dict[str, Any] = {}
    for field, name in VARIABLES.items():
        text = (environ.get(name) or "").strip()
        if text:
            values[field] = _parse(field, name, text)
    needs = NEEDS[function]
    if function == "process_notification" and values.get("ingest_unconfigured"):
        # No catalog to filter by.
        needs = ("bucket", "ingest_state_machine_arn", "query_state_machine_arn")
    for field in needs:
        if field not in values:
            raise ConfigError(f"{VARIABLES[field]} is not set: the {function} function needs it")
    return CloudConfig(**values)


def _parse(field: str, name: str, text: str) -> Any:
    if field == "region":
        try:
            return Region.parse(text).name
        except ConfigError:
            raise ConfigError(
                f"{name}={text!r} is not an SP-API region: use NA, EU or FE"
            ) from None
    if field in ("endpoint", "lwa_endpoint") and not text.startswith(("https://", "http://")):
        raise ConfigError(f"{name}={text!r} is not an http(s) URL")
    if field in (
        "max_decompressed_bytes",
        "reconcile_hours",
        "throttle_deadline_hours",
        "max_ingest_attempts",
        "curate_memory_mb",
        "curate_threads",
    ):
        if not text.isdigit() or int(text) <= 0:
            raise ConfigError(f"{name}={text!r} is not a positive whole number")
        return int(text)
    if field == "rate_limit_margin_seconds":
        try:
            margin = float(text)
        except ValueError:
            margin = -1.0
        if not 0 <= margin <= 600:
            raise ConfigError(f"{name}={text!r} is not a number of seconds from 0 to 600")
        return margin
    if field == "ingest_unconfigured":
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"{name}={text!r} is not a boolean: use true or false")
        return text.lower() in ("true", "1", "yes")
    if field == "prefix":
        return text.strip("/")
    return text
