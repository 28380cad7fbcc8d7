"""The simulator's HTTP server: keep-alive, streaming, quiet, stoppable; and in-process WSGI."""

from __future__ import annotations

import gzip
import http.client
import os
import threading

import httpx
import pytest

from sandbox.documents import CHUNK
from sandbox.server import serve, serve_forever
from sandbox.settings import DocumentOverride
from sandbox.simulator import Simulator, SimulatorConfig
from sandbox.wsgi import Request

REPORTS = "/reports/2021-06-30/reports"


def test_two_hundred_sequential_requests_on_one_client_all_succeed(simulator):
    # given a client that reuses its connection
    client = simulator.client()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": simulator.refresh_token,
        "client_id": simulator.client_id,
        "client_secret": simulator.client_secret,
    }

    # when it fires 200 requests back to back, with and without bodies
    statuses = [
        client.post("/auth/o2/token", data=form).status_code
        if i % 2
        else client.get("/").status_code
        for i in range(200)
    ]

    # then every one is answered
    assert statuses.count(200) == 100
    assert statuses.count(404) == 100


def test_a_connection_stays_open_across_requests(simulator):
    # given one raw HTTP/1.1 connection
    host, port = simulator.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)

    # when two requests go over it
    connection.request("GET", "/nowhere")
    first = connection.getresponse()
    first.read()
    socket_after_first = connection.sock
    connection.request("GET", "/nowhere")
    second = connection.getresponse()
    second.read()

    # then both were answered on the same socket
    assert (first.status, second.status) == (404, 404)
    assert first.version == 11
    assert connection.sock is socket_after_first is not None
    connection.close()


def test_a_large_document_streams_in_bounded_chunks_with_content_length(tmp_path, make_simulator):
    # given a 5 MiB gzip file served for one report type
    payload = gzip.compress(os.urandom(5 * CHUNK), compresslevel=1)
    path = tmp_path / "big.tsv.gz"
    path.write_bytes(payload)
    override = DocumentOverride(path=path, content_type="text/plain; charset=UTF-8")
    running = make_simulator(processing_seconds=0, document_overrides={"GET_BIG": override})
    client = running.seller()
    report = running.wait_for_report(client, running.create_report(client, "GET_BIG"))
    url = running.document_url(client, report["reportDocumentId"])

    # when the WSGI app answers the download, and when a client downloads it over HTTP
    target = httpx.URL(url)
    request = Request("GET", target.path, _query(target), {}, b"", running.url)
    pieces = list(running.sim.handle(request).body)
    with running.http.stream("GET", url) as response:
        received = b"".join(response.iter_raw())

    # then the body is produced piece by piece, never as one blob, and arrives whole
    assert len(pieces) >= 5
    assert max(len(piece) for piece in pieces) <= CHUNK
    assert response.headers["content-length"] == str(len(payload))
    assert received == payload


def _query(url: httpx.URL) -> dict[str, list[str]]:
    return {key: url.params.get_list(key) for key in url.params}


def test_stop_releases_the_port():
    # given a running server
    running = serve(Simulator(SimulatorConfig()))
    url = running.url
    assert httpx.get(f"{url}/nowhere").status_code == 404

    # when it stops
    running.stop()

    # then nothing answers there any more
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/nowhere", timeout=2)


def test_serving_writes_nothing_to_stdout_or_stderr(simulator, capfd):
    # when requests of every kind are served
    client = simulator.seller()
    client.get(f"{REPORTS}/1")
    client.get("/nowhere")

    # then the server logged nothing
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_the_simulator_works_in_process_through_wsgi_transport():
    # given a simulator used without any socket
    sim = Simulator(SimulatorConfig(processing_seconds=0))
    client = httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://sim.local")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|demo-refresh-token",
        "client_id": "amzn1.application-oa2-client.demo",
        "client_secret": "amzn1.oa2-cs.v1.demo-secret",
    }
    token = client.post("/auth/o2/token", data=form).json()["access_token"]

    # when a report is created and fetched
    headers = {"x-amz-access-token": token}
    body = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["A1PA6795UKMFR9"]}
    report_id = client.post(REPORTS, json=body, headers=headers).json()["reportId"]
    report = client.get(f"{REPORTS}/{report_id}", headers=headers).json()
    document = client.get(
        f"/reports/2021-06-30/documents/{report['reportDocumentId']}", headers=headers
    ).json()

    # then document URLs point at the host the request came to
    assert report["processingStatus"] == "DONE"
    assert document["url"].startswith("http://sim.local/documents/")
    assert client.get(document["url"]).status_code == 200
    sim.close()


def test_document_urls_use_the_configured_base_url(make_simulator):
    # given a simulator told its public address
    running = make_simulator(processing_seconds=0, base_url="https://sandbox.example.test/")
    client = running.seller()
    report = running.wait_for_report(client, running.create_report(client, "GET_X"))

    # when a document URL is issued
    url = running.document_url(client, report["reportDocumentId"])

    # then it is built on that address, not on the request's Host
    assert url.startswith("https://sandbox.example.test/documents/")


def test_serve_forever_serves_until_stopped_and_reports_its_url():
    # given serve_forever on a free port, in the background as the CLI would run it
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve_forever, kwargs={"port": 0, "on_ready": on_ready, "stop": stop}
    )
    thread.start()
    assert ready.wait(5)

    # when it is called, then stopped
    answered = httpx.post(f"{urls[0]}/auth/o2/token", data={"grant_type": "client_credentials"})
    stop.set()
    thread.join(5)

    # then it served the simulator (LWA rejects the anonymous client) and then let go
    assert answered.status_code == 401
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(urls[0], timeout=2)


@pytest.mark.parametrize("simulator", [{"rows": 3, "processing_seconds": 0}], indirect=True)
def test_the_simulator_fixture_takes_config_overrides_by_indirect_parametrization(simulator):
    client = simulator.seller()
    report = simulator.wait_for_report(client, simulator.create_report(client, "GET_X"))

    download = simulator.http.get(simulator.document_url(client, report["reportDocumentId"]))

    assert len(gzip.decompress(download.content).splitlines()) == 1 + 3
