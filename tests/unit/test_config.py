"""Stack config: one schema for Pulumi and the CLI; every error names its key."""

from datetime import timedelta

import pytest

from domain.config import parse_duration, parse_stack_config
from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.errors import AudienceError, ConfigError
from domain.marketplaces import Region

VALID = {
    "aws:region": "eu-west-1",
    "spapi-lake:region": "EU",
    "spapi-lake:stage": "prod",
    "spapi-lake:sellers": [
        {"name": "acme-eu", "sellerId": "A3TH9S8BH6GOGM", "marketplaces": ["A1PA6795UKMFR9"]}
    ],
    "spapi-lake:reports": [
        {"type": "GET_MERCHANT_LISTINGS_ALL_DATA", "schedule": "cron(0 2 * * ? *)"},
        {
            "type": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
            "schedule": "rate(1 day)",
            "window": "P1D",
            "maxSpan": "P30D",
            "options": {},
        },
    ],
}


def _with(key, value):
    return {**VALID, key: value}


def test_the_design_example_parses():
    config = parse_stack_config(VALID)
    assert config.region is Region.EU
    assert config.sellers[0].marketplace_ids == ("A1PA6795UKMFR9",)
    assert config.reports[1].window == timedelta(days=1)
    assert config.reports[1].max_span == timedelta(days=30)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("spapi-lake:region", "APAC", "unknown SP-API region"),
        ("aws:region", "us-east-1", "aws:region: us-east-1 does not match"),
        ("spapi-lake:sellers", [], "spapi-lake:sellers: expected a non-empty list"),
        (
            "spapi-lake:sellers",
            [{"sellerId": "S", "marketplaces": ["ATVPDKIKX0DER"]}],
            r"sellers\[0\].marketplaces: marketplace ATVPDKIKX0DER \(US\) belongs to region NA",
        ),
        (
            "spapi-lake:sellers",
            [{"sellerId": "S", "marketplaces": ["NOPE"]}],
            r"sellers\[0\].marketplaces: unknown marketplace id 'NOPE'",
        ),
        (
            "spapi-lake:sellers",
            [{"sellerId": "S", "marketplace": ["A1PA6795UKMFR9"]}],
            r"sellers\[0\].marketplace: unknown key",
        ),
        ("spapi-lake:reports", [{"type": "X", "window": "P1M"}], r"reports\[0\].window"),
        ("spapi-lake:reports", [{"type": "X", "schedule": "daily"}], r"reports\[0\].schedule"),
        ("spapi-lake:reports", [{"type": "X", "options": {"a": 1}}], r"reports\[0\].options"),
        ("spapi-lake:reprots", [], "spapi-lake:reprots: unknown key"),
    ],
)
def test_invalid_config_names_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        parse_stack_config(_with(key, value))


def test_a_missing_required_key_is_named():
    config = dict(VALID)
    del config["spapi-lake:reports"]
    with pytest.raises(ConfigError, match="spapi-lake:reports: missing"):
        parse_stack_config(config)


@pytest.mark.parametrize(
    ("text", "value"),
    [("P1D", timedelta(days=1)), ("PT6H", timedelta(hours=6)), ("P1W", timedelta(weeks=1))],
)
def test_iso_durations(text, value):
    assert parse_duration(text, "k") == value


@pytest.mark.parametrize("text", ["P", "PT", "P0D", "1D", "P1Y", 5])
def test_bad_durations_are_rejected(text):
    with pytest.raises(ConfigError, match="k:"):
        parse_duration(text, "k")


# Data Kiosk queries: files read and validated through ports, so the domain needs no graphql-core.
SALES = "analytics_salesAndTraffic_2024_04_24"
QUERY_TEXT = (
    "query { " + SALES + ' { salesAndTrafficByDate(startDate: "{{startDate}}", '
    'endDate: "{{endDate}}", aggregateBy: DAY, marketplaceIds: {{marketplaceIds}}) '
    "{ startDate } } }"
)
QUERY_FILES = {"queries/sales.graphql": QUERY_TEXT, "queries/broken.graphql": "{" + QUERY_TEXT}
SALES_QUERY = {
    "name": "sales",
    "file": "queries/sales.graphql",
    "window": "P7D",
    "schedule": "cron(0 9 * * ? *)",
}


