"""Contract: every request the adapters send, and every answer, fits Amazon's official models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import ConflictError
from domain.model import ReportStatus
from sandbox.clock import ManualClock
from sandbox.contract import find_operation, validate_request, validate_response
from tests.integration.spapi_wiring import Exchange, wire
from tests.integration.test_spapi_reports import REPORT_TYPE, request

ARN = "arn:aws:sqs:us-east-1:123456789012:spapi-lake"
OPERATIONS = {
    "createReport",
    "getReport",
    "getReports",
    "cancelReport",
    "getReportDocument",
    "getDestinations",
    "createDestination",
    "getSubscription",
    "createSubscription",
}


def exercise_every_operation(simulator: Any, clock: ManualClock) -> list[Exchange]:
    wired = wire(simulator, page_size=2)
    reports, notifications = wired.reports, wired.notifications
    seller = simulator.seller_id
    # The simulator's clock stands still, so the reports stay IN_QUEUE (the only state that can
    # be cancelled) until the clock is moved on; then the others are DONE.
    created = [reports.create_report(request(seller)) for _ in range(3)]
    reports.cancel_report(seller, created[0])
    clock.advance(60)
    done = reports.get_report(seller, created[1])
    assert done.status is ReportStatus.DONE
    reports.get_report_document(seller, done.document_id or "")
    list(
        reports.get_reports(
            seller,
            report_types=[REPORT_TYPE, "GET_FLAT_FILE_OPEN_LISTINGS_DATA"],
            statuses=[ReportStatus.DONE, ReportStatus.IN_QUEUE, ReportStatus.CANCELLED],
            marketplace_ids=["A1PA6795UKMFR9"],
            created_since=datetime.now(UTC) - timedelta(days=1),
        )
    )
    destination = notifications.create_destination("spapi-lake", ARN)
    with pytest.raises(ConflictError):
        notifications.create_destination("spapi-lake", ARN)
    notifications.get_destinations()
    notifications.get_subscription(seller, "REPORT_PROCESSING_FINISHED")
    notifications.create_subscription(
        seller, "REPORT_PROCESSING_FINISHED", destination.destination_id
    )
    notifications.get_subscription(seller, "REPORT_PROCESSING_FINISHED")
    return wired.transport.api_calls()


def test_every_request_fits_the_official_models(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    simulator = make_simulator(processing_seconds=1.0, clock=manual_clock)

    exchanges = exercise_every_operation(simulator, manual_clock)

    seen = set()
    for exchange in exchanges:
        found = find_operation(exchange.method, exchange.path)
        assert found is not None, f"{exchange.method} {exchange.path} is in no model"
        operation_id = found[0].operation_id
        validate_request(
            operation_id, exchange.method, exchange.path, exchange.query, exchange.json
        )
        seen.add(operation_id)
    assert seen == OPERATIONS
    assert any(set(e.query) == {"nextToken"} for e in exchanges)  # pagination was exercised


def test_every_answer_we_parsed_fits_the_official_models(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    simulator = make_simulator(processing_seconds=1.0, clock=manual_clock)

    exchanges = exercise_every_operation(simulator, manual_clock)

    for exchange in exchanges:
        found = find_operation(exchange.method, exchange.path)
        assert found is not None
        validate_response(found[0].operation_id, exchange.status, exchange.response)
    assert {e.status for e in exchanges} >= {200, 202, 404, 409}
