"""Token buckets per operation and seller: bursts, refills, 429s and the rate-limit header."""

from __future__ import annotations

REPORTS = "/reports/2021-06-30/reports"
QUOTA_EXCEEDED = {
    "errors": [
        {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
            "details": "",
        }
    ]
}
SELLERS = {"Atzr|first": "A1FIRSTSELLER", "Atzr|second": "A2SECONDSELLER"}


def test_the_burst_is_served_then_429_with_amazons_exact_body(make_simulator, manual_clock):
    # given getReport's default bucket: burst 15
    running = make_simulator(clock=manual_clock)
    client = running.seller()

    # when 16 calls arrive at once
    answers = [client.get(f"{REPORTS}/1") for _ in range(16)]

    # then 15 are served and the 16th is throttled without a rate-limit header
    assert [a.status_code for a in answers[:15]] == [404] * 15
    throttled = answers[15]
    assert throttled.status_code == 429
    assert throttled.json() == QUOTA_EXCEEDED
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    assert throttled.headers["x-amzn-RequestId"]


def test_the_bucket_refills_at_the_operation_rate(make_simulator, manual_clock):
    # given an exhausted createReport bucket of 2 tokens refilling at 0.5 per second
    running = make_simulator(clock=manual_clock, rate_limits={"createReport": (0.5, 2)})
    client = running.seller()
    body = {"reportType": "GET_X", "marketplaceIds": ["ATVPDKIKX0DER"]}
    assert [client.post(REPORTS, json=body).status_code for _ in range(3)] == [202, 202, 429]

    # when one second passes, half a token is back; after two, a whole one
    manual_clock.advance(1)
    after_one = client.post(REPORTS, json=body).status_code
    manual_clock.advance(2)
    after_three = [client.post(REPORTS, json=body).status_code for _ in range(2)]

    # then
    assert after_one == 429
    assert after_three == [202, 429]


def test_successes_carry_the_operations_rate_limit(simulator):
    client = simulator.seller()

    created = client.post(
        REPORTS, json={"reportType": "GET_X", "marketplaceIds": ["ATVPDKIKX0DER"]}
    )
    fetched = client.get(f"{REPORTS}/{created.json()['reportId']}")
    listed = client.get(REPORTS, params={"reportTypes": "GET_X"})
    destinations = simulator.grantless().get("/notifications/v1/destinations")

    assert created.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert fetched.headers["x-amzn-RateLimit-Limit"] == "2.0"
    assert listed.headers["x-amzn-RateLimit-Limit"] == "0.0222"
    assert destinations.headers["x-amzn-RateLimit-Limit"] == "1.0"


def test_a_bad_request_carries_the_rate_limit_too(simulator):
    response = simulator.seller().get(REPORTS, params={"reportTypes": "GET_X", "pageSize": 0})

    assert response.status_code == 400
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.0222"


def test_each_seller_has_its_own_bucket(make_simulator, manual_clock):
    # given the first seller used up getReports (burst 10)
    running = make_simulator(clock=manual_clock, sellers=SELLERS)
    first, second = running.seller("Atzr|first"), running.seller("Atzr|second")
    params = {"reportTypes": "GET_X"}
    assert [first.get(REPORTS, params=params).status_code for _ in range(11)][-1] == 429

    # when the second seller calls the same operation
    response = second.get(REPORTS, params=params)

    # then it is served from its own bucket
    assert response.status_code == 200


def test_each_operation_has_its_own_bucket(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock)
    client = running.seller()
    params = {"reportTypes": "GET_X"}
    assert [client.get(REPORTS, params=params).status_code for _ in range(11)][-1] == 429

    assert client.get(f"{REPORTS}/1").status_code == 404


def test_calls_and_429s_are_counted_per_operation(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock)
    client = running.seller()

    for _ in range(16):
        client.get(f"{REPORTS}/1")

    assert running.sim.calls["getReport"] == 16
    assert running.sim.throttled["getReport"] == 1


def test_generated_reports_finish_by_themselves_and_are_listed(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock, processing_seconds=1.0)
    settlement = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

    ids = running.sim.generate(running.seller_id, settlement, ("ATVPDKIKX0DER",), 3)
    manual_clock.advance(2)

    listed = running.seller().get(REPORTS, params={"reportTypes": settlement}).json()["reports"]
    assert sorted(r["reportId"] for r in listed) == sorted(ids)
    assert {r["processingStatus"] for r in listed} == {"DONE"}