class FakeQueryValidator:
    """The QueryValidator port: an unclosed brace does not parse; anything else reads sales."""

    def validate(self, name, text, kind=None):
        if text.count("{") != text.count("}"):
            raise ConfigError(f"query {name}: does not parse: line 1, column 8: Expected Name")
        return f"{SALES}.salesAndTrafficByDate"


def read_query(path):
    if path not in QUERY_FILES:
        raise FileNotFoundError(2, "No such file or directory", path)
    return QUERY_FILES[path]


def _with_queries(queries, **more):
    return {**VALID, "spapi-lake:queries": queries, **more}


def _parse_queries(config):
    return parse_stack_config(config, read=read_query, validator=FakeQueryValidator())


def test_queries_are_read_validated_and_run_for_the_sellers_by_default():
    config = _parse_queries(_with_queries([SALES_QUERY]))

    [query] = config.queries
    assert (query.name, query.file, query.text) == ("sales", "queries/sales.graphql", QUERY_TEXT)
    assert query.selection == f"{SALES}.salesAndTrafficByDate"
    assert (query.window, query.schedule) == (timedelta(days=7), "cron(0 9 * * ? *)")
    assert query.partners == ("A3TH9S8BH6GOGM",)
    assert config.query_concurrency == DEFAULT_MAX_IN_FLIGHT == 2
    assert "queries" not in config.extra


def test_a_stack_without_queries_needs_no_validator_and_has_none():
    config = parse_stack_config(VALID)

    assert config.queries == ()
    assert config.query_concurrency == 2


def test_a_stack_with_queries_but_no_validator_says_one_is_needed():
    with pytest.raises(ConfigError, match="spapi-lake:queries: checking queries needs") as info:
        parse_stack_config(_with_queries([SALES_QUERY]))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({**SALES_QUERY, "file": "queries/broken.graphql"}, "query sales: does not parse"),
        ({**SALES_QUERY, "file": "queries/gone.graphql"}, "query sales: cannot read queries/gone"),
        ({**SALES_QUERY, "window": "P1M"}, "query sales: window"),
        ({**SALES_QUERY, "schedule": "daily"}, "query sales: schedule"),
        ({**SALES_QUERY, "partners": ["A0NOBODY"]}, "query sales: partner A0NOBODY is not"),
        ({**SALES_QUERY, "colour": "blue"}, "query sales: unknown key colour"),
    ],
)
def test_a_bad_query_is_one_line_naming_it(query, message):
    with pytest.raises(ConfigError) as info:
        _parse_queries(_with_queries([query]))

    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_a_seller_dataset_for_a_vendor_is_refused_naming_the_query():
    vendor = {
        "kind": "vendor",
        "accountId": "amzn1.vg.6213651",
        "marketplaces": ["A1PA6795UKMFR9"],
    }
    sellers = [*VALID["spapi-lake:sellers"], vendor]
    query = {**SALES_QUERY, "partners": ["amzn1.vg.6213651"]}

    with pytest.raises(AudienceError, match=r"^query sales: amzn1.vg.6213651 is a vendor"):
        _parse_queries(_with_queries([query], **{"spapi-lake:sellers": sellers}))


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (5, 5), ("3", 3), (" 4 ", 4)])
def test_query_concurrency_is_a_whole_number_from_the_file_or_from_pulumi(value, expected):
    config = parse_stack_config({**VALID, "spapi-lake:queryConcurrency": value})

    assert config.query_concurrency == expected
    assert "queryConcurrency" not in config.extra


@pytest.mark.parametrize("value", [0, -1, "0", "two", True, 1.5, ""])
def test_a_query_concurrency_below_one_or_not_whole_is_refused(value):
    with pytest.raises(ConfigError, match=r"^spapi-lake:queryConcurrency: .* at least 1"):
        parse_stack_config({**VALID, "spapi-lake:queryConcurrency": value})
