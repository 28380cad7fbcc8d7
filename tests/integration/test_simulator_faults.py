"""Fault switches: FATAL and CANCELLED outcomes, 5xx, 429 storms, broken and expired downloads."""

from __future__ import annotations

import gzip
import json
import threading
import zlib

import httpx
import pytest

REPORTS = "/reports/2021-06-30/reports"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SALES = "GET_SALES_AND_TRAFFIC_REPORT"
QUOTA_EXCEEDED = {
    "errors": [
        {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
            "details": "",
        }
    ]
}


@pytest.fixture
def running(make_simulator):
    return make_simulator(processing_seconds=0)


def _finished(running, report_type: str) -> dict:
    client = running.seller()
    return running.wait_for_report(client, running.create_report(client, report_type))


def _download(running, document_id: str) -> httpx.Response:
    return running.http.get(running.document_url(running.seller(), document_id))


def test_a_fatal_flat_file_report_explains_itself_in_a_text_document(running):
    running.sim.faults.fatal.add(LISTINGS)

    report = _finished(running, LISTINGS)
    download = _download(running, report["reportDocumentId"])

    assert report["processingStatus"] == "FATAL"
    assert download.headers["content-type"].startswith("text/plain")
    assert "could not be generated" in gzip.decompress(download.content).decode("utf-8")


def test_a_fatal_json_report_explains_itself_in_json(running):
    running.sim.faults.fatal.add(SALES)

    report = _finished(running, SALES)
    body = json.loads(gzip.decompress(_download(running, report["reportDocumentId"]).content))

    assert report["processingStatus"] == "FATAL"
    assert "could not be generated" in body["errorDetails"]


def test_a_fatal_report_may_have_no_document(running):
    running.sim.faults.fatal_without_document.add(LISTINGS)

    report = _finished(running, LISTINGS)

    assert report["processingStatus"] == "FATAL"
    assert "reportDocumentId" not in report


def test_a_cancelled_report_has_no_document(running):
    running.sim.faults.cancelled.add(LISTINGS)

    report = _finished(running, LISTINGS)

    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


def test_other_report_types_are_unaffected_by_outcome_faults(running):
    running.sim.faults.fatal.add(SALES)

    assert _finished(running, LISTINGS)["processingStatus"] == "DONE"


def test_server_errors_answer_500_then_503_with_amazons_body_then_recover(running):
    client = running.seller()
    running.sim.faults.server_errors = 2

    answers = [client.get(f"{REPORTS}/1") for _ in range(3)]

    assert [a.status_code for a in answers] == [500, 503, 404]
    assert answers[0].json()["errors"][0]["code"] == "InternalFailure"
    assert answers[1].json()["errors"][0]["code"] == "ServiceUnavailable"
    assert all(a.headers["x-amzn-RequestId"] for a in answers)


def test_server_errors_spare_lwa_and_downloads(running):
    report = _finished(running, LISTINGS)
    url = running.document_url(running.seller(), report["reportDocumentId"])
    running.sim.faults.server_errors = 5

    token = running.lwa(grant_type="refresh_token", refresh_token=running.refresh_token)

    assert token.status_code == 200
    assert running.http.get(url).status_code == 200
    assert running.sim.faults.server_errors == 5


def test_a_throttle_storm_answers_429_with_the_exact_body_and_no_rate_header(running):
    client = running.seller()
    running.sim.faults.throttle_storm = 3

    answers = [client.get(f"{REPORTS}/1") for _ in range(4)]

    assert [a.status_code for a in answers] == [429, 429, 429, 404]
    assert answers[0].json() == QUOTA_EXCEEDED
    assert "x-amzn-RateLimit-Limit" not in answers[0].headers
    assert running.sim.faults.throttle_storm == 0


def test_a_truncated_download_fails_and_the_next_one_is_whole(running):
    # given one truncated download to come
    report = _finished(running, LISTINGS)
    url = running.document_url(running.seller(), report["reportDocumentId"])
    running.sim.faults.truncate_downloads = 1

    # when the document is downloaded twice on one client
    client = running.client()
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(url)
    whole = client.get(url)

    # then the first broke off short of its Content-Length and the second is complete
    assert whole.status_code == 200
    assert int(whole.headers["content-length"]) == len(whole.content)
    gzip.decompress(whole.content)


def test_a_truncated_download_sends_about_half_of_the_body(running):
    report = _finished(running, LISTINGS)
    url = running.document_url(running.seller(), report["reportDocumentId"])
    running.sim.faults.truncate_downloads = 1
    received = bytearray()

    with running.http.stream("GET", url) as response:
        expected = int(response.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError):
            _read_into(response, received)

    assert 0 < len(received) < expected


def _read_into(response: httpx.Response, received: bytearray) -> None:
    for chunk in response.iter_raw():
        received.extend(chunk)


def test_a_corrupt_download_has_the_full_length_but_does_not_gunzip(running):
    report = _finished(running, LISTINGS)
    good = _download(running, report["reportDocumentId"])
    running.sim.faults.corrupt_downloads = 1

    bad = _download(running, report["reportDocumentId"])

    assert bad.status_code == 200
    assert len(bad.content) == len(good.content)
    assert bad.content != good.content
    with pytest.raises((OSError, EOFError, zlib.error)):
        gzip.decompress(bad.content)


def test_an_expired_url_fault_hands_out_one_dead_url(running):
    report = _finished(running, LISTINGS)
    client = running.seller()
    running.sim.faults.expire_urls = 1

    dead = running.http.get(running.document_url(client, report["reportDocumentId"]))
    alive = running.http.get(running.document_url(client, report["reportDocumentId"]))

    assert dead.status_code == 403
    assert "Request has expired" in dead.text
    assert alive.status_code == 200


def test_reset_switches_every_fault_off(running):
    faults = running.sim.faults
    faults.fatal.add(LISTINGS)
    faults.server_errors = 3
    faults.revoked_refresh_tokens.add(running.refresh_token)

    faults.reset()

    assert (faults.fatal, faults.server_errors, faults.revoked_refresh_tokens) == (set(), 0, set())
    assert _finished(running, LISTINGS)["processingStatus"] == "DONE"


def test_fault_counters_count_down_exactly_under_concurrency(running):
    faults = running.sim.faults
    faults.server_errors = 5000

    def take_many() -> int:
        return sum(faults.take("server_errors") for _ in range(1000))

    taken: list[int] = []
    threads = [threading.Thread(target=lambda: taken.append(take_many())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(taken) == 5000
    assert faults.server_errors == 0
