"""create_report: plans the due requests from SSM settings, then places each seller's and report
type's group: reuse found by one getReports, createReport as the shared rate limit allows."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from domain.errors import ConfigError, InvalidRequestError, SealError
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


def requests_of(planned):
    return [r for group in planned["groups"] for r in group["placement"]["pending"]]


def place(world, context, group, pace=None, sealed=None):
    event = {
        "action": "place",
        "sellerId": group["sellerId"],
        "placement": group["placement"],
        "pace": pace,
        "sealedToken": sealed or world.sealed_token(),
    }
    return create_report.lambda_handler(event, context)


def place_until_done(world, context, group):
    """What the workflow does: place, wait as told (the clock moves), place again."""
    result = place(world, context, group)
    rounds = 1
    while result["pace"]["waiting"]:
        world.clock.sleep(result["pace"]["waitSeconds"])
        group = {"sellerId": result["sellerId"], "placement": result["placement"]}
        result = place(world, context, group, pace=result["pace"])
        rounds += 1
    return result, rounds


def test_the_plan_covers_every_seller_report_and_marketplace(world, context, captured):
    world.clock.current = world.clock.current.replace(second=42, microsecond=7)

    result = plan(context)

    requests = requests_of(result)
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


def test_the_plan_groups_requests_by_seller_and_report_type(world, context):
    groups = plan(context)["groups"]

    keys = [(g["sellerId"], g["reportType"]) for g in groups]
    assert sorted(keys) == sorted(
        [(SELLER, LISTINGS), (SELLER, ORDERS), (OTHER_SELLER, LISTINGS), (OTHER_SELLER, ORDERS)]
    )
    for group in groups:
        pending = group["placement"]["pending"]
        assert {(r["sellerId"], r["reportType"]) for r in pending} == {
            (group["sellerId"], group["reportType"])
        }


def test_the_plan_can_name_sellers_and_report_types(world, context):
    result = plan(context, {"sellerIds": [OTHER_SELLER], "reportTypes": [LISTINGS]})

    assert [(r["sellerId"], r["reportType"]) for r in requests_of(result)] == [
        (OTHER_SELLER, LISTINGS)
    ]


def test_planning_for_a_seller_that_is_not_configured_names_it(world, context):
    with pytest.raises(ConfigError, match="'ANOPE' is not configured"):
        plan(context, {"sellerIds": ["ANOPE"]})


def test_bad_settings_name_the_setting(world, context):
    world.settings.values["reports"] = "[{not json"

    with pytest.raises(ConfigError, match="setting reports is not JSON"):
        plan(context)


def test_a_group_is_placed_with_the_token_handed_in(world, context, captured):
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [ORDERS]})["groups"][0]

    result = place(world, context, group)

    assert_fields(result, ["sellerId", "placement", "pace"])
    assert result["pace"]["waiting"] is False
    placed = result["placement"]["placed"]
    assert [p["reused"] for p in placed] == [False] * 4
    assert result["placement"]["pending"] == []
    assert result["placement"]["failed"] == []
    created = world.reports.created[0]
    request = group["placement"]["pending"][0]
    assert created == ReportRequest(
        SELLER, ORDERS, (request["marketplaceIds"][0],), created.data_start, created.data_end
    )
    assert created.data_start.isoformat().replace("+00:00", "Z") == request["dataStartTime"]
    # One getReports for the whole group's reuse check, then one createReport per request.
    assert world.reports.get_reports_calls == 1
    assert world.reports.seen_tokens == [TOKEN] * 5
    assert captured.metrics()["ReportsRequested"] == 4
    assert leaks(result, text=captured.text()) == []


def test_an_identical_request_reuses_the_report(world, context, captured):
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["groups"][0]
    first = place(world, context, group)

    again = place(world, context, group)

    ids = [p["reportId"] for p in first["placement"]["placed"]]
    assert [p["reportId"] for p in again["placement"]["placed"]] == ids
    assert all(p["reused"] for p in again["placement"]["placed"])
    assert len(world.reports.created) == 2  # DE and FR, once each
    assert captured.metrics()["ReportsReused"] == 2


def test_throttling_only_waits_and_every_request_is_placed(world, context, captured):
    world.limits.free = {"createReport": 1}
    world.limits.interval = 60.0
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [ORDERS]})["groups"][0]

    result, rounds = place_until_done(world, context, group)

    assert len(result["placement"]["placed"]) == 4
    assert result["placement"]["failed"] == []
    assert rounds == 4  # one placed per token; the workflow waited between
    assert len(world.reports.created) == 4
    # Each wait's reserved token was used by the next attempt, not a second token.
    assert [t.operation for t in world.limits.honoured] == ["createReport"] * 3
    assert world.reports.get_reports_calls == 1
    assert captured.metrics()["RateLimitWaits"] == 3


def test_requests_still_waiting_at_the_deadline_are_failed_with_their_list(
    world, context, captured
):
    world.limits.free = {"createReport": 1}
    world.limits.interval = 25 * 3600.0  # the second token comes after the 24 h deadline
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [ORDERS]})["groups"][0]

    result = place(world, context, group)

    failed = result["placement"]["failed"]
    assert result["pace"]["waiting"] is False
    assert len(result["placement"]["placed"]) == 1
    assert [f["error"] for f in failed] == ["ThrottleDeadlineError"] * 3
    assert all(f["request"]["reportType"] == ORDERS for f in failed)
    assert captured.metrics()["RequestsUnplaced"] == 3


def test_a_wait_that_outlasts_the_deadline_on_a_later_attempt_fails_the_rest(world, context):
    world.limits.free = {"createReport": 1}
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [ORDERS]})["groups"][0]
    first = place(world, context, group)
    world.clock.sleep(timedelta(hours=25).total_seconds())

    late = place(
        world,
        context,
        {"sellerId": SELLER, "placement": first["placement"]},
        pace=first["pace"],
    )

    assert len(late["placement"]["failed"]) == 3
    assert late["placement"]["pending"] == []


def test_a_rejected_request_is_recorded_and_the_others_are_placed(world, context):
    @dataclass
    class Rejecting(AuthorisedReportsApi):
        def create_report(self, request):
            if request.marketplace_ids == (FR,):
                raise InvalidRequestError("createReport", "bad marketplace", status=400)
            return super().create_report(request)

    world.container.reports_api.override(
        Rejecting(clock=world.clock, tokens=world.container.access_tokens())
    )
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["groups"][0]

    result = place(world, context, group)

    assert len(result["placement"]["placed"]) == 1
    [failure] = result["placement"]["failed"]
    assert failure["error"] == "InvalidRequestError"
    assert "bad marketplace" in failure["cause"]


def test_a_token_sealed_for_another_purpose_is_refused(world, context):
    group = plan(context, {"sellerIds": [SELLER], "reportTypes": [LISTINGS]})["groups"][0]
    url_handle = world.sealer.seal(TOKEN, "document-url")

    with pytest.raises(SealError):
        place(world, context, group, sealed=url_handle)
    assert world.reports.created == []


@pytest.mark.parametrize(
    ("event", "complaint"),
    [
        ({"action": "create"}, "action"),
        ({"action": "place", "placement": {}, "sealedToken": "x"}, "sellerId"),
        ({"action": "place", "sellerId": SELLER, "placement": {}}, "sealed"),
        (
            {
                "action": "place",
                "sellerId": SELLER,
                "placement": {"pending": "x"},
                "sealedToken": "x",
            },
            "pending",
        ),
    ],
)
def test_an_event_outside_the_contract_is_refused(world, context, event, complaint):
    if complaint == "pending":
        event = {**event, "sealedToken": world.sealed_token()}
    with pytest.raises(PayloadError, match=complaint):
        create_report.lambda_handler(event, context)
