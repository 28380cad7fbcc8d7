"""GraphQlQueryValidator: Data Kiosk queries parsed and validated with graphql-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    parse,
    strip_ignored_characters,
    validate,
)

from domain.datakiosk.definitions import DATASETS, fill, schema_text, suits
from domain.errors import AudienceError, ConfigError
from domain.model import PartnerKind

# createQuery: "must be at most 8000 characters after unnecessary whitespace is removed".
MAX_QUERY_CHARS = 8000
# Placeholders are filled with these before checking, so the query is checked as Amazon sees it.
SAMPLE_START, SAMPLE_END, SAMPLE_MARKETPLACES = (
    date(2024, 1, 1),
    date(2024, 1, 7),
    ("ATVPDKIKX0DER",),
)


def _one_line(error: GraphQLError) -> str:
    where = ""
    if error.locations:
        where = f"line {error.locations[0].line}, column {error.locations[0].column}: "
    return where + " ".join(error.message.split())


class GraphQlQueryValidator:
    """The QueryValidator port over graphql-core and the schemas in domain/datakiosk/schemas."""

    def __init__(self) -> None:
        self._schemas: dict[str, GraphQLSchema] = {}

    def _schema(self, dataset: str) -> GraphQLSchema:
        if dataset not in self._schemas:
            self._schemas[dataset] = build_schema(schema_text(dataset))
        return self._schemas[dataset]

    def validate(self, name: str, text: str, kind: PartnerKind | None = None) -> str:
        """What the query reads, `<dataset>.<field>`; ConfigError (AudienceError for the kind),
        one line."""
        filled = fill(text, SAMPLE_START, SAMPLE_END, SAMPLE_MARKETPLACES)
        try:
            document = parse(filled)
        except GraphQLError as exc:
            raise ConfigError(f"query {name}: does not parse: {_one_line(exc)}") from None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation.value != "query":
            raise ConfigError(f"query {name}: expected exactly one query operation")
        fields = {
            s.name.value for s in operations[0].selection_set.selections if isinstance(s, FieldNode)
        }
        datasets = sorted(fields & set(DATASETS))
        if len(datasets) != 1 or len(fields) != 1:
            raise ConfigError(
                f"query {name}: selects {', '.join(sorted(fields)) or 'nothing'} at the top; "
                f"select exactly one dataset of {', '.join(DATASETS)}"
            )
        dataset = datasets[0]
        [top] = [s for s in operations[0].selection_set.selections if isinstance(s, FieldNode)]
        inner = [
            s
            for s in (top.selection_set.selections if top.selection_set else ())
            if isinstance(s, FieldNode)
        ]
        if len(inner) != 1:
            raise ConfigError(
                f"query {name}: select exactly one field of {dataset} (one table per query), "
                f"not {', '.join(f.name.value for f in inner) or 'none'}"
            )
        errors = validate(self._schema(dataset), document)
        if errors:
            raise ConfigError(f"query {name}: invalid for {dataset}: {_one_line(errors[0])}")
        size = len(strip_ignored_characters(filled))
        if size > MAX_QUERY_CHARS:
            raise ConfigError(
                f"query {name}: {size} characters without ignored whitespace; "
                f"Data Kiosk takes at most {MAX_QUERY_CHARS}"
            )
        if kind is not None and not suits(dataset, kind):
            raise AudienceError(
                f"query {name}: {dataset} is for {DATASETS[dataset]}s, not for a {kind}"
            )
        return f"{dataset}.{inner[0].name.value}"


def query_files(root: Path) -> Callable[[str], str]:
    """Reads a query file by its path relative to the repository root (OSError when missing)."""

    def read(path: str) -> str:
        return (root / path).read_text(encoding="utf-8")

    return read
