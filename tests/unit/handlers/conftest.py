"""Handler tests: every Lambda handler through the real CloudContainer, its ports overridden with
in-memory fakes, and everything the handlers print or log captured for secrets."""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from dependency_injector import providers

from domain.authenticating import ACCESS_TOKEN
from domain.errors import InvalidGrantError
from domain.model import Report, ReportDocument, ReportRequest, ReportStatus
from domain.ports import AccessTokens
from tests.fakes import (
    FakeAccessTokens,
    FakeClock,
    FakeDocumentSource,
    FakeLake,
    FakeNotificationsApi,
    FakeRateLimits,
    FakeReportsApi,
    FakeSealer,
    FakeSettings,
    FakeStream,
    FakeWorkflow,
)
from wiring import runtime
from wiring.cloud_config import CloudConfig
from wiring.cloud_container import CloudContainer

SELLER = "A3TH9S8BH6GOGM"
OTHER_SELLER = "A2OTHERSELLER1"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
DE, FR = "A1PA6795UKMFR9", "A13V1IB3VIYZZH"
# Shaped like the real thing, so that a leak is caught by the markers security rule 20 names.
TOKEN = "Atza|IwEBIExampleSellerAccessToken"
OTHER_TOKEN = "Atza|IwEBIExampleOtherSellerToken"
DOC_URL = (
    "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/doc-1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret")
TSV = "sku\ttitle\tprice\nDE-1\tCrème brûlée\t5.00\nDE-2\tÉté\t7.50\n"
SELLERS = [
    {"name": "acme-eu", "sellerId": SELLER, "marketplaces": [DE, FR]},
    {"name": "other", "sellerId": OTHER_SELLER, "marketplaces": [DE]},
]
REPORTS = [
    {"type": LISTINGS, "schedule": "cron(0 2 * * ? *)"},
    {"type": ORDERS, "schedule": "cron(0 3 * * ? *)", "window": "P45D", "maxSpan": "P30D"},
]
CONFIG = CloudConfig(
    stack="spapi-lake-test",
    region="EU",
    settings_path="/spapi-lake/test",
    app_secret_id="spapi-lake/test/app",
    seller_secret_prefix="spapi-lake/test/seller/",
    kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/test",
    bucket="spapi-lake-test-lake",
    ingest_state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:ingest-report",
    queue_arn="arn:aws:sqs:eu-west-1:123456789012:spapi-lake-test-notifications",
    destination_name="spapi-lake-test",
    authenticate_function="spapi-lake-test-authenticate",
    rate_limit_table="spapi-lake-test-rate-limits",
)


@dataclass
class AuthorisedReportsApi(FakeReportsApi):
    """A FakeReportsApi that, like SpApiClient, asks its AccessTokens for the seller's token on
    every call: the tokens it saw show which token a real call would have carried."""

    tokens: AccessTokens | None = None
    seen_tokens: list[str] = field(default_factory=list)

    def _authorise(self, seller_id: str) -> None:
        assert self.tokens is not None
        self.seen_tokens.append(self.tokens.for_seller(seller_id))

    def create_report(self, request: ReportRequest) -> str:
        self._authorise(request.seller_id)
        return super().create_report(request)

    def get_report(self, seller_id: str, report_id: str) -> Report:
        self._authorise(seller_id)
        return super().get_report(seller_id, report_id)

    def get_reports(self, seller_id: str, **filters: Any) -> Iterator[Report]:
        self._authorise(seller_id)
        return super().get_reports(seller_id, **filters)

    def get_report_document(self, seller_id: str, document_id: str) -> ReportDocument:
        self._authorise(seller_id)
        return super().get_report_document(seller_id, document_id)


@dataclass
class FakeAuthenticator:
    """The authenticate function, as reconcile's LambdaAuthenticator would reach it."""

    sealer: FakeSealer
    tokens: dict[str, str]
    asked: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)

    def sealed_token(self, seller_id: str) -> str:
        self.asked.append(seller_id)
        if seller_id in self.revoked:
            raise InvalidGrantError(f"LWA rejected the refresh token for seller {seller_id}")
        return self.sealer.seal(self.tokens[seller_id], ACCESS_TOKEN)


