"""Stack config: one schema for Pulumi and the CLI; every error names its key."""

from datetime import timedelta

import pytest

from domain.config import parse_duration, parse_stack_config
from domain.errors import ConfigError
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
