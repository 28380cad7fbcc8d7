"""Report documents on the simulator: content, charsets, gzip, pre-signed URLs that expire."""

from __future__ import annotations

import gzip
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.settings import DocumentOverride

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS_BY_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
SALES = "GET_SALES_AND_TRAFFIC_REPORT"
US, DE, UK, JP = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A1VC38T7YXB528"
CODECS = {"Cp1252": "cp1252", "UTF-8": "utf-8", "Shift_JIS": "shift_jis", "windows-31j": "cp932"}


def _done_document(running, report_type: str, *markets: str, **body) -> tuple[dict, httpx.Response]:
    client = running.seller()
    report = running.wait_for_report(
        client, running.create_report(client, report_type, *markets, **body)
    )
    assert report["processingStatus"] == "DONE"
    return report, running.http.get(running.document_url(client, report["reportDocumentId"]))


def _text(download: httpx.Response) -> tuple[str, str]:
    charset = download.headers["content-type"].split("charset=")[1]
    return gzip.decompress(download.content).decode(CODECS[charset]), charset


@pytest.fixture
def fast(make_simulator):
    return make_simulator(processing_seconds=0, rows=40)


def test_the_listings_report_is_cp1252_tsv_with_amazons_columns_and_accents(fast):
    _, download = _done_document(fast, LISTINGS, DE)

    text, charset = _text(download)
    header, *rows = text.rstrip("\n").split("\n")

    assert download.headers["content-type"] == "text/plain; charset=Cp1252"
    assert download.headers["content-encoding"] == "identity"
    assert charset == "Cp1252"
    columns = header.split("\t")
    assert columns[:7] == [
        "item-name",
        "item-description",
        "listing-id",
        "seller-sku",
        "price",
        "quantity",
        "open-date",
    ]
    assert {"asin1", "product-id", "fulfillment-channel", "status"} <= set(columns)
    assert len(rows) == 40
    assert all(len(row.split("\t")) == len(columns) for row in rows)
    for accented in ("é", "ü", "ñ", "ß", "€", "“"):
        assert accented in text, accented
    with pytest.raises(UnicodeDecodeError):
        gzip.decompress(download.content).decode("utf-8")


@pytest.mark.parametrize("report_type", [ORDERS_BY_UPDATE, ORDERS_BY_DATE])
def test_order_reports_are_utf8_tsv_with_the_flat_file_columns(fast, report_type):
    window = {"dataStartTime": "2026-10-01T00:00:00Z", "dataEndTime": "2026-10-02T00:00:00Z"}
    _, download = _done_document(fast, report_type, UK, **window)

    text, charset = _text(download)
    header, *rows = text.rstrip("\n").split("\n")
    purchase_dates = [row.split("\t")[2] for row in rows]

    assert charset == "UTF-8"
    assert header.split("\t")[:5] == [
        "amazon-order-id",
        "merchant-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
    ]
    assert len(rows) == 40
    assert all("2026-10-01" <= d <= "2026-10-02T00:00:00+00:00" for d in purchase_dates)
    assert "Amazon.co.uk" in text
    assert any(ch in text for ch in "éüñß")


def test_the_sales_and_traffic_report_is_json_by_date_and_by_asin(fast):
    window = {"dataStartTime": "2026-10-01T00:00:00Z", "dataEndTime": "2026-10-07T23:59:59Z"}
    _, download = _done_document(fast, SALES, DE, **window)

    body = json.loads(gzip.decompress(download.content).decode("utf-8"))

    assert download.headers["content-type"] == "application/json; charset=UTF-8"
    assert body["reportSpecification"]["reportType"] == SALES
    assert body["reportSpecification"]["marketplaceIds"] == [DE]
    assert body["salesAndTrafficByDate"][0]["date"] == "2026-10-01"
    assert len(body["salesAndTrafficByDate"]) == 7
    first_day = body["salesAndTrafficByDate"][0]
    assert first_day["salesByDate"]["orderedProductSales"]["currencyCode"] == "EUR"
    assert "sessions" in first_day["trafficByDate"]
    assert len(body["salesAndTrafficByAsin"]) == 40
    assert {"parentAsin", "salesByAsin", "trafficByAsin"} <= set(body["salesAndTrafficByAsin"][0])


