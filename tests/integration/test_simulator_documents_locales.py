"""Marketplace dialects of simulated documents: listing dates with zone abbreviations, EU and US
settlements, and the JP listings report with Japanese headers in Shift_JIS."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import registry
from sandbox.formats import listing_date
from sandbox.headers import JP_LISTING_LABELS
from tests.integration.test_simulator_curated_documents import (
    CA,
    DE,
    FR,
    JP,
    LISTINGS,
    SETTLEMENT,
    UK,
    US,
    document,
    records,
    report,
)

SUMMARY = (
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("utc", "market", "printed"),
    [
        # The two sourced examples (REPORT-SCHEMAS.md §2.2), from the UTC moments they denote.
        ("2021-08-16T03:35:17", US, "2021-08-15 20:35:17 PDT"),
        ("2021-09-23T08:34:38", DE, "23/09/2021 10:34:38 MEST"),
        ("2021-01-16T03:35:17", US, "2021-01-15 19:35:17 PST"),
        ("2021-01-16T03:35:17", DE, "16/01/2021 04:35:17 MET"),
        ("2021-07-01T12:00:00", UK, "01/07/2021 13:00:00 BST"),
        ("2021-07-01T12:00:00", JP, "2021-07-01 21:00:00 JST"),
        # The clocks change at 2 a.m. local in the US and 01:00 UTC in the EU.
        ("2021-03-14T09:59:59", US, "2021-03-14 01:59:59 PST"),
        ("2021-03-14T10:00:00", US, "2021-03-14 03:00:00 PDT"),
        ("2021-10-31T00:59:59", DE, "31/10/2021 02:59:59 MEST"),
        ("2021-10-31T01:00:00", DE, "31/10/2021 02:00:00 MET"),
    ],
)
def test_listing_open_dates_are_local_time_with_the_zone_abbreviation(utc, market, printed):
    assert listing_date(_epoch(utc), market) == printed


def _settlement(*markets: str) -> tuple[dict[str, str], list[dict[str, str]], str]:
    header, lines, content_type = document(report(SETTLEMENT, *markets), rows=150)
    summary, *transactions = (dict(zip(header, line, strict=True)) for line in lines)
    return summary, transactions, content_type


def _decimal(text: str, comma: bool) -> Decimal:
    return Decimal(text.replace(",", ".") if comma else text)


def test_a_german_settlement_has_decimal_commas_dotted_dates_and_a_summary_that_sums():
    summary, transactions, content_type = _settlement(DE, FR)

    transaction_columns = set(summary) - {"settlement-id", *SUMMARY}
    assert content_type == "text/plain; charset=UTF-8"
    assert re.fullmatch(r"-?\d+,\d{2}", summary["total-amount"])
    assert summary["currency"] == "EUR"
    for column in SUMMARY[:3]:
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2} UTC", summary[column])
    assert all(summary[column] == "" for column in transaction_columns)
    assert all(re.fullmatch(r"-?\d+,\d{2}", row["amount"]) for row in transactions)
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", row["posted-date"]) for row in transactions)
    assert sum(_decimal(row["amount"], True) for row in transactions) == _decimal(
        summary["total-amount"], True
    )
    assert {row["settlement-id"] for row in transactions} == {summary["settlement-id"]}
    assert all(row[column] == "" for row in transactions for column in SUMMARY)
    assert {"Amazon.de", "Amazon.fr"} <= {row["marketplace-name"] for row in transactions}


def test_a_us_settlement_has_decimal_points_and_amazons_documented_date_formats():
    summary, transactions, _ = _settlement(US)

    assert re.fullmatch(r"-?\d+\.\d{2}", summary["total-amount"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", summary["deposit-date"])
    for row in transactions:
        assert re.fullmatch(r"-?\d+\.\d{2}", row["amount"])
        assert re.fullmatch(r"\d{2}/\d{2}/\d{2}", row["posted-date"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", row["posted-date-time"])
    assert sum(Decimal(row["amount"]) for row in transactions) == Decimal(summary["total-amount"])


def test_settlement_lines_that_are_no_order_item_have_a_shipment_id_or_no_order_id():
    _, transactions, _ = _settlement(US)

    other = [row for row in transactions if row["transaction-type"] == "other-transaction"]
    assert {row["order-id"][:3] for row in other} == {"", "FBA"}
    assert all(row["amount-type"] and row["amount-description"] for row in transactions)


def test_a_japanese_settlement_counts_whole_yen():
    summary, transactions, content_type = _settlement(JP)

    assert content_type == "text/plain; charset=Shift_JIS"
    assert summary["currency"] == "JPY"
    assert sum(int(row["amount"]) for row in transactions) == int(summary["total-amount"])


def test_decimal_commas_follow_the_registry_marketplace_by_marketplace():
    for market, comma in ((DE, True), (FR, True), (UK, False), (US, False), (JP, False)):
        summary, _, _ = _settlement(market)
        assert ("," in summary["total-amount"]) is comma is registry.decimal_comma(market)


def test_the_japanese_listings_report_has_japanese_headers_in_shift_jis(make_simulator):
    running = make_simulator(processing_seconds=0, rows=30)
    client = running.seller()
    created = running.wait_for_report(client, running.create_report(client, LISTINGS, JP))
    download = running.http.get(running.document_url(client, created["reportDocumentId"]))

    text = gzip.decompress(download.content).decode("shift_jis")
    header, *lines = text.removesuffix("\n").split("\n")
    english, _, _ = document(report(LISTINGS, US))
    japanese = header.split("\t")

    assert download.headers["content-type"] == "text/plain; charset=Shift_JIS"
    assert len(japanese) == len(english) == 29
    assert japanese == [JP_LISTING_LABELS[name] for name in english]
    assert not set(japanese) & set(english)
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", label) for label in japanese[:16])
    assert len(lines) == 30
    assert all(line.count("\t") == 28 for line in lines)
    [table] = registry.tables_for(LISTINGS)
    assert registry.map_headers(table, japanese).kind == "position"


def test_a_generated_german_settlement_downloads_with_its_dialect(make_simulator, manual_clock):
    running = make_simulator(clock=manual_clock, processing_seconds=1.0, rows=20)
    [report_id] = running.sim.generate(running.seller_id, SETTLEMENT, (DE,), 1)
    manual_clock.advance(2)
    client = running.seller()
    done = client.get(f"/reports/2021-06-30/reports/{report_id}").json()

    download = running.http.get(running.document_url(client, done["reportDocumentId"]))

    header, summary, *rest = gzip.decompress(download.content).decode("utf-8").splitlines()
    assert header.startswith("settlement-id\tsettlement-start-date\t")
    assert re.search(r"\t-?\d+,\d{2}\tEUR\t", summary)
    assert len(rest) == 19


def test_north_american_listings_use_pacific_time_labels():
    dates = {row["open-date"][-3:] for row in records(report(LISTINGS, US, CA), rows=200)}
    assert dates == {"PST", "PDT"}
