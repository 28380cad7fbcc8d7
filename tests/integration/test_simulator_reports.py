"""Reports API 2021-06-30 on the simulator: lifecycle, lookups, listing, cancelling, schedules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

REPORTS = "/reports/2021-06-30/reports"
SCHEDULES = "/reports/2021-06-30/schedules"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
US, DE, UK = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P"
DOCUMENT_ID = re.compile(r"^amzn1\.spdoc\.1\.4\.(na|eu|fe)\.[0-9a-f-]{36}\.T[0-9A-Z]+\.\d+$")
FAST = {"createReport": (100.0, 100), "getReports": (100.0, 100), "getReport": (100.0, 100)}


def test_a_report_goes_from_in_queue_through_in_progress_to_done(make_simulator, manual_clock):
    # given a report that takes 10 simulated seconds
    running = make_simulator(clock=manual_clock, processing_seconds=10)
    client = running.seller()

    # when it is created and watched as time passes
    response = client.post(REPORTS, json={"reportType": LISTINGS, "marketplaceIds": [DE]})
    report_id = response.json()["reportId"]
    seen = [client.get(f"{REPORTS}/{report_id}").json()]
    for step in (6, 5):
        manual_clock.advance(step)
        seen.append(client.get(f"{REPORTS}/{report_id}").json())

    # then it is accepted with a numeric id and moves through every state
    assert response.status_code == 202
    assert re.fullmatch(r"\d{11}", report_id)
    assert [r["processingStatus"] for r in seen] == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    assert "reportDocumentId" not in seen[1]
    done = seen[-1]
    assert DOCUMENT_ID.match(done["reportDocumentId"])
    assert ".eu." in done["reportDocumentId"]
    assert done["marketplaceIds"] == [DE]
    assert done["processingStartTime"] <= done["processingEndTime"]
    assert done["reportType"] == LISTINGS


def test_with_zero_processing_time_a_report_is_done_at_once(make_simulator):
    running = make_simulator(processing_seconds=0)
    client = running.seller()

    report_id = running.create_report(client, LISTINGS, US)

    assert client.get(f"{REPORTS}/{report_id}").json()["processingStatus"] == "DONE"


def test_the_data_window_given_is_the_window_reported(simulator):
    client = simulator.seller()
    window = {"dataStartTime": "2026-10-01T00:00:00Z", "dataEndTime": "2026-10-31T23:59:59Z"}

    report = client.get(f"{REPORTS}/{simulator.create_report(client, ORDERS, US, **window)}")

    assert report.json()["dataStartTime"] == "2026-10-01T00:00:00+00:00"
    assert report.json()["dataEndTime"] == "2026-10-31T23:59:59+00:00"


def test_a_data_window_that_ends_before_it_starts_is_rejected(simulator):
    body = {
        "reportType": ORDERS,
        "marketplaceIds": [US],
        "dataStartTime": "2026-10-31T00:00:00Z",
        "dataEndTime": "2026-10-01T00:00:00Z",
    }

    response = simulator.seller().post(REPORTS, json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_an_unknown_report_is_not_found(simulator):
    response = simulator.seller().get(f"{REPORTS}/12345678901")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"
    assert response.headers["x-amzn-RateLimit-Limit"] == "2.0"


def test_reports_and_documents_belong_to_the_seller_who_created_them(make_simulator):
    # given two sellers of the same app
    running = make_simulator(
        processing_seconds=0,
        sellers={"Atzr|first": "A1FIRSTSELLER", "Atzr|second": "A2SECONDSELLER"},
    )
    first, second = running.seller("Atzr|first"), running.seller("Atzr|second")
    report = running.wait_for_report(first, running.create_report(first, LISTINGS, US))

    # when the other seller looks for it
    direct = second.get(f"{REPORTS}/{report['reportId']}")
    document = second.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}")
    listed = second.get(REPORTS, params={"reportTypes": LISTINGS}).json()["reports"]

    # then it does not exist for them
    assert (direct.status_code, document.status_code, listed) == (404, 404, [])


def test_a_queued_report_can_be_cancelled_and_a_finished_one_cannot(make_simulator, manual_clock):
    # given one report still queued and one done
    running = make_simulator(clock=manual_clock, processing_seconds=10)
    client = running.seller()
    done_id = running.create_report(client, LISTINGS, US)
    manual_clock.advance(11)
    queued_id = running.create_report(client, LISTINGS, US)

    # when both are cancelled
    cancelled = client.delete(f"{REPORTS}/{queued_id}")
    refused = client.delete(f"{REPORTS}/{done_id}")

    # then only the queued one is, with an empty 200, and it never gets a document
    assert (cancelled.status_code, cancelled.content) == (200, b"")
    assert refused.status_code == 400
    manual_clock.advance(60)
    report = client.get(f"{REPORTS}/{queued_id}").json()
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report
    assert client.get(f"{REPORTS}/{done_id}").json()["processingStatus"] == "DONE"


def test_get_reports_filters_by_type_status_and_marketplace_newest_first(
    make_simulator, manual_clock
):
    # given reports of two types, in two marketplaces, one still queued
    running = make_simulator(clock=manual_clock, processing_seconds=10, rate_limits=FAST)
    client = running.seller()
    old_listing = running.create_report(client, LISTINGS, US)
    manual_clock.advance(1)
    order = running.create_report(client, ORDERS, US)
    manual_clock.advance(1)
    de_listing = running.create_report(client, LISTINGS, DE)
    manual_clock.advance(9)  # the first two are DONE, the last is IN_PROGRESS
    queued = running.create_report(client, LISTINGS, US)

    def ids(**params: str) -> list[str]:
        response = client.get(REPORTS, params=params)
        assert response.status_code == 200, response.text
        return [r["reportId"] for r in response.json()["reports"]]

    # then each filter narrows the list, and the newest comes first
    assert ids(reportTypes=LISTINGS) == [queued, de_listing, old_listing]
    assert ids(reportTypes=f"{LISTINGS},{ORDERS}") == [queued, de_listing, order, old_listing]
    assert ids(reportTypes=LISTINGS, processingStatuses="DONE") == [old_listing]
    assert ids(reportTypes=LISTINGS, processingStatuses="IN_QUEUE,IN_PROGRESS") == [
        queued,
        de_listing,
    ]
    assert ids(reportTypes=LISTINGS, marketplaceIds=DE) == [de_listing]


def test_pagination_with_next_token_lists_every_report_exactly_once(make_simulator, manual_clock):
    # given 23 reports
    running = make_simulator(clock=manual_clock, processing_seconds=0, rate_limits=FAST)
    client = running.seller()
    created = []
    for _ in range(23):
        created.append(running.create_report(client, LISTINGS, US))
        manual_clock.advance(0.5)

    # when they are listed five at a time, following nextToken
    pages = [client.get(REPORTS, params={"reportTypes": LISTINGS, "pageSize": 5}).json()]
    while "nextToken" in pages[-1]:
        pages.append(client.get(REPORTS, params={"nextToken": pages[-1]["nextToken"]}).json())

    # then five pages cover all of them once, newest first
    listed = [r["reportId"] for page in pages for r in page["reports"]]
    assert [len(page["reports"]) for page in pages] == [5, 5, 5, 5, 3]
    assert listed == list(reversed(created))


def test_the_default_page_size_is_ten(make_simulator):
    running = make_simulator(processing_seconds=0, rate_limits=FAST)
    client = running.seller()
    for _ in range(12):
        running.create_report(client, LISTINGS, US)

    page = client.get(REPORTS, params={"reportTypes": LISTINGS}).json()

    assert len(page["reports"]) == 10
    assert "nextToken" in page


def test_a_next_token_must_come_alone_and_be_genuine(make_simulator):
    running = make_simulator(processing_seconds=0, rate_limits=FAST)
    client = running.seller()
    for _ in range(3):
        running.create_report(client, LISTINGS, US)
    token = client.get(REPORTS, params={"reportTypes": LISTINGS, "pageSize": 1}).json()["nextToken"]

    with_others = client.get(REPORTS, params={"nextToken": token, "pageSize": 1})
    forged = client.get(REPORTS, params={"nextToken": "bm90LWEtdG9rZW4="})

    assert with_others.status_code == 400
    assert forged.status_code == 400


def test_reports_older_than_90_days_are_not_listed(make_simulator, manual_clock):
    # given a report created 91 days ago and one created now
    running = make_simulator(clock=manual_clock, processing_seconds=0, rate_limits=FAST)
    client = running.seller()
    running.create_report(client, LISTINGS, US)
    manual_clock.advance(91 * 86400)
    client = running.seller()  # the old access token expired long ago
    recent = running.create_report(client, LISTINGS, US)

    # when listed with the default createdSince
    listed = client.get(REPORTS, params={"reportTypes": LISTINGS}).json()["reports"]

    # then only the recent one is there
    assert [r["reportId"] for r in listed] == [recent]


def test_created_since_further_back_than_90_days_is_rejected(simulator):
    since = (datetime.now(UTC) - timedelta(days=120)).isoformat()

    response = simulator.seller().get(
        REPORTS, params={"reportTypes": LISTINGS, "createdSince": since}
    )

    assert response.status_code == 400
    assert "createdSince" in response.json()["errors"][0]["message"]


def test_created_since_and_until_bound_the_listing(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock, processing_seconds=0, rate_limits=FAST)
    client = running.seller()
    running.create_report(client, LISTINGS, US)
    manual_clock.advance(600)
    middle = running.create_report(client, LISTINGS, US)
    middle_time = client.get(f"{REPORTS}/{middle}").json()["createdTime"]
    manual_clock.advance(600)
    running.create_report(client, LISTINGS, US)

    params = {"reportTypes": LISTINGS, "createdSince": middle_time, "createdUntil": middle_time}
    listed = client.get(REPORTS, params=params).json()["reports"]

    assert [r["reportId"] for r in listed] == [middle]


@pytest.mark.parametrize("markets", [["A1NOTAMARKET"], [US, DE]])
def test_unknown_or_cross_region_marketplaces_are_rejected(simulator, markets):
    response = simulator.seller().post(
        REPORTS, json={"reportType": LISTINGS, "marketplaceIds": markets}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_a_report_schedule_can_be_created_listed_read_and_cancelled(simulator):
    client = simulator.seller()
    body = {"reportType": LISTINGS, "marketplaceIds": [UK], "period": "P1D"}

    created = client.post(SCHEDULES, json=body)
    schedule_id = created.json()["reportScheduleId"]
    listed = client.get(SCHEDULES, params={"reportTypes": LISTINGS}).json()["reportSchedules"]
    read = client.get(f"{SCHEDULES}/{schedule_id}").json()
    cancelled = client.delete(f"{SCHEDULES}/{schedule_id}")

    assert created.status_code == 201
    assert [s["reportScheduleId"] for s in listed] == [schedule_id]
    assert read["period"] == "P1D"
    assert cancelled.status_code == 200
    assert client.get(f"{SCHEDULES}/{schedule_id}").status_code == 404
