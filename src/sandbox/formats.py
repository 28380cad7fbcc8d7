"""How flat files print times and amounts per marketplace: local zones, EU dates, decimal commas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.registry import decimal_comma
from sandbox import catalog

# country -> (standard UTC offset in hours, summer label or None, DST rule); the standard label
# is catalog.LOCALES'. Rules are coded here (not zoneinfo) so no tz database is needed.
_ZONES: dict[str, tuple[float, str | None, str]] = {
    **dict.fromkeys(("US", "CA", "MX"), (-8, "PDT", "us")),
    **dict.fromkeys(("UK", "IE"), (0, "BST", "eu")),
    **dict.fromkeys(("DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL"), (1, "MEST", "eu")),
    "BR": (-3, None, ""),
    "TR": (3, None, ""),
    "EG": (2, None, ""),
    "SA": (3, None, ""),
    "AE": (4, None, ""),
    "ZA": (2, None, ""),
    "IN": (5.5, None, ""),
    "SG": (8, None, ""),
    "AU": (10, None, ""),
    "JP": (9, None, ""),
}


def _sunday(year: int, month: int, *, nth: int = 0, last: bool = False) -> datetime:
    """The nth (0-based) or last Sunday of a month, at 00:00 UTC."""
    if last:
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        day = following - timedelta(days=1)
        return day - timedelta(days=(day.weekday() + 1) % 7)
    first = datetime(year, month, 1, tzinfo=UTC)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * nth)


def _summer(moment: datetime, rule: str) -> bool:
    if rule == "us":  # 2 a.m. local on the second Sunday of March to the first of November
        start = _sunday(moment.year, 3, nth=1) + timedelta(hours=10)
        end = _sunday(moment.year, 11) + timedelta(hours=9)
    elif rule == "eu":  # 01:00 UTC on the last Sunday of March to the last of October
        start = _sunday(moment.year, 3, last=True) + timedelta(hours=1)
        end = _sunday(moment.year, 10, last=True) + timedelta(hours=1)
    else:
        return False
    return start <= moment < end


def local(epoch: float, marketplace_id: str) -> tuple[datetime, str]:
    """Wall-clock time in the marketplace's zone, and the abbreviation Amazon prints for it."""
    moment = datetime.fromtimestamp(epoch, UTC)
    offset, summer_label, rule = _ZONES.get(catalog.country(marketplace_id), (-8, "PDT", "us"))
    label = catalog.locale(marketplace_id)[2]
    if summer_label and _summer(moment, rule):
        offset, label = offset + 1, summer_label
    return (moment + timedelta(hours=offset)).replace(tzinfo=None), label


def listing_date(epoch: float, marketplace_id: str) -> str:
    """`2021-08-15 20:35:17 PDT` (NA, FE) or `23/09/2021 10:34:38 MEST` (EU region)."""
    wall, label = local(epoch, marketplace_id)
    pattern = "%d/%m/%Y %H:%M:%S" if catalog.region(marketplace_id) == "EU" else "%Y-%m-%d %H:%M:%S"
    return f"{wall.strftime(pattern)} {label}"


def settlement_time(epoch: float, marketplace_id: str) -> str:
    """`14.03.2023 07:49:55 UTC` where amounts have decimal commas, else `2023-03-14 07:49:55 UTC`.

    Settlements print amounts in the local currency format, "95,00 for EU instead of 95.00", and
    a German file has dates like the first (REPORT-SCHEMAS.md §2.2). Which marketplaces write
    decimal commas is the registry's call, so the simulator and the curated layer agree.
    """
    pattern = "%d.%m.%Y %H:%M:%S" if decimal_comma(marketplace_id) else "%Y-%m-%d %H:%M:%S"
    return datetime.fromtimestamp(epoch, UTC).strftime(pattern) + " UTC"


def settlement_day(epoch: float, marketplace_id: str) -> str:
    """posted-date: `MM/DD/YY` as Amazon documents it, `dd.MM.yyyy` in decimal-comma files."""
    pattern = "%d.%m.%Y" if decimal_comma(marketplace_id) else "%m/%d/%y"
    return datetime.fromtimestamp(epoch, UTC).strftime(pattern)


def minor_units(marketplace_id: str) -> int:
    """Digits after the decimal point: yen has none."""
    return 0 if catalog.country(marketplace_id) == "JP" else 2


def amount(minor: int, marketplace_id: str) -> str:
    """An exact amount in minor units as a settlement prints it: `1141,18`, `-95.00`, `1500`."""
    digits = minor_units(marketplace_id)
    if digits == 0:
        return str(minor)
    whole, cents = divmod(abs(minor), 10**digits)
    point = "," if decimal_comma(marketplace_id) else "."
    return f"{'-' if minor < 0 else ''}{whole}{point}{cents:0{digits}d}"
