"""Data Kiosk API 2023-11-15 on the simulator: queries, concurrency, pages, documents, notices."""

from __future__ import annotations

import gzip
import json
import re
import time

import httpx
import pytest

from sandbox.settings import DEMO_VENDOR_MARKETPLACE, DEMO_VENDOR_REFRESH_TOKEN

QUERIES = "/dataKiosk/2023-11-15/queries"
DOCUMENTS = "/dataKiosk/2023-11-15/documents"
SALES = "analytics_salesAndTraffic_2024_04_24"
ECONOMICS = "analytics_economics_2024_03_15"
BY_ASIN = (
    "query {analytics_salesAndTraffic_2024_04_24 {salesAndTrafficByAsin(aggregateBy:CHILD,"
    'endDate:"2025-06-06",startDate:"2025-03-01",marketplaceIds:["ATVPDKIKX0DER"]) '
    "{sales {orderedProductSales {amount currencyCode} totalOrderItems unitsOrdered} "
    "traffic {pageViews buyBoxPercentage} sku childAsin}}}"
)
ECONOMICS_QUERY = (
    'query { analytics_economics_2024_03_15 { economics( marketplaceIds: ["ATVPDKIKX0DER"], '
    'startDate: "2025-06-01", endDate: "2025-06-05", aggregateBy: { date: DAY, productId: MSKU }'
    " ) { startDate msku netProceeds { total { amount currencyCode } } } } }"
)
FAST = {op: (100.0, 100) for op in ("createQuery", "getQuery", "getQueries", "getDocument")}


def _create(client: httpx.Client, query: str = BY_ASIN, **body: str) -> str:
    response = client.post(QUERIES, json={"query": query, **body})
    assert response.status_code == 202, response.text
    return str(response.json()["queryId"])


def _status(client: httpx.Client, query_id: str) -> dict:
    response = client.get(f"{QUERIES}/{query_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _wait(client: httpx.Client, query_id: str) -> dict:
    for _ in range(200):
        query = _status(client, query_id)
        if query["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            return query
        time.sleep(0.02)
    raise AssertionError(f"query {query_id} never finished: {query}")


def _download(running, client: httpx.Client, document_id: str) -> httpx.Response:
    response = client.get(f"{DOCUMENTS}/{document_id}")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"documentId", "documentUrl"}
    return running.http.get(response.json()["documentUrl"])


def test_a_query_goes_from_in_queue_through_in_progress_to_done(make_simulator, manual_clock):
    # given a query that takes 10 simulated seconds
    running = make_simulator(clock=manual_clock, processing_seconds=10)
    client = running.seller()

    # when it is created and watched as time passes
    query_id = _create(client)
    seen = [_status(client, query_id)]
    for step in (6, 5):
        manual_clock.advance(step)
        seen.append(_status(client, query_id))

    # then it moves through every state, unwrapped as the model says, and names its document
    assert re.fullmatch(r"\d{11}", query_id)
    assert [q["processingStatus"] for q in seen] == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    done = seen[-1]
    assert done["query"] == BY_ASIN
    assert done["dataDocumentId"].startswith("amzn1.tortuga.")
    assert done["processingStartTime"] <= done["processingEndTime"]
    assert "dataDocumentId" not in seen[1]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("query { nope", "Syntax Error"),
        (BY_ASIN.replace("childAsin", "childAsn"), "Cannot query field 'childAsn'"),
        ("query { analytics_unknown_2020_01_01 { x } }", "select exactly one dataset"),
        (BY_ASIN + " " * 9000, None),  # whitespace does not count against the limit
    ],
)
def test_a_query_is_parsed_and_validated_against_its_dataset_schema(simulator, query, problem):
    response = simulator.seller().post(QUERIES, json={"query": query})

    if problem is None:
        assert response.status_code == 202
    else:
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["code"] == "InvalidInput"
        assert problem in error["message"]


def test_a_query_over_8000_characters_is_rejected(simulator):
    aliases = " ".join(f"a{i}: sku" for i in range(900))
    too_long = BY_ASIN.replace("childAsin}", f"childAsin {aliases}}}")

    response = simulator.seller().post(QUERIES, json={"query": too_long})

    assert response.status_code == 400
    assert "8000 characters" in response.json()["errors"][0]["message"]


