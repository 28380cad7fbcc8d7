"""Column names: the snake_case contract users write SQL against."""

from __future__ import annotations

import re

# A word boundary sits between a lower-case letter and a capital (`orderedRevenue`), and before
# a capital that starts a capitalised word after a run of capitals or digits (`ASINCount`,
# `aged90PlusDays`). A capital after a digit that starts no word stays put, so `B2B` is one word.
_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def snake_case(text: str) -> str:
    """`item-name` -> `item_name`, `orderedRevenue.amount` -> `ordered_revenue_amount`.

    Lower case; camelCase boundaries and every run of characters other than ASCII letters and
    digits become `_`; nested JSON paths are therefore joined with `_`; no leading or trailing
    `_`. Acronyms stay whole: `childASIN` -> `child_asin`, `unitsOrderedB2B` -> `units_ordered_b2b`.
    """
    spaced = _BOUNDARY.sub("_", text)
    return _NON_ALNUM.sub("_", spaced.lower()).strip("_")