@pytest.mark.parametrize("report_type", [LISTINGS, ORDERS_BY_DATE, "GET_SOMETHING_NEW"])
def test_japanese_tsv_reports_are_shift_jis_with_japanese_text(fast, report_type):
    _, download = _done_document(fast, report_type, JP)

    text, charset = _text(download)

    assert charset == "Shift_JIS"
    assert any(word in text for word in ("緑茶", "水筒", "まな板", "急須", "抹茶", "レターセット"))
    # windows-31j (cp932) is the superset clients often decode with; it must agree.
    assert gzip.decompress(download.content).decode("cp932") == text


def test_an_unknown_report_type_gets_a_generic_utf8_tsv(fast):
    _, download = _done_document(fast, "GET_SOMETHING_NEW", US)

    text, charset = _text(download)

    assert charset == "UTF-8"
    assert text.startswith("snapshot-date\tmarketplace-id\tseller-sku\tasin\t")
    assert len(text.rstrip("\n").split("\n")) == 41


def test_a_document_is_the_same_every_time_it_is_downloaded(fast):
    report, first = _done_document(fast, LISTINGS, DE)
    client = fast.seller()

    again = fast.http.get(fast.document_url(client, report["reportDocumentId"]))

    assert again.content == first.content


def test_content_encoding_gzip_is_sent_only_when_asked(fast):
    report, plain = _done_document(fast, LISTINGS, US)
    client = fast.seller()
    url = fast.document_url(
        client, report["reportDocumentId"], enableContentEncodingUrlHeader="true"
    )

    encoded = fast.http.get(url)  # httpx decompresses Content-Encoding: gzip itself

    assert plain.headers["content-encoding"] == "identity"
    assert encoded.headers["content-encoding"] == "gzip"
    assert encoded.content == gzip.decompress(plain.content)


def test_a_document_url_looks_presigned_and_expires_after_its_ttl(make_simulator, manual_clock):
    # given a URL issued with a 300 s lifetime
    running = make_simulator(clock=manual_clock, processing_seconds=0, url_ttl_seconds=300)
    client = running.seller()
    report = running.wait_for_report(client, running.create_report(client, LISTINGS, US))
    url = running.document_url(client, report["reportDocumentId"])
    query = parse_qs(urlsplit(url).query)

    # when it is used in time, and again after it expired
    fresh = running.http.get(url)
    manual_clock.advance(301)
    stale = running.http.get(url)

    # then S3 serves it, then refuses it, and only a new URL helps
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    assert len(query["X-Amz-Signature"][0]) == 64
    assert fresh.status_code == 200
    assert stale.status_code == 403
    assert stale.headers["content-type"] == "application/xml"
    assert "<Code>AccessDenied</Code>" in stale.text
    assert "Request has expired" in stale.text
    assert (
        running.http.get(running.document_url(client, report["reportDocumentId"])).status_code
        == 200
    )


def test_a_tampered_url_is_refused(fast):
    report, _ = _done_document(fast, LISTINGS, US)
    url = fast.document_url(fast.seller(), report["reportDocumentId"])

    tampered = fast.http.get(url.replace("X-Amz-Expires=300", "X-Amz-Expires=99999"))

    assert tampered.status_code == 403
    assert "SignatureDoesNotMatch" in tampered.text


def test_an_unknown_document_key_is_no_such_key(fast):
    response = fast.http.get(f"{fast.url}/documents/0123456789abcdef")

    assert response.status_code == 404
    assert "NoSuchKey" in response.text


def test_an_unknown_report_document_id_is_not_found(fast):
    response = fast.seller().get("/reports/2021-06-30/documents/amzn1.spdoc.1.4.na.nothing")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


def test_a_document_override_is_served_byte_for_byte(tmp_path, make_simulator):
    # given an already-gzipped file registered for one report type
    payload = gzip.compress(b"sku\tprice\nA-1\t9.99\n")
    path = tmp_path / "listing.tsv.gz"
    path.write_bytes(payload)
    override = DocumentOverride(path=path, content_type="text/plain; charset=ISO-8859-1")
    running = make_simulator(processing_seconds=0, document_overrides={LISTINGS: override})

    # when a report of that type is downloaded
    _, download = _done_document(running, LISTINGS, US)

    # then it is exactly that file, with its content type
    assert download.content == payload
    assert download.headers["content-type"] == "text/plain; charset=ISO-8859-1"
    assert download.headers["content-length"] == str(len(payload))