def test_a_body_outside_the_model_is_rejected(simulator):
    response = simulator.seller().post(QUERIES, json={"queryText": BY_ASIN})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_queries_beyond_the_concurrency_limit_wait_in_queue_until_a_slot_frees(
    make_simulator, manual_clock
):
    # given at most two processing queries per partner
    running = make_simulator(
        clock=manual_clock, processing_seconds=10, kiosk_concurrency=2, rate_limits=FAST
    )
    client = running.seller()

    # when three are created at once
    ids = [_create(client) for _ in range(3)]
    manual_clock.advance(6)
    while_two_run = [_status(client, i)["processingStatus"] for i in ids]
    manual_clock.advance(5)
    after_they_finish = [_status(client, i)["processingStatus"] for i in ids]
    manual_clock.advance(5)
    at_last = [_status(client, i) for i in ids]

    # then the third waits IN_QUEUE, starts when a slot frees, and finishes after it
    assert while_two_run == ["IN_PROGRESS", "IN_PROGRESS", "IN_QUEUE"]
    assert after_they_finish == ["DONE", "DONE", "IN_PROGRESS"]
    assert [q["processingStatus"] for q in at_last] == ["DONE"] * 3
    assert at_last[2]["processingStartTime"] >= at_last[0]["processingEndTime"]


@pytest.mark.parametrize("simulator", [{"rate_limits": FAST}], indirect=True)
def test_a_document_is_jsonl_shaped_by_the_selection_set_and_gzip_by_content_encoding(
    simulator,
):
    client = simulator.seller()
    done = _wait(client, _create(client))

    download = _download(simulator, client, done["dataDocumentId"])
    again = _download(simulator, client, done["dataDocumentId"])

    assert download.headers["Content-Encoding"] == "gzip"
    records = [json.loads(line) for line in download.text.splitlines()]
    assert len(records) == 5
    for record in records:
        assert set(record) == {"sales", "traffic", "sku", "childAsin"}
        assert set(record["sales"]) == {"orderedProductSales", "totalOrderItems", "unitsOrdered"}
        assert isinstance(record["sales"]["unitsOrdered"], int)
        assert isinstance(record["traffic"]["buyBoxPercentage"], float)
        assert record["sales"]["orderedProductSales"]["currencyCode"] in {"USD", "EUR", "GBP"}
    assert again.content == download.content  # deterministic per query


def test_records_fall_on_the_days_and_in_the_marketplaces_asked_for(simulator):
    client = simulator.seller()
    query = ECONOMICS_QUERY.replace('["ATVPDKIKX0DER"]', '["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]')
    query = query.replace("startDate msku", "startDate marketplaceId msku")
    done = _wait(client, _create(client, query))

    records = [
        json.loads(line)
        for line in _download(simulator, client, done["dataDocumentId"]).text.splitlines()
    ]

    assert {r["startDate"] for r in records} <= {f"2025-06-0{d}" for d in range(1, 6)}
    assert len({r["startDate"] for r in records}) == min(len(records), 5)
    assert {r["marketplaceId"] for r in records} <= {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}


def test_amounts_are_in_the_marketplace_currency_or_the_one_asked_for(simulator):
    # given a seller's query over US and CA, and a vendor's with no marketplaceIds argument
    seller = simulator.seller()
    sales = ECONOMICS_QUERY.replace('["ATVPDKIKX0DER"]', '["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]')
    sales = sales.replace("startDate msku", "startDate marketplaceId msku")
    vendor = simulator.seller(DEMO_VENDOR_REFRESH_TOKEN)
    view = (
        "query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(aggregateBy: DAY, "
        'startDate: "2025-06-01", endDate: "2025-06-07"CURRENCY) { startDate marketplaceId '
        "totals { orders { netOrderedGMS { amount currencyCode } } } } } }"
    )

    def records(client: httpx.Client, query: str) -> list[dict]:
        done = _wait(client, _create(client, query))
        text = _download(simulator, client, done["dataDocumentId"]).text
        return [json.loads(line) for line in text.splitlines()]

    # when their documents are read
    priced = records(seller, sales)
    vendor_default = records(vendor, view.replace("CURRENCY", ""))
    vendor_eur = records(vendor, view.replace("CURRENCY", ', currencyCode: "EUR"'))

    # then a seller's amounts follow each record's marketplace, and a vendor's stay in its own
    # marketplace, in USD unless another currency is asked for
    currencies = {"ATVPDKIKX0DER": "USD", "A2EUQ1WTGCTBG2": "CAD"}
    assert all(
        r["netProceeds"]["total"]["currencyCode"] == currencies[r["marketplaceId"]] for r in priced
    )
    assert {r["marketplaceId"] for r in vendor_default + vendor_eur} == {DEMO_VENDOR_MARKETPLACE}
    gms = [r["totals"]["orders"]["netOrderedGMS"]["currencyCode"] for r in vendor_default]
    assert set(gms) == {"USD"}
    gms = [r["totals"]["orders"]["netOrderedGMS"]["currencyCode"] for r in vendor_eur]
    assert set(gms) == {"EUR"}


