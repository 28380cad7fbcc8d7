"""Check Data Kiosk queries as Amazon does: parsed, within 8,000 characters, valid for a dataset."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)
from graphql.utilities import strip_ignored_characters

from sandbox.wsgi import invalid_input

MAX_QUERY_CHARS = 8000


def schema_dir() -> Path:
    """Where the dataset schemas live: the domain's copy of Amazon's .graphql files."""
    return Path(__file__).resolve().parent.parent / "domain" / "datakiosk" / "schemas"


@cache
def schemas() -> dict[str, GraphQLSchema]:
    """Dataset name (the top-level Query field, e.g. analytics_economics_2024_03_15) -> schema."""
    found = {}
    for path in sorted(schema_dir().glob("*.graphql")):
        schema = build_schema(path.read_text(encoding="utf-8"))
        assert schema.query_type is not None
        for name in schema.query_type.fields:
            found[name] = schema
    return found


@dataclass(frozen=True)
class CheckedQuery:
    dataset: str
    schema: GraphQLSchema
    document: DocumentNode


def _message(errors: list[GraphQLError]) -> str:
    return "; ".join(error.message for error in errors[:5])


def check(query: str) -> CheckedQuery:
    """The dataset a query reads, or ApiError 400 (InvalidInput) naming what is wrong."""
    try:
        document = parse(query)
    except GraphQLError as error:
        raise invalid_input(f"Invalid query: {error.message}") from None
    if len(strip_ignored_characters(query)) > MAX_QUERY_CHARS:
        raise invalid_input(
            f"The query must be at most {MAX_QUERY_CHARS} characters after unnecessary "
            "whitespace is removed."
        )
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "query":
        raise invalid_input("Invalid query: send exactly one query operation.")
    roots = [s.name.value for s in operations[0].selection_set.selections if hasattr(s, "name")]
    known = schemas()
    datasets = sorted(set(roots))
    if len(datasets) != 1 or datasets[0] not in known:
        names = ", ".join(sorted(known))
        raise invalid_input(f"Invalid query: select exactly one dataset of {names}.")
    schema = known[datasets[0]]
    errors = validate(schema, document)
    if errors:
        raise invalid_input(f"Invalid query: {_message(errors)}")
    return CheckedQuery(datasets[0], schema, document)
