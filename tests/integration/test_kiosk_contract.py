"""Contract: every Data Kiosk request SpApiKioskApi sends, and every answer it parsed, fits
Amazon's model dataKiosk_2023-11-15.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.http_retry import Retrying
from adapters.spapi_client import SpApiClient
from adapters.spapi_datakiosk import SpApiKioskApi
from domain.datakiosk.model import QueryStatus
from sandbox.clock import ManualClock
from sandbox.contract import find_operation, validate_request, validate_response
from sandbox.swagger import DATAKIOSK_MODEL, load
from tests.integration.spapi_wiring import FAST_RETRIES, Exchange, wire

BY_ASIN = (
    "query {analytics_salesAndTraffic_2024_04_24 {salesAndTrafficByAsin(aggregateBy:CHILD,"
    'endDate:"2025-06-06",startDate:"2025-03-01",marketplaceIds:["ATVPDKIKX0DER"]) '
    "{sales {unitsOrdered} sku childAsin}}}"
)
MODEL_OPERATIONS = {
    spec["operationId"]
    for item in load(DATAKIOSK_MODEL)["paths"].values()
    for method, spec in item.items()
    if isinstance(spec, dict) and "operationId" in spec
}


def exercise_every_operation(simulator: Any, clock: ManualClock) -> list[Exchange]:
    """Every call SpApiKioskApi makes, through the production client, on the simulator."""
    wired = wire(simulator)
    client = SpApiClient(
        wired.http,
        wired.tokens,
        simulator.url,
        limiter=wired.limiter,
        retrying=Retrying(FAST_RETRIES),
    )
    kiosk = SpApiKioskApi(client, page_size=2)
    seller = simulator.seller_id
    # The clock stands still: the queries stay IN_QUEUE (which can be cancelled) until it moves.
    created = [kiosk.create_query(seller, BY_ASIN) for _ in range(3)]
    kiosk.cancel_query(seller, created[2])
    clock.advance(60)
    done = kiosk.get_query(seller, created[0])
    assert done.status is QueryStatus.DONE
    assert done.next_token is not None  # the simulator pages every query
    kiosk.create_query(seller, done.query, pagination_token=done.next_token)
    kiosk.get_document(seller, done.data_document_id or "")
    now = datetime.fromtimestamp(clock(), UTC)
    listed = list(
        kiosk.get_queries(
            seller,
            statuses=[QueryStatus.DONE, QueryStatus.CANCELLED],
            created_since=now - timedelta(days=1),
            created_until=now,
        )
    )
    assert {q.query_id for q in listed} == set(created)  # three, two to a page
    list(kiosk.get_queries(seller))
    return wired.transport.api_calls()


def _operation(exchange: Exchange) -> str:
    found = find_operation(exchange.method, exchange.path)
    assert found is not None, f"{exchange.method} {exchange.path} is in no model"
    return found[0].operation_id


def test_every_request_fits_the_data_kiosk_model(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    simulator = make_simulator(processing_seconds=1.0, clock=manual_clock)

    exchanges = exercise_every_operation(simulator, manual_clock)

    for exchange in exchanges:
        validate_request(
            _operation(exchange), exchange.method, exchange.path, exchange.query, exchange.json
        )
    assert {_operation(e) for e in exchanges} == MODEL_OPERATIONS
    creates = [e.json for e in exchanges if _operation(e) == "createQuery"]
    assert [set(body) for body in creates][-2:] == [{"query"}, {"query", "paginationToken"}]
    listings = [e.query for e in exchanges if _operation(e) == "getQueries"]
    assert {"processingStatuses", "createdSince", "createdUntil"} <= set(listings[0])
    assert listings[0]["processingStatuses"] == ["DONE,CANCELLED"]


def test_a_next_page_of_get_queries_repeats_every_other_parameter(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    # The model: "all other parameters must be provided unchanged", pageSize excepted.
    simulator = make_simulator(processing_seconds=1.0, clock=manual_clock)

    exchanges = exercise_every_operation(simulator, manual_clock)

    first, second = [e.query for e in exchanges if _operation(e) == "getQueries"][:2]
    assert "paginationToken" in second
    assert {k: v for k, v in second.items() if k != "paginationToken"} == first


def test_every_answer_the_client_parsed_fits_the_data_kiosk_model(
    make_simulator: Any, manual_clock: ManualClock
) -> None:
    simulator = make_simulator(processing_seconds=1.0, clock=manual_clock)

    exchanges = exercise_every_operation(simulator, manual_clock)

    for exchange in exchanges:
        validate_response(_operation(exchange), exchange.status, exchange.response)
    assert {e.status for e in exchanges} >= {200, 202, 204}
