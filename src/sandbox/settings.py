"""What a simulator is configured with (frozen) and which faults it injects (mutable, per test)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEMO_CLIENT_ID = "amzn1.application-oa2-client.demo"
DEMO_CLIENT_SECRET = "amzn1.oa2-cs.v1.demo-secret"  # noqa: S105 - public demo value
DEMO_REFRESH_TOKEN = "Atzr|demo-refresh-token"  # noqa: S105 - public demo value
DEMO_SELLER_ID = "A1DEMOSELLER0"
# A vendor group: its id is what REPORT_PROCESSING_FINISHED carries as accountId.
DEMO_VENDOR_REFRESH_TOKEN = "Atzr|demo-vendor-refresh-token"  # noqa: S105 - public demo value
DEMO_VENDOR_ID = "amzn1.vg.6213651"
DEMO_VENDOR_MARKETPLACE = "ATVPDKIKX0DER"

_NOTIFICATION_OPS = (
    "getSubscriptions",
    "getSubscription",
    "createSubscription",
    "getSubscriptionById",
    "deleteSubscriptionById",
    "getDestinations",
    "createDestination",
    "getDestination",
    "deleteDestination",
)
_SCHEDULE_OPS = (
    "getReportSchedules",
    "createReportSchedule",
    "getReportSchedule",
    "cancelReportSchedule",
)

# Amazon's published default usage plans: operation -> (requests per second, burst).
DEFAULT_RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    **{op: (0.0222, 10) for op in _SCHEDULE_OPS},
    **{op: (1.0, 5) for op in _NOTIFICATION_OPS},
    # Data Kiosk API 2023-11-15.
    "createQuery": (0.0167, 15),
    "getQueries": (0.0222, 10),
    "getQuery": (2.0, 15),
    "cancelQuery": (0.0222, 10),
    "getDocument": (0.0167, 15),
}


@dataclass(frozen=True)
class DocumentOverride:
    """An already-gzipped file served as-is for every document of one report type."""

    path: Path
    content_type: str


def _clients() -> dict[str, str]:
    return {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}


@dataclass(frozen=True)
class VendorAccount:
    """A vendor group: its `amzn1.vg.` id and the one marketplace it sells to Amazon in."""

    account_id: str
    marketplace_id: str


def _sellers() -> dict[str, str]:
    return {DEMO_REFRESH_TOKEN: DEMO_SELLER_ID}


def _vendors() -> dict[str, VendorAccount]:
    return {DEMO_VENDOR_REFRESH_TOKEN: VendorAccount(DEMO_VENDOR_ID, DEMO_VENDOR_MARKETPLACE)}


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything has a default: `SimulatorConfig()` is a working demo simulator.

    `rate_limits` is merged over DEFAULT_RATE_LIMITS, so a test names only what it changes.
    `clock` returns epoch seconds; tests inject a manual one to expire URLs and tokens.
    `sellers` and `vendors` map refresh tokens to the partner a token's calls speak for.
    """

    clients: dict[str, str] = field(default_factory=_clients)
    sellers: dict[str, str] = field(default_factory=_sellers)
    vendors: dict[str, VendorAccount] = field(default_factory=_vendors)
    processing_seconds: float = 1.0
    url_ttl_seconds: float = 300
    token_ttl_seconds: int = 3600
    rate_limits: dict[str, tuple[float, int]] = field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMITS)
    )
    rows: int = 200
    document_overrides: dict[str, DocumentOverride] = field(default_factory=dict)
    on_report_finished: Callable[[dict[str, Any]], None] | None = None
    base_url: str | None = None
    clock: Callable[[], float] = time.time
    validate_responses: bool = True
    application_id: str = "amzn1.sellerapps.app.0f6b9a8e-5d1c-4e1f-9a77-3c2d51e0b8a4"
    # Data Kiosk: non-terminal queries a partner may have processing at once (the rest wait
    # IN_QUEUE), pages each query yields, and records per list field on each page.
    kiosk_concurrency: int = 2
    kiosk_pages: int = 2
    kiosk_rows: int = 5

    def rate_limit(self, operation: str) -> tuple[float, int]:
        return self.rate_limits.get(operation) or DEFAULT_RATE_LIMITS.get(operation, (1.0, 5))

    def partner(self, refresh_token: str) -> str | None:
        """The seller id or vendor group id a refresh token was issued for."""
        vendor = self.vendors.get(refresh_token)
        return vendor.account_id if vendor else self.sellers.get(refresh_token)

    def vendor_marketplaces(self) -> dict[str, str]:
        """Vendor group id -> its one marketplace."""
        return {v.account_id: v.marketplace_id for v in self.vendors.values()}


_COUNTERS = (
    "server_errors",
    "throttle_storm",
    "truncate_downloads",
    "expire_urls",
    "corrupt_downloads",
    "lwa_errors",
)


@dataclass
class Faults:
    """Switches a test flips at runtime; all off by default. Counters count down per use."""

    fatal: set[str] = field(default_factory=set)
    fatal_without_document: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    server_errors: int = 0
    throttle_storm: int = 0
    truncate_downloads: int = 0
    expire_urls: int = 0
    corrupt_downloads: int = 0
    lwa_errors: int = 0
    revoked_refresh_tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def take(self, counter: str) -> bool:
        """Use up one unit of a counter; False when it is already zero."""
        if counter not in _COUNTERS:
            raise ValueError(f"unknown fault counter {counter!r}")
        with self._lock:
            left = getattr(self, counter)
            if left <= 0:
                return False
            setattr(self, counter, left - 1)
            return True

    def reset(self) -> None:
        """Switch every fault off."""
        with self._lock:
            for spec in fields(self):
                if spec.name == "_lock":
                    continue
                value = getattr(self, spec.name)
                if isinstance(value, set):
                    value.clear()
                else:
                    setattr(self, spec.name, 0)
