"""Parsing one value: numbers by marketplace, booleans, dates and zone abbreviations, as UTC."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from domain import registry
from domain.registry import (
    PATTERNS,
    ZONE_OFFSETS,
    Column,
    LogicalType,
    ParseFailure,
    decimal_comma,
    parse_strict,
    parse_value,
)

DECIMAL = Column("amount", LogicalType.DECIMAL, "amount")
INTEGER = Column("quantity", LogicalType.INTEGER, "quantity")
BOOLEAN = Column("flag", LogicalType.BOOLEAN, "flag")
STRING = Column("name", LogicalType.STRING, "name")


def _column(table, name):
    return next(c for c in registry.table(table).columns if c.name == name)


OPEN_DATE = _column("merchant_listings", "open_date")
POSTED_DATE = _column("settlements", "posted_date")
POSTED_AT = _column("settlements", "posted_date_time")
PURCHASE_DATE = _column("orders", "purchase_date")


@pytest.mark.parametrize(
    ("text", "comma", "value"),
    [
        ("15.0", False, Decimal("15.00")),
        ("1,234.56", False, Decimal("1234.56")),
        ("1,234,567.8", False, Decimal("1234567.80")),
        ("95,00", True, Decimal("95.00")),
        ("1141,18", True, Decimal("1141.18")),
        ("1.234,56", True, Decimal("1234.56")),
        ("-3,5", True, Decimal("-3.50")),
        ("+7", False, Decimal("7.00")),
        # With both separators the last is the decimal one, whatever the marketplace says.
        ("1.234,56", False, Decimal("1234.56")),
        ("1,234.56", True, Decimal("1234.56")),
        # A lone separator follows the marketplace; one that cannot be a decimal point is not.
        ("1,234", False, Decimal("1234.00")),
        ("1,234", True, Decimal("1.23")),
        ("1.234.567", False, Decimal("1234567.00")),
        ("95,00", False, Decimal("95.00")),
        (".5", False, Decimal("0.50")),
        ("2.345", False, Decimal("2.35")),
        ("-2.345", False, Decimal("-2.35")),
    ],
)
def test_decimals_follow_the_marketplace_and_thousands_separators(text, comma, value):
    assert parse_strict(DECIMAL, text, comma=comma) == value


@pytest.mark.parametrize(
    ("text", "comma", "value"),
    [
        ("12", False, 12),
        ("1,000", False, 1000),
        ("1.000", True, 1000),
        ("-4", False, -4),
        ("15.0", False, 15),
        (" 7 ", False, 7),
    ],
)
def test_integers_accept_thousands_separators_and_whole_decimals(text, comma, value):
    assert parse_strict(INTEGER, text, comma=comma) == value


@pytest.mark.parametrize(
    ("column", "text"),
    [
        (DECIMAL, "abc"),
        (DECIMAL, "12,34,5"),
        (DECIMAL, "1.2.3,4,5"),
        (DECIMAL, "5."),
        (DECIMAL, "1e5"),
        (DECIMAL, "$5"),
        (DECIMAL, "-"),
        (DECIMAL, "12345678901234567.0"),
        (INTEGER, "1.5"),
        (INTEGER, "9223372036854775808"),
        (BOOLEAN, "maybe"),
        (OPEN_DATE, "2021-08-15 20:35:17 XYZ"),
        (OPEN_DATE, "2021-02-30 20:35:17 PDT"),
        (OPEN_DATE, "yesterday"),
        (POSTED_DATE, "13/45/23"),
        (PURCHASE_DATE, "2023-09-25T15:23:39"),
    ],
)
def test_bad_values_fail_and_are_stored_as_null(column, text):
    with pytest.raises(ParseFailure):
        parse_strict(column, text)
    assert parse_value(column, text) is None
    assert issubclass(ParseFailure, ValueError)


@pytest.mark.parametrize("column", [DECIMAL, INTEGER, BOOLEAN, STRING, OPEN_DATE, POSTED_DATE])
@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_empty_values_are_null_not_failures(column, text):
    assert parse_strict(column, text) is None


def test_strings_are_kept_as_sent():
    assert parse_strict(STRING, ' "Quoted item name') == ' "Quoted item name'


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[("y", True), ("Yes", True), ("TRUE", True), ("1", True)],
        *[("n", False), ("NO", False), ("false", False), ("0", False)],
    ],
)
def test_booleans_accept_the_words_reports_use(text, value):
    assert parse_strict(BOOLEAN, text) is value


@pytest.mark.parametrize(
    ("column", "text", "utc"),
    [
        (OPEN_DATE, "2021-08-15 20:35:17 PDT", datetime(2021, 8, 16, 3, 35, 17)),
        (OPEN_DATE, "2021-01-15 20:35:17 PST", datetime(2021, 1, 16, 4, 35, 17)),
        (OPEN_DATE, "23/09/2021 10:34:38 MEST", datetime(2021, 9, 23, 8, 34, 38)),
        (OPEN_DATE, "23.09.2021 10:34:38 JST", datetime(2021, 9, 23, 1, 34, 38)),
        (OPEN_DATE, "2021-09-23 10:34:38 IST", datetime(2021, 9, 23, 5, 4, 38)),
        (OPEN_DATE, "2021-09-23 10:34:38 pdt", datetime(2021, 9, 23, 17, 34, 38)),
        (OPEN_DATE, "2021-09-23 10:34:38 +05:30", datetime(2021, 9, 23, 5, 4, 38)),
        (OPEN_DATE, "2021-09-23 10:34:38 -0700", datetime(2021, 9, 23, 17, 34, 38)),
        (POSTED_AT, "14.03.2023 07:49:55 UTC", datetime(2023, 3, 14, 7, 49, 55)),
        (POSTED_AT, "2023-01-01 00:00:00 UTC", datetime(2023, 1, 1)),
        (PURCHASE_DATE, "2023-09-25T15:23:39+00:00", datetime(2023, 9, 25, 15, 23, 39)),
        (PURCHASE_DATE, "2023-09-25T15:23:39Z", datetime(2023, 9, 25, 15, 23, 39)),
        (PURCHASE_DATE, "2023-09-25T15:23:39.5-07:00", datetime(2023, 9, 25, 22, 23, 39, 500000)),
        (PURCHASE_DATE, "2023-12-31T23:30:00-01:00", datetime(2024, 1, 1, 0, 30)),
    ],
)
def test_timestamps_are_naive_utc_whatever_zone_they_name(column, text, utc):
    parsed = parse_strict(column, text)
    assert parsed == utc
    assert isinstance(parsed, datetime)
    assert parsed.tzinfo is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("03/14/23", date(2023, 3, 14)),
        ("14.03.2023", date(2023, 3, 14)),
        ("2023-03-14", date(2023, 3, 14)),
        ("14/03/2023", date(2023, 3, 14)),
    ],
)
def test_dates_follow_the_columns_formats(text, day):
    assert parse_strict(POSTED_DATE, text) == day


def test_a_timestamp_column_may_accept_a_bare_date_as_midnight_utc():
    column = Column(
        "t", LogicalType.TIMESTAMP, "t", formats=("yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd")
    )
    assert parse_strict(column, "2024-02-29") == datetime(2024, 2, 29)


def test_an_ambiguous_date_takes_the_first_matching_format():
    us_first = Column("d", LogicalType.DATE, "d", formats=("MM/dd/yyyy", "dd/MM/yyyy"))
    eu_first = Column("d", LogicalType.DATE, "d", formats=("dd/MM/yyyy", "MM/dd/yyyy"))
    assert parse_strict(us_first, "03/04/2023") == date(2023, 3, 4)
    assert parse_strict(eu_first, "03/04/2023") == date(2023, 4, 3)
    # A day that is no month falls through to the next format.
    assert parse_strict(us_first, "14/03/2023") == date(2023, 3, 14)


def test_the_sql_compiler_can_read_the_patterns_and_zones():
    used = {f for t in registry.tables() for c in t.columns for f in c.formats}
    assert used <= set(PATTERNS)
    spec = PATTERNS["dd.MM.yyyy HH:mm:ss z"]
    assert spec.groups == ("day", "month", "year", "hour", "minute", "second", "zone")
    assert spec.regex.startswith("^")
    assert spec.regex.endswith("$")
    assert {z: ZONE_OFFSETS[z] for z in ("PST", "MEST", "JST", "IST")} == {
        "PST": -480,
        "MEST": 120,
        "JST": 540,
        "IST": 330,
    }


@pytest.mark.parametrize(
    ("marketplace", "comma"),
    [
        ("A1PA6795UKMFR9", True),  # DE
        ("A13V1IB3VIYZZH", True),  # FR
        ("A1RKKUPIHCS9HS", True),  # ES
        ("A2Q3Y263D00KWC", True),  # BR
        ("A33AVAJ2PDY3EV", True),  # TR
        ("ATVPDKIKX0DER", False),  # US
        ("A1F83G8C2ARO7P", False),  # UK
        ("A1VC38T7YXB528", False),  # JP
        ("A21TJRUUN4KGV", False),  # IN
        (None, False),
        ("NOT-A-MARKETPLACE", False),
    ],
)
def test_decimal_commas_belong_to_continental_marketplaces(marketplace, comma):
    assert decimal_comma(marketplace) is comma


def test_a_german_settlement_row_parses_with_the_marketplace_convention():
    comma = decimal_comma("A1PA6795UKMFR9")
    total = _column("settlements", "total_amount")
    assert parse_strict(total, "1141,18", comma=comma) == Decimal("1141.18")
    assert parse_strict(POSTED_AT, "14.03.2023 07:49:55 UTC", comma=comma) == datetime(
        2023, 3, 14, 7, 49, 55
    )
