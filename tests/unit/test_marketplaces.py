"""Marketplaces and regions: the published table and the region checks config relies on."""

import pytest

from domain.errors import MarketplaceRegionError, UnknownMarketplaceError, UnknownRegionError
from domain.marketplaces import MARKETPLACES, Region, check_marketplaces, marketplace


def test_the_table_has_every_published_marketplace_in_its_region():
    counts = {r: sum(1 for m in MARKETPLACES.values() if m.region is r) for r in Region}
    assert counts == {Region.NA: 4, Region.EU: 16, Region.FE: 3}
    assert marketplace("A1VC38T7YXB528").country == "JP"
    assert marketplace("A1F83G8C2ARO7P").region is Region.EU


def test_regions_map_to_hosts_and_aws_regions():
    assert Region.EU.endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert Region.FE.aws_region == "us-west-2"
    assert Region.parse(" na ") is Region.NA


def test_an_unknown_region_names_the_choices():
    with pytest.raises(UnknownRegionError, match="NA, EU, FE"):
        Region.parse("APAC")


def test_an_unknown_marketplace_is_a_clear_config_error():
    with pytest.raises(UnknownMarketplaceError, match="'XYZ'"):
        check_marketplaces(Region.NA, ["ATVPDKIKX0DER", "XYZ"])


def test_a_marketplace_of_another_region_is_rejected_before_any_call():
    with pytest.raises(MarketplaceRegionError, match=r"A1PA6795UKMFR9 \(DE\) belongs to region EU"):
        check_marketplaces(Region.NA, ["A1PA6795UKMFR9"])


def test_marketplaces_are_deduplicated_in_order():
    ids = check_marketplaces(Region.NA, ["A2EUQ1WTGCTBG2", "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"])
    assert ids == ("A2EUQ1WTGCTBG2", "ATVPDKIKX0DER")