def test_the_raw_download_is_gzip_bytes(simulator):
    client = simulator.seller()
    done = _wait(client, _create(client, ECONOMICS_QUERY))
    url = client.get(f"{DOCUMENTS}/{done['dataDocumentId']}").json()["documentUrl"]

    with simulator.http.stream("GET", url) as response:
        raw = b"".join(response.iter_raw())

    first = json.loads(gzip.decompress(raw).decode().splitlines()[0])
    assert set(first) == {"startDate", "msku", "netProceeds"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["startDate"])


def test_a_query_yields_pages_followed_by_creating_it_again_with_the_token(make_simulator):
    running = make_simulator(kiosk_pages=3, rate_limits=FAST)
    client = running.seller()

    pages = [_wait(client, _create(client))]
    while "pagination" in pages[-1]:
        token = pages[-1]["pagination"]["nextToken"]
        pages.append(_wait(client, _create(client, paginationToken=token)))

    assert len(pages) == 3
    assert all(p["processingStatus"] == "DONE" and "dataDocumentId" in p for p in pages)
    bodies = [_download(running, client, p["dataDocumentId"]).text for p in pages]
    assert len(set(bodies)) == 3


def test_each_page_goes_on_where_the_last_one_left(make_simulator):
    running = make_simulator(kiosk_pages=2, rate_limits=FAST)
    client = running.seller()
    query = ECONOMICS_QUERY.replace('"2025-06-05"', '"2025-06-10"')  # 10 days, 5 records a page

    first = _wait(client, _create(client, query))
    second = _wait(client, _create(client, query, paginationToken=first["pagination"]["nextToken"]))

    days = [
        [
            json.loads(line)["startDate"]
            for line in _download(running, client, page["dataDocumentId"]).text.splitlines()
        ]
        for page in (first, second)
    ]
    assert days == [
        [f"2025-06-{d:02d}" for d in range(1, 6)],
        [f"2025-06-{d:02d}" for d in range(6, 11)],
    ]


