"""JSONL records shaped by a Data Kiosk query's selection set, with values typed by the schema."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)

from sandbox.catalog import locale
from sandbox.kiosk_schema import CheckedQuery

_MARKETPLACES = ("ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P")
_CURRENCIES = ("USD", "EUR", "GBP")


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            yield from _fields(fragments[selection.name.value].selection_set, fragments)


class _Shaper:
    def __init__(self, checked: CheckedQuery, seed: str) -> None:
        self._random = random.Random(seed)
        definitions = checked.document.definitions
        self._fragments = {
            d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operation = next(d for d in definitions if isinstance(d, OperationDefinitionNode))
        self.query_type = checked.schema.query_type
        # The record being shaped: its day and marketplace, among those asked for, and the
        # currency asked for (Vendor Analytics' currencyCode), else the marketplace's.
        self.day: date | None = None
        self.marketplace: str | None = None
        self.currency: str | None = None

    def fields(self, selection_set: SelectionSetNode) -> Iterator[FieldNode]:
        return _fields(selection_set, self._fragments)

    def value(self, node: FieldNode, kind: GraphQLOutputType) -> Any:
        if isinstance(kind, GraphQLNonNull):
            return self.value(node, kind.of_type)
        if isinstance(kind, GraphQLList):
            return [self.value(node, kind.of_type) for _ in range(self._random.randint(1, 2))]
        if isinstance(kind, GraphQLObjectType):
            assert node.selection_set is not None  # validation demands sub-selections
            return self.obj(node.selection_set, kind)
        if isinstance(kind, GraphQLEnumType):
            return self._random.choice(list(kind.values))
        return self.scalar(node.name.value, getattr(kind, "name", "String"))

    def obj(self, selection_set: SelectionSetNode, kind: GraphQLObjectType) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for node in self.fields(selection_set):
            if node.name.value == "__typename":
                record[(node.alias or node.name).value] = kind.name
                continue
            record[(node.alias or node.name).value] = self.value(
                node, kind.fields[node.name.value].type
            )
        return record

    def scalar(self, field: str, kind: str) -> Any:
        pick = self._random
        lower = field.lower()
        if kind == "Date" or lower.endswith("date"):
            if self.day is not None:
                return self.day.isoformat()
            return (date(2025, 1, 1) + timedelta(days=pick.randint(0, 364))).isoformat()
        if kind in ("Int", "Long"):
            return pick.randint(0, 500)
        if kind == "Float":
            return round(pick.uniform(0, 1000), 2)
        if kind == "Boolean":
            return pick.random() < 0.5
        if "marketplace" in lower:
            return self.marketplace or pick.choice(_MARKETPLACES)
        if "currency" in lower:
            if self.currency:
                return self.currency
            return locale(self.marketplace)[0] if self.marketplace else pick.choice(_CURRENCIES)
        if "asin" in lower:
            return "B0" + "".join(
                pick.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8)
            )
        return f"{field}-{pick.randint(1, 9999)}"


def records(
    checked: CheckedQuery, seed: str, rows: int, first: int = 0, home: str | None = None
) -> list[dict[str, Any]]:
    """`rows` records per list-valued field under the dataset, as Amazon writes one per line;
    `first` is the number of records earlier pages held, so that pages go on where they left.
    Record i falls on day i mod D of marketplace i div D, so no day and marketplace repeat
    until every one asked for has its record (a by-date table has one row per pair). A query
    that names no marketplace (Vendor Analytics) gets the partner's `home` marketplace."""
    shaper = _Shaper(checked, seed)
    assert shaper.query_type is not None
    found: list[dict[str, Any]] = []
    for root in shaper.fields(shaper.operation.selection_set):
        dataset = shaper.query_type.fields[root.name.value].type
        while isinstance(dataset, GraphQLNonNull | GraphQLList):
            dataset = dataset.of_type
        assert isinstance(dataset, GraphQLObjectType)
        assert root.selection_set is not None
        for node in shaper.fields(root.selection_set):
            kind = dataset.fields[node.name.value].type
            while isinstance(kind, GraphQLNonNull | GraphQLList):
                kind = kind.of_type
            if not isinstance(kind, GraphQLObjectType) or node.selection_set is None:
                continue
            days, marketplaces, shaper.currency = _arguments(node)
            marketplaces = marketplaces or ([home] if home else [])
            for row in range(first, first + rows):
                shaper.day = days[row % len(days)] if days else None
                across = row // len(days) if days else row
                shaper.marketplace = (
                    marketplaces[across % len(marketplaces)] if marketplaces else None
                )
                found.append(shaper.obj(node.selection_set, kind))
    return found


def _arguments(node: FieldNode) -> tuple[list[date], list[str], str | None]:
    """The days between the field's startDate and endDate (both inclusive), its marketplaceIds
    and its currencyCode, so that records fall inside what was asked for."""
    given = {a.name.value: value_from_ast_untyped(a.value) for a in node.arguments or ()}
    days: list[date] = []
    try:
        start = date.fromisoformat(str(given["startDate"]))
        end = date.fromisoformat(str(given["endDate"]))
        days = [start + timedelta(days=i) for i in range(min((end - start).days + 1, 366))]
    except (KeyError, ValueError):
        pass  # no dates asked for: any day
    listed = given.get("marketplaceIds")
    marketplaces = [str(m) for m in listed] if isinstance(listed, list) else []
    currency = given.get("currencyCode")
    return days, marketplaces, str(currency) if currency else None


def jsonl(
    checked: CheckedQuery, seed: str, rows: int, first: int = 0, home: str | None = None
) -> bytes:
    found = records(checked, seed, rows, first, home)
    lines = (json.dumps(r, separators=(",", ":")) for r in found)
    return "".join(f"{line}\n" for line in lines).encode("utf-8")
