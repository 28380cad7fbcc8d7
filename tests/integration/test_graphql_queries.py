"""GraphQlQueryValidator: queries are checked against Amazon's Data Kiosk schemas, one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.graphql_queries import MAX_QUERY_CHARS, GraphQlQueryValidator, query_files
from domain.datakiosk.definitions import parse_queries
from domain.errors import AudienceError, ConfigError
from domain.model import PartnerKind
from domain.planning import Seller

ROOT = Path(__file__).resolve().parents[2]
SELLER = Seller("acme", "A3TH9S8BH6GOGM", ("ATVPDKIKX0DER",))
VENDOR = Seller("vendor", "amzn1.vg.6213651", ("ATVPDKIKX0DER",), PartnerKind.VENDOR)
VENDOR_QUERY = """query Sourced { analytics_vendorAnalytics_2024_09_30 {
  sourcingView(startDate: "{{startDate}}" endDate: "{{endDate}}" aggregateBy: WEEK) {
    startDate endDate marketplaceId
    metrics { groupByKey { asin } metrics { shippedOrders { shippedUnitsWithRevenue { units } } } }
  } } }"""
ECONOMICS = """query { analytics_economics_2024_03_15 { economics(
  startDate: "{{startDate}}" endDate: "{{endDate}}" marketplaceIds: {{marketplaceIds}}
) { msku %s } } }"""


@pytest.fixture(scope="module")
def validator() -> GraphQlQueryValidator:
    return GraphQlQueryValidator()


def error_of(validator: GraphQlQueryValidator, text: str, kind: PartnerKind | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        validator.validate("q1", text, kind)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("query q1: ")
    return message


@pytest.mark.parametrize(
    ("file", "dataset"),
    [
        ("sales_traffic_by_date", "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"),
        ("economics", "analytics_economics_2024_03_15.economics"),
    ],
)
def test_the_committed_sample_queries_are_valid_for_sellers(
    validator: GraphQlQueryValidator, file: str, dataset: str
) -> None:
    text = (ROOT / "queries" / f"{file}.graphql").read_text()

    assert validator.validate(file, text, PartnerKind.SELLER) == dataset


def test_a_vendor_analytics_query_is_valid_for_a_vendor(validator: GraphQlQueryValidator) -> None:
    dataset = validator.validate("q1", VENDOR_QUERY, PartnerKind.VENDOR)

    assert dataset.split(".")[0] == "analytics_vendorAnalytics_2024_09_30"


def test_a_syntax_error_is_one_line_with_its_place(validator: GraphQlQueryValidator) -> None:
    message = error_of(validator, ECONOMICS % "{")

    assert message.startswith("query q1: does not parse: line 3, column")


def test_an_unknown_field_is_one_line_naming_the_dataset(validator: GraphQlQueryValidator) -> None:
    message = error_of(validator, ECONOMICS % "colour")

    assert message == (
        "query q1: invalid for analytics_economics_2024_03_15: line 3, column 10: "
        "Cannot query field 'colour' on type 'Economics'."
    )


def test_an_unknown_dataset_is_refused(validator: GraphQlQueryValidator) -> None:
    message = error_of(validator, "query { analytics_salesAndTraffic_2023_11_15 { x } }")

    assert "selects analytics_salesAndTraffic_2023_11_15 at the top" in message


def test_a_query_over_8000_characters_is_refused(validator: GraphQlQueryValidator) -> None:
    aliases = " ".join(f"m{i}: msku" for i in range(1000))
    # Whitespace does not count: the same query padded with blanks still fits.
    assert (
        validator.validate("q1", ECONOMICS % ("    \n" * 3000))
        == "analytics_economics_2024_03_15.economics"
    )

    message = error_of(validator, ECONOMICS % aliases)

    assert f"Data Kiosk takes at most {MAX_QUERY_CHARS}" in message


def test_a_vendor_dataset_for_a_seller_and_back(validator: GraphQlQueryValidator) -> None:
    with pytest.raises(AudienceError, match=r"^query q1: analytics_vendorAnalytics_2024_09_30 is"):
        validator.validate("q1", VENDOR_QUERY, PartnerKind.SELLER)
    with pytest.raises(AudienceError, match=r"is for sellers, not for a vendor$"):
        validator.validate("q1", ECONOMICS % "", PartnerKind.VENDOR)


def test_a_stack_files_queries_parse_with_the_real_files_and_schemas() -> None:
    raw = [
        {"name": "sales_traffic_by_date", "file": "queries/sales_traffic_by_date.graphql",
         "window": "P7D", "schedule": "cron(0 3 * * ? *)"},
        {"name": "economics", "file": "queries/economics.graphql", "window": "P1D"},
    ]  # fmt: skip

    queries = parse_queries(
        raw, "spapi-lake:queries", (SELLER, VENDOR), query_files(ROOT), GraphQlQueryValidator()
    )

    assert [(q.name, q.dataset, q.partners) for q in queries] == [
        ("sales_traffic_by_date", "analytics_salesAndTraffic_2024_04_24", (SELLER.seller_id,)),
        ("economics", "analytics_economics_2024_03_15", (SELLER.seller_id,)),
    ]


def test_a_missing_file_is_one_line_naming_the_query() -> None:
    raw = [{"name": "gone", "file": "queries/gone.graphql", "window": "P1D"}]

    with pytest.raises(ConfigError, match=r"^query gone: cannot read queries/gone\.graphql: "):
        parse_queries(raw, "q", (SELLER,), query_files(ROOT), GraphQlQueryValidator())
