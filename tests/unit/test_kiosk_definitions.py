"""Data Kiosk query definitions: each stack-file error is one line naming the query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.datakiosk.definitions import (
    DATASETS,
    QueryDefinition,
    fill,
    fill_for_window,
    parse_queries,
    schema_text,
    suits,
    window_dates,
)
from domain.errors import AudienceError, ConfigError
from domain.model import PartnerKind
from domain.planning import Seller

SELLER = Seller("acme", "A3TH9S8BH6GOGM", ("ATVPDKIKX0DER",))
OTHER_SELLER = Seller("beta", "A2EUQ1WTGCTBG2", ("A2EUQ1WTGCTBG2",))
VENDOR = Seller("vendor", "amzn1.vg.6213651", ("ATVPDKIKX0DER",), PartnerKind.VENDOR)
PARTNERS = (SELLER, OTHER_SELLER, VENDOR)
TEXT = 'query { analytics_economics_2024_03_15 { economics(startDate: "{{startDate}}" endDate: "{{endDate}}") { msku } } }'  # noqa: E501
FILES = {"queries/econ.graphql": TEXT, "queries/vendor.graphql": TEXT.replace("economics", "v")}


class FakeValidator:
    """Reads the dataset from the file name; records what it was asked."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def validate(self, name: str, text: str, kind: PartnerKind | None = None) -> str:
        self.checked.append(name)
        if "_v_" in text or "{ v(" in text:
            return "analytics_vendorAnalytics_2024_09_30.v"
        return "analytics_economics_2024_03_15.economics"


def read(path: str) -> str:
    if path not in FILES:
        raise FileNotFoundError(2, "No such file or directory", path)
    return FILES[path]


def entry(**overrides: object) -> dict[str, object]:
    return {"name": "econ", "file": "queries/econ.graphql", "window": "P7D", **overrides}


def parse(*entries: object, partners: tuple[Seller, ...] = PARTNERS) -> tuple[QueryDefinition, ...]:
    return parse_queries(list(entries), "spapi-lake:queries", partners, read, FakeValidator())


def error_of(*entries: object, partners: tuple[Seller, ...] = PARTNERS) -> str:
    with pytest.raises(ConfigError) as info:
        parse(*entries, partners=partners)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_query_goes_to_every_partner_its_dataset_suits_by_default() -> None:
    (query,) = parse(entry(schedule="rate(1 day)"))

    assert query == QueryDefinition(
        name="econ",
        file="queries/econ.graphql",
        text=TEXT,
        selection="analytics_economics_2024_03_15.economics",
        window=timedelta(days=7),
        partners=(SELLER.seller_id, OTHER_SELLER.seller_id),
        schedule="rate(1 day)",
    )


def test_named_partners_are_kept_and_absent_queries_are_none() -> None:
    (query,) = parse(entry(name="econ-one", partners=[OTHER_SELLER.seller_id]))

    assert query.partners == (OTHER_SELLER.seller_id,)
    assert query.schedule is None
    assert parse_queries(None, "q", PARTNERS, read, FakeValidator()) == ()


def test_every_query_is_validated_before_anything_runs() -> None:
    validator = FakeValidator()

    parse_queries([entry(), entry(name="econ2")], "q", PARTNERS, read, validator)

    assert validator.checked == ["econ", "econ2"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"file": "queries/missing.graphql"}, "cannot read queries/missing.graphql"),
        ({"file": "elsewhere/econ.graphql"}, "must be a .graphql file under queries/"),
        ({"file": "queries/../secrets.graphql"}, "must be a .graphql file under queries/"),
        ({"window": "P7X"}, "window: 'P7X' is not an ISO 8601 duration"),
        ({"window": "PT6H"}, "must be whole days"),
        ({"window": None}, "window: None is not an ISO 8601 duration"),
        ({"schedule": "daily"}, "schedule: 'daily' is not a schedule"),
        ({"partners": ["nobody"]}, "partner nobody is not configured"),
        ({"partners": []}, "partners must be a non-empty list"),
        ({"colour": "red"}, "unknown key colour"),
    ],
)
def test_a_bad_entry_is_one_line_naming_the_query(
    overrides: dict[str, object], expected: str
) -> None:
    message = error_of(entry(**overrides))

    assert message.startswith("query econ: ")
    assert expected in message


def test_a_bad_name_names_the_entry() -> None:
    assert error_of(entry(name="Bad Name")).startswith("spapi-lake:queries[0].name: 'Bad Name'")
    assert "is used twice" in error_of(entry(), entry())


def test_a_file_without_its_date_placeholders_is_refused() -> None:
    FILES["queries/fixed.graphql"] = TEXT.replace("{{endDate}}", "2024-01-07")
    try:
        message = error_of(entry(file="queries/fixed.graphql"))
    finally:
        del FILES["queries/fixed.graphql"]

    assert message == (
        "query econ: the file has no {{endDate}} placeholder; "
        "the planner fills it with the window's dates"
    )


def test_an_unknown_placeholder_is_refused() -> None:
    FILES["queries/odd.graphql"] = TEXT + " # {{asin}}"
    try:
        message = error_of(entry(file="queries/odd.graphql"))
    finally:
        del FILES["queries/odd.graphql"]

    assert message.startswith("query econ: unknown placeholder {{asin}}")


def test_a_seller_dataset_for_a_vendor_is_an_audience_error() -> None:
    with pytest.raises(AudienceError, match=r"^query econ: amzn1\.vg\.6213651 is a vendor"):
        parse(entry(partners=[VENDOR.seller_id]))


def test_a_vendor_dataset_for_a_seller_is_an_audience_error() -> None:
    vendor_query = entry(name="vend", file="queries/vendor.graphql")

    assert "is a seller, but analytics_vendorAnalytics" in error_of(
        {**vendor_query, "partners": [SELLER.seller_id]}
    )
    assert "no partner is a vendor" in error_of(vendor_query, partners=(SELLER,))
    (query,) = parse(vendor_query)
    assert query.partners == (VENDOR.seller_id,)


def test_a_window_fills_whole_days_before_the_run_day() -> None:
    until = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)

    assert window_dates(timedelta(days=7), until) == (date(2026, 11, 26), date(2026, 12, 2))
    (query,) = parse(entry())
    filled = fill_for_window(query, until)
    assert 'startDate: "2026-11-26" endDate: "2026-12-02"' in filled
    assert "{{" not in filled


def test_marketplaces_fill_as_a_graphql_list() -> None:
    text = "marketplaceIds: {{marketplaceIds}} {{startDate}} {{endDate}}"

    filled = fill(text, date(2024, 1, 1), date(2024, 1, 2), ("A1", "A2"))

    assert filled == 'marketplaceIds: ["A1", "A2"] 2024-01-01 2024-01-02'


def test_each_dataset_has_its_schema_and_audience() -> None:
    for dataset in DATASETS:
        assert f"{dataset}: " in schema_text(dataset)
    assert suits("analytics_vendorAnalytics_2024_09_30", PartnerKind.VENDOR)
    assert not suits("analytics_salesAndTraffic_2024_04_24", PartnerKind.VENDOR)
    with pytest.raises(ConfigError, match="not a Data Kiosk dataset"):
        schema_text("analytics_salesAndTraffic_2023_11_15")
