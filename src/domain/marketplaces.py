"""SP-API regions and marketplaces: the published table, and the checks config relies on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from domain.errors import MarketplaceRegionError, UnknownMarketplaceError, UnknownRegionError


class Region(Enum):
    """An SP-API selling region, with its hosts and the AWS region to deploy in."""

    NA = ("sellingpartnerapi-na.amazon.com", "us-east-1")
    EU = ("sellingpartnerapi-eu.amazon.com", "eu-west-1")
    FE = ("sellingpartnerapi-fe.amazon.com", "us-west-2")

    def __init__(self, host: str, aws_region: str) -> None:
        self.host = host
        self.aws_region = aws_region

    @property
    def endpoint(self) -> str:
        return f"https://{self.host}"

    @property
    def sandbox_endpoint(self) -> str:
        return f"https://sandbox.{self.host}"

    @classmethod
    def parse(cls, name: str) -> Region:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise UnknownRegionError(
                f"unknown SP-API region {name!r}: use one of NA, EU, FE"
            ) from None


LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"


@dataclass(frozen=True)
class Marketplace:
    id: str
    country: str
    region: Region


_TABLE = {
    Region.NA: "A2EUQ1WTGCTBG2 CA, ATVPDKIKX0DER US, A1AM78C64UM0Y8 MX, A2Q3Y263D00KWC BR",
    Region.EU: (
        "A28R8C7NBKEWEA IE, A1RKKUPIHCS9HS ES, A1F83G8C2ARO7P UK, A13V1IB3VIYZZH FR, "
        "AMEN7PMS3EDWL BE, A1805IZSGTT6HS NL, A1PA6795UKMFR9 DE, APJ6JRA9NG5V4 IT, "
        "A2NODRKZP88ZB9 SE, AE08WJ6YKNBMC ZA, A1C3SOZRARQ6R3 PL, ARBP9OOSHTCHU EG, "
        "A33AVAJ2PDY3EV TR, A17E79C6D8DWNP SA, A2VIGQ35RCS4UG AE, A21TJRUUN4KGV IN"
    ),
    Region.FE: "A19VAU5U5O7RUS SG, A39IBJ37TRP1C6 AU, A1VC38T7YXB528 JP",
}

MARKETPLACES: dict[str, Marketplace] = {
    mid: Marketplace(mid, country, region)
    for region, row in _TABLE.items()
    for mid, country in (entry.split() for entry in row.split(", "))
}


def marketplace(marketplace_id: str) -> Marketplace:
    """Look up a marketplace by id; raises UnknownMarketplaceError."""
    found = MARKETPLACES.get(marketplace_id)
    if found is None:
        raise UnknownMarketplaceError(
            f"unknown marketplace id {marketplace_id!r}: use an id from the SP-API table, "
            "e.g. ATVPDKIKX0DER (US)"
        )
    return found


def check_marketplaces(region: Region, marketplace_ids: Iterable[str]) -> tuple[str, ...]:
    """Return the ids, unique and in order, after checking each belongs to `region`."""
    checked: list[str] = []
    for mid in marketplace_ids:
        found = marketplace(mid)
        if found.region is not region:
            raise MarketplaceRegionError(
                f"marketplace {mid} ({found.country}) belongs to region {found.region.name}, "
                f"not {region.name}: deploy it in a {found.region.name} stack"
            )
        if mid not in checked:
            checked.append(mid)
    if not checked:
        raise UnknownMarketplaceError("no marketplace given: name at least one marketplace id")
    return tuple(checked)