def test_pages_of_a_query_over_several_marketplaces_never_repeat_a_day_and_marketplace(
    make_simulator,
):
    # given 7 days in two marketplaces (14 pairs) in two pages of 5 records, as make demo asks
    running = make_simulator(kiosk_pages=2, rate_limits=FAST)
    client = running.seller()
    query = (
        ECONOMICS_QUERY.replace('"2025-06-05"', '"2025-06-07"')
        .replace('["ATVPDKIKX0DER"]', '["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]')
        .replace("startDate msku", "startDate marketplaceId msku")
    )

    # when both pages are fetched
    first = _wait(client, _create(client, query))
    second = _wait(client, _create(client, query, paginationToken=first["pagination"]["nextToken"]))
    pairs = [
        (record["startDate"], record["marketplaceId"])
        for page in (first, second)
        for record in map(
            json.loads, _download(running, client, page["dataDocumentId"]).text.splitlines()
        )
    ]

    # then each record is a pair asked for, and no pair comes twice
    assert len(pairs) == 10
    assert len(set(pairs)) == 10
    assert {m for _, m in pairs} == {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
    assert all("2025-06-01" <= d <= "2025-06-07" for d, _ in pairs)


def test_an_unknown_pagination_token_is_rejected(simulator):
    response = simulator.seller().post(
        QUERIES, json={"query": BY_ASIN, "paginationToken": "no-such-token"}
    )

    assert response.status_code == 400
    assert "paginationToken" in response.json()["errors"][0]["message"]


def test_a_dataset_switched_to_no_data_ends_done_without_a_document(simulator):
    simulator.sim.kiosk_switches.no_data.add(SALES)
    client = simulator.seller()

    done = _wait(client, _create(client))

    assert done["processingStatus"] == "DONE"
    assert not {"dataDocumentId", "errorDocumentId", "pagination"} & set(done)


@pytest.mark.parametrize("simulator", [{"rate_limits": FAST}], indirect=True)
def test_a_dataset_switched_to_fatal_ends_with_an_error_document(simulator):
    simulator.sim.kiosk_switches.fatal.add(ECONOMICS)
    client = simulator.seller()

    fatal = _wait(client, _create(client, ECONOMICS_QUERY))
    error = _download(simulator, client, fatal["errorDocumentId"])

    assert fatal["processingStatus"] == "FATAL"
    assert "dataDocumentId" not in fatal
    assert "errorMessage" in error.json()


def test_a_queued_query_is_cancelled_and_cancelling_again_is_a_no_op(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock, processing_seconds=10)
    client = running.seller()
    query_id = _create(client)

    first = client.delete(f"{QUERIES}/{query_id}")
    second = client.delete(f"{QUERIES}/{query_id}")
    manual_clock.advance(20)

    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 204
    assert _status(client, query_id)["processingStatus"] == "CANCELLED"


def test_a_finished_query_cannot_be_cancelled(simulator):
    client = simulator.seller()
    query_id = _wait(client, _create(client))["queryId"]

    response = client.delete(f"{QUERIES}/{query_id}")

    assert response.status_code == 400


def test_unknown_queries_and_documents_are_not_found(simulator):
    client = simulator.seller()

    assert client.get(f"{QUERIES}/12345678901").status_code == 404
    assert client.get(f"{DOCUMENTS}/amzn1.tortuga.4.na.nothing").status_code == 404


@pytest.mark.parametrize("simulator", [{"rate_limits": FAST}], indirect=True)
def test_get_queries_filters_by_status_and_pages_with_a_token(simulator):
    simulator.sim.kiosk_switches.fatal.add(ECONOMICS)
    client = simulator.seller()
    done = [_wait(client, _create(client))["queryId"] for _ in range(3)]
    _wait(client, _create(client, ECONOMICS_QUERY))

    first = client.get(QUERIES, params={"processingStatuses": "DONE", "pageSize": 2}).json()
    token = first["pagination"]["nextToken"]
    second = client.get(QUERIES, params={"paginationToken": token}).json()

    listed = [q["queryId"] for q in first["queries"] + second["queries"]]
    assert listed == list(reversed(done))
    assert "pagination" not in second


def test_the_data_kiosk_rate_limits_are_amazons_defaults(simulator):
    client = simulator.seller()
    query_id = _create(client)

    created = client.get(f"{QUERIES}/{query_id}")
    burst = [client.post(QUERIES, json={"query": BY_ASIN}).status_code for _ in range(15)]

    assert created.headers["x-amzn-RateLimit-Limit"] == "2.0"
    assert burst.count(429) == 1  # 15 of burst, one already spent


@pytest.mark.parametrize("simulator", [{"rate_limits": FAST}], indirect=True)
def test_a_subscribed_partner_gets_the_flat_notification_for_each_outcome(simulator):
    # given a DATA_KIOSK_QUERY_PROCESSING_FINISHED subscription
    from sandbox.datakiosk import QUERY_FINISHED

    destination = simulator.grantless().post(
        "/notifications/v1/destinations",
        json={"name": "lake", "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:x:1:q"}}},
    )
    client = simulator.seller()
    subscribed = client.post(
        f"/notifications/v1/subscriptions/{QUERY_FINISHED}",
        json={
            "payloadVersion": "2023-11-15",
            "destinationId": destination.json()["payload"]["destinationId"],
        },
    )
    assert subscribed.status_code == 200, subscribed.text

    # when one query pages, one has no data and one fails
    paged = _wait(client, _create(client))
    simulator.sim.kiosk_switches.no_data.add(SALES)
    empty = _wait(client, _create(client))
    simulator.sim.kiosk_switches.fatal.add(ECONOMICS)
    fatal = _wait(client, _create(client, ECONOMICS_QUERY))

    # then each is notified with the flat payload (validated against Amazon's schema on send)
    payloads = {m["payload"]["queryId"]: m["payload"] for m in simulator.sim.kiosk_notifications}
    assert payloads[paged["queryId"]]["pagination"] == paged["pagination"]
    assert payloads[paged["queryId"]]["dataDocumentId"] == paged["dataDocumentId"]
    assert payloads[paged["queryId"]]["accountId"] == f"amzn1.merchant.o.{simulator.seller_id}"
    assert payloads[paged["queryId"]]["query"] == BY_ASIN
    assert set(payloads[empty["queryId"]]) == {"accountId", "queryId", "query", "processingStatus"}
    assert payloads[fatal["queryId"]]["errorDocumentId"] == fatal["errorDocumentId"]
    assert all(m["notificationType"] == QUERY_FINISHED for m in simulator.sim.kiosk_notifications)


def test_without_a_subscription_nothing_is_notified(simulator):
    client = simulator.seller()

    _wait(client, _create(client))

    assert simulator.sim.kiosk_notifications == []


def test_a_document_url_expires_after_five_minutes(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock, processing_seconds=0)
    client = running.seller()
    done = _status(client, _create(client))
    url = client.get(f"{DOCUMENTS}/{done['dataDocumentId']}").json()["documentUrl"]

    fresh = running.http.get(url)
    manual_clock.advance(301)
    stale = running.http.get(url)

    assert fresh.status_code == 200
    assert stale.status_code == 403
    assert "<Code>AccessDenied</Code>" in stale.text
