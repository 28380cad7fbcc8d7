"""Which marketplaces write numbers with a decimal comma in their reports."""

from __future__ import annotations

from domain.marketplaces import MARKETPLACES

# Countries whose local number format is `1.234,56` (or `1 234,56`); reports such as settlements
# follow it ("95,00 for EU instead of 95.00"). Everyone else in the SP-API table writes 1,234.56:
# US, CA, MX, UK, IE, JP, IN, AU, SG, AE, SA, EG and ZA (Amazon.co.za shows R1,234.56).
DECIMAL_COMMA_COUNTRIES = frozenset({"DE", "FR", "IT", "ES", "NL", "SE", "PL", "BE", "TR", "BR"})


def decimal_comma(marketplace_id: str | None) -> bool:
    """True when the marketplace writes decimal commas; False for unknown or no marketplace."""
    found = MARKETPLACES.get(marketplace_id or "")
    return found is not None and found.country in DECIMAL_COMMA_COUNTRIES
