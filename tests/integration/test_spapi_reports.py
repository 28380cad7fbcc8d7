"""The Reports adapter and LWA against the simulator over real loopback HTTP."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.errors import (
    InvalidClientError,
    InvalidGrantError,
    ReportNotFoundError,
    SpApiServerError,
    ThrottledError,
)
from domain.model import ReportRequest, ReportStatus
from tests.integration.spapi_wiring import wait_for, wire

MARKETPLACE = "A1PA6795UKMFR9"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
# Generous limits on both sides, so fault tests spend milliseconds waiting for buckets.
FAST_LIMITS = {"getReport": (100.0, 15), "createReport": (100.0, 15), "getReports": (100.0, 10)}


def request(seller_id: str, report_type: str = REPORT_TYPE) -> ReportRequest:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return ReportRequest(seller_id, report_type, (MARKETPLACE,), end - timedelta(days=1), end)


def test_a_report_goes_from_create_to_a_downloadable_document(make_simulator: Any) -> None:
    simulator = make_simulator(processing_seconds=0.2)
    api = wire(simulator).reports

    report_id = api.create_report(request(simulator.seller_id))
    report = wait_for(
        lambda: api.get_report(simulator.seller_id, report_id), lambda r: r.status.terminal
    )
    document = api.get_report_document(simulator.seller_id, report.document_id or "")
    download = httpx.get(document.url)

    assert report.status is ReportStatus.DONE
    assert report.report_type == REPORT_TYPE
    assert report.marketplace_ids == (MARKETPLACE,)
    assert report.created_time.tzinfo is not None
    assert document.document_id == report.document_id
    assert download.status_code == 200
    text = gzip.decompress(download.content) if document.gzipped else download.content
    assert len(text.splitlines()) > 1


def test_a_queued_report_can_be_cancelled(make_simulator: Any) -> None:
    simulator = make_simulator(processing_seconds=600)
    api = wire(simulator).reports
    report_id = api.create_report(request(simulator.seller_id))

    api.cancel_report(simulator.seller_id, report_id)

    assert api.get_report(simulator.seller_id, report_id).status is ReportStatus.CANCELLED


def test_get_reports_follows_every_page(make_simulator: Any) -> None:
    simulator = make_simulator(processing_seconds=600)
    wired = wire(simulator, page_size=2)
    created = {wired.reports.create_report(request(simulator.seller_id)) for _ in range(5)}

    found = list(wired.reports.get_reports(simulator.seller_id, report_types=[REPORT_TYPE]))

    assert {r.report_id for r in found} >= created
    pages = [e for e in wired.transport.api_calls() if e.method == "GET"]
    assert len(pages) == 3
    assert all(set(page.query) == {"nextToken"} for page in pages[1:])


def test_a_throttle_storm_is_ridden_out(make_simulator: Any) -> None:
    simulator = make_simulator(processing_seconds=0.2, rate_limits=FAST_LIMITS)
    wired = wire(simulator, limits=FAST_LIMITS)
    report_id = wired.reports.create_report(request(simulator.seller_id))
    simulator.sim.faults.throttle_storm = 3

    report = wired.reports.get_report(simulator.seller_id, report_id)

    assert report.report_id == report_id
    statuses = [e.status for e in wired.transport.api_calls()]
    assert statuses == [202, 429, 429, 429, 200]


def test_a_throttle_storm_longer_than_the_retries_is_a_throttled_error(
    make_simulator: Any,
) -> None:
    simulator = make_simulator(rate_limits=FAST_LIMITS)
    wired = wire(simulator, limits=FAST_LIMITS)
    simulator.sim.faults.throttle_storm = 50

    with pytest.raises(ThrottledError) as caught:
        wired.reports.get_report(simulator.seller_id, "123")

    assert caught.value.code == "QuotaExceeded"
    assert caught.value.request_id == wired.transport.api_calls()[-1].request_id
    assert len(wired.transport.api_calls()) == 5


def test_server_errors_are_retried(make_simulator: Any) -> None:
    simulator = make_simulator(processing_seconds=0.2, rate_limits=FAST_LIMITS)
    wired = wire(simulator, limits=FAST_LIMITS)
    simulator.sim.faults.server_errors = 2

    report_id = wired.reports.create_report(request(simulator.seller_id))

    assert report_id
    assert [e.status for e in wired.transport.api_calls()] == [500, 503, 202]


def test_lwa_server_errors_are_retried(simulator: Any) -> None:
    wired = wire(simulator)
    simulator.sim.faults.lwa_errors = 2

    assert wired.tokens.for_seller(simulator.seller_id)
    assert [e.status for e in wired.transport.token_calls()] == [500, 500, 200]


def test_persistent_server_errors_end_in_a_server_error(make_simulator: Any) -> None:
    simulator = make_simulator(rate_limits=FAST_LIMITS)
    wired = wire(simulator, limits=FAST_LIMITS)
    simulator.sim.faults.server_errors = 50

    with pytest.raises(SpApiServerError) as caught:
        wired.reports.get_report(simulator.seller_id, "123")

    assert caught.value.operation == "getReport"
    assert caught.value.request_id


def test_a_revoked_refresh_token_fails_fast(simulator: Any) -> None:
    wired = wire(simulator)
    simulator.sim.faults.revoked_refresh_tokens.add(simulator.refresh_token)

    with pytest.raises(InvalidGrantError) as caught:
        wired.reports.get_report(simulator.seller_id, "123")

    assert len(wired.transport.token_calls()) == 1
    assert wired.transport.api_calls() == []
    assert simulator.refresh_token not in str(caught.value)
    assert simulator.client_secret not in str(caught.value)


def test_a_wrong_client_secret_fails_fast(simulator: Any) -> None:
    wired = wire(simulator, client_secret="amzn1.oa2-cs.v1.wrong")

    with pytest.raises(InvalidClientError) as caught:
        wired.notifications.get_destinations()

    assert len(wired.transport.token_calls()) == 1
    assert "wrong" not in str(caught.value)


def test_an_unknown_report_is_not_found_with_amazons_request_id(simulator: Any) -> None:
    wired = wire(simulator)

    with pytest.raises(ReportNotFoundError) as caught:
        wired.reports.get_report(simulator.seller_id, "999")

    assert caught.value.request_id == wired.transport.api_calls()[-1].request_id


def test_the_limiter_adopts_the_rate_limit_header(make_simulator: Any) -> None:
    simulator = make_simulator(rate_limits={"getReport": (0.5, 15)})
    wired = wire(simulator)

    with pytest.raises(ReportNotFoundError):
        wired.reports.get_report(simulator.seller_id, "999")

    assert wired.limiter.bucket("getReport", simulator.seller_id).rate == 0.5
