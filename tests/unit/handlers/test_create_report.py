"""create_report: plans the due requests from SSM settings, then creates or reuses each report."""

from dataclasses import dataclass

import pytest

from domain.errors import ConfigError, SealError, ThrottledError
from domain.model import ReportRequest
from handlers import create_report
from tests.unit.handlers.conftest import (
    DE,
    FR,
    LISTINGS,
    ORDERS,
    OTHER_SELLER,
    SELLER,
    TOKEN,
    AuthorisedReportsApi,
    assert_fields,
    leaks,
)
from wiring.payloads import PayloadError

REQUEST_FIELDS = (
    "sellerId",
    "reportType",
    "marketplaceIds",
    "dataStartTime",
    "dataEndTime",
    "reportOptions",
)


def plan(context, given=None):
    return create_report.lambda_handler({"action": "plan", "input": given or {}}, context)


def create(world, context, request, sealed=None):
    event = {"action": "create", "request": request, "sealedToken": sealed or world.sealed_token()}
    return create_report.lambda_handler(event, context)


def test_the_plan_covers_every_seller_report_and_marketplace(world, context, captured):
    world.clock.current = world.clock.current.replace(second=42, microsecond=7)

    result = plan(context)

    requests = result["requests"]
    for request in requests:
        assert_fields(request, REQUEST_FIELDS)
    listings = [r for r in requests if r["reportType"] == LISTINGS]
    assert {(r["sellerId"], r["marketplaceIds"][0]) for r in listings} == {
        (OTHER_SELLER, DE),
        (SELLER, DE),
        (SELLER, FR),
    }
    assert len(requests) == 3 + 4 + 2
    assert {r["dataStartTime"] for r in listings} == {None}  # a snapshot has no window
    orders = [r for r in requests if r["reportType"] == ORDERS and r["sellerId"] == SELLER]
    # P45D sliced to P30D spans, per marketplace, ending at the whole minute.
    assert len(orders) == 4
    assert sorted({(r["dataStartTime"], r["dataEndTime"]) for r in orders}) == [
        ("2026-10-13T12:00:00Z", "2026-11-12T12:00:00Z"),
        ("2026-11-12T12:00:00Z", "2026-11-27T12:00:00Z"),
    ]
    assert leaks(result, text=captured.text()) == []


def test_the_plan_can_name_sellers_and_report_types(world, context):
    result = plan(context, {"sellerIds": [OTHER_SELLER], "reportTypes": [LISTINGS]})

    assert [(r["sellerId"], r["reportType"]) for r in result["requests"]] == [
        (OTHER_SELLER, LISTINGS)
    ]


def test_planning_for_a_seller_that_is_not_configured_names_it(world, context):
    with pytest.raises(ConfigError, match="'ANOPE' is not configured"):
        plan(context, {"sellerIds": ["ANOPE"]})


def test_bad_settings_name_the_setting(world, context):
    world.settings.values["reports"] = "[{not json"

    with pytest.raises(ConfigError, match="setting reports is not JSON"):
        plan(context)


def test_a_planned_request_is_created_with_the_token_handed_in(world, context, captured):
    request = plan(context, {"sellerIds": [SELLER], "reportTypes": [ORDERS]})["requests"][0]

    result = create(world, context, request)

    assert_fields(result, ["reportId", "reused"])
    assert result["reused"] is False
    created = world.reports.created[0]
    assert created == ReportRequest(
        SELLER,
        ORDERS,
        (request["marketplaceIds"][0],),
        created.data_start,
        created.data_end,
    )
    assert created.data_start.isoformat().replace("+00:00", "Z") == request["dataStartTime"]
    assert world.reports.seen_tokens == [TOKEN, TOKEN]  # getReports for reuse, createReport
    assert captured.metrics()["ReportsRequested"] == 1
    assert leaks(result, text=captured.text()) == []


def test_an_identical_request_reuses_the_report(world, context, captured):
    request = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["requests"][0]
    first = create(world, context, request)

    again = create(world, context, request)

    assert again == {"reportId": first["reportId"], "reused": True}
    assert len(world.reports.created) == 1
    assert captured.metrics()["ReportsReused"] == 1


def test_throttling_is_raised_under_its_class_name_for_the_workflow_to_retry(world, context):
    @dataclass
    class Throttled(AuthorisedReportsApi):
        def create_report(self, request):
            raise ThrottledError("createReport", "QuotaExceeded", status=429)

    throttled = Throttled(clock=world.clock, tokens=world.container.access_tokens())
    world.container.reports_api.override(throttled)
    request = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["requests"][0]

    with pytest.raises(ThrottledError):
        create(world, context, request)


def test_a_token_sealed_for_another_purpose_is_refused(world, context):
    request = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["requests"][0]
    url_handle = world.sealer.seal(TOKEN, "document-url")

    with pytest.raises(SealError):
        create(world, context, request, sealed=url_handle)
    assert world.reports.created == []


@pytest.mark.parametrize(
    ("event", "complaint"),
    [
        ({"action": "delete"}, "action"),
        ({"action": "create", "request": {"sellerId": SELLER}, "sealedToken": "x"}, "reportType"),
        ({"action": "create", "request": {"sellerId": SELLER, "reportType": LISTINGS}}, "sealed"),
    ],
)
def test_an_event_outside_the_contract_is_refused(world, context, event, complaint):
    with pytest.raises(PayloadError, match=complaint):
        create_report.lambda_handler(event, context)