@dataclass
class FakeLambdaContext:
    function_name: str = "spapi-lake-test-fn"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:fn"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class World:
    """The container every handler resolves, wired to fakes the tests can look into."""

    container: CloudContainer
    clock: FakeClock
    reports: AuthorisedReportsApi
    reconcile_reports: AuthorisedReportsApi
    lake: FakeLake
    source: FakeDocumentSource
    notifications: FakeNotificationsApi
    sealer: FakeSealer
    workflow: FakeWorkflow
    settings: FakeSettings
    lwa: FakeAccessTokens
    authenticator: FakeAuthenticator
    limits: FakeRateLimits

    def sealed_token(self, token: str = TOKEN) -> str:
        return self.sealer.seal(token, ACCESS_TOKEN)

    def configure(self, **changes: Any) -> None:
        self.container.config.from_dict({**CONFIG.as_dict(), **changes})

    def report(
        self,
        status: ReportStatus = ReportStatus.DONE,
        *,
        report_id: str = "54517018502",
        report_type: str = LISTINGS,
        seller_id: str = SELLER,
        document: bool = True,
        created: datetime | None = None,
    ) -> Report:
        """A report in the fake SP-API (both reports APIs), its document served at DOC_URL."""
        document_id = f"amzn1.spdoc.1.4.eu.{report_id}" if document else None
        report = Report(
            seller_id=seller_id,
            report_id=report_id,
            report_type=report_type,
            status=status,
            created_time=created or self.clock.now(),
            marketplace_ids=(DE,),
            data_start=datetime(2026, 11, 26, tzinfo=self.clock.now().tzinfo),
            data_end=datetime(2026, 11, 27, tzinfo=self.clock.now().tzinfo),
            document_id=document_id,
        )
        for api in (self.reports, self.reconcile_reports):
            api.add(report)
            if document_id:
                api.documents[document_id] = DOC_URL
        self.source.bodies[DOC_URL] = FakeStream(
            "text/plain; charset=Cp1252", [gzip.compress(TSV.encode("cp1252"))]
        )
        return report


@pytest.fixture
def world() -> Iterator[World]:
    clock = FakeClock()
    sealer = FakeSealer()
    container = CloudContainer()
    limits = FakeRateLimits(clock)
    reports = AuthorisedReportsApi(clock=clock, limits=limits)
    reconcile_reports = AuthorisedReportsApi(clock=clock)
    authenticator = FakeAuthenticator(sealer, {SELLER: TOKEN, OTHER_SELLER: OTHER_TOKEN})
    built = World(
        container=container,
        clock=clock,
        reports=reports,
        reconcile_reports=reconcile_reports,
        lake=FakeLake(),
        source=FakeDocumentSource(),
        notifications=FakeNotificationsApi(),
        sealer=sealer,
        workflow=FakeWorkflow(),
        settings=FakeSettings({"sellers": json.dumps(SELLERS), "reports": json.dumps(REPORTS)}),
        lwa=FakeAccessTokens({SELLER: TOKEN, OTHER_SELLER: OTHER_TOKEN}),
        authenticator=authenticator,
        limits=limits,
    )
    overrides: dict[str, object] = {
        "clock": clock,
        "sealer": sealer,
        "settings": built.settings,
        "lake": built.lake,
        "document_source": built.source,
        "workflow": built.workflow,
        "lwa_access_tokens": built.lwa,
        "notifications_api": built.notifications,
        "reports_api": reports,
        "reconcile_reports_api": reconcile_reports,
        "authenticate_function": authenticator,
        "limiter": limits,
    }
    for name, fake in overrides.items():
        getattr(container, name).override(providers.Object(fake))
    built.configure()
    # The real token adapters, behind the fakes: the tokens a call carries come through them.
    reports.tokens = container.access_tokens()
    reconcile_reports.tokens = container.reconcile_tokens()
    runtime.use(container)
    yield built
    runtime.reset()
    container.reset_override()


@pytest.fixture
def context() -> FakeLambdaContext:
    return FakeLambdaContext()


@dataclass
class Captured:
    """Everything a handler wrote: stdout (JSON logs, EMF metrics) and the logging records."""

    capsys: pytest.CaptureFixture[str]
    caplog: pytest.LogCaptureFixture
    _out: list[str] = field(default_factory=list)

    def text(self) -> str:
        self._out.append(self.capsys.readouterr().out)
        return "".join(self._out) + self.caplog.text

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines (EMF lines left out)."""
        return [line for line in self._json() if "_aws" not in line]

    def metrics(self) -> dict[str, float]:
        """Every EMF metric value, summed by name."""
        totals: dict[str, float] = {}
        for line in self._json():
            if "_aws" in line:
                for definition in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                    name = definition["Name"]
                    values = line[name] if isinstance(line[name], list) else [line[name]]
                    totals[name] = totals.get(name, 0) + sum(values)
        return totals

    def _json(self) -> list[dict[str, Any]]:
        self.text()
        lines = "".join(self._out).splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Captured:
    caplog.set_level(logging.DEBUG)
    return Captured(capsys, caplog)


def leaks(*values: object, text: str = "") -> list[str]:
    """Rule 20's markers found in return values (as JSON) or captured output."""
    dumped = json.dumps(values, default=str) + text
    return [marker for marker in SECRET_MARKERS if marker in dumped]


def assert_fields(result: dict[str, Any], fields: Sequence[str]) -> None:
    """Every field the state machine's ResultSelector picks is present (null allowed)."""
    missing = [name for name in fields if name not in result]
    assert missing == [], f"missing {missing} in {result}"
