"""`spapi-lake query`, `tables` and `curate`: SQL over a local lake, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from adapters.duckdb_query import DuckDbLakeQuery, QueryResult, to_duckdb
from domain.errors import ConfigError
from domain.registry.views import DEMO_QUERY, SAMPLE_QUERIES

FORMATS = ("table", "csv", "json")
TABLE_ROWS = 200  # a terminal table beyond this is unreadable; csv and json print every row
WIDEST = 40  # characters a column may take before its values wrap
_NUMERIC = ("DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT")


def run_curate(
    lake: str, since: str | None, report_type: str | None, kms_key_id: str | None, console: Console
) -> bool:
    """Curates every stored report in scope again; False (exit 1) when a table was refused."""
    from handlers.cli_run import curate_container

    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise ConfigError(f"--since {since!r} is not an ISO date, e.g. 2026-11-01") from None
    summary = curate_container(lake, kms_key_id).curate().backfill(day, report_type)
    console.print(
        f"curated {summary.curated} report(s) and query page(s); {summary.refused} with a table "
        f"refused (the manifest says why); {summary.skipped} without a document to curate"
    )
    return summary.refused == 0


def local_lake(lake: str) -> Path:
    if "://" in lake:
        raise ConfigError(
            f"--lake {lake}: queries run on a local lake directory; query an s3:// lake in Athena"
        )
    return Path(lake)


def run_query(lake: str, sql: str, output: str, console: Console, errors: Console) -> None:
    """Prints the result of `sql`; a lake without curated data is said on stderr, once."""
    if output not in FORMATS:
        raise ConfigError(f"--format {output!r} is not one of {', '.join(FORMATS)}")
    with DuckDbLakeQuery(local_lake(lake)) as engine:
        relations = engine.relations()
        if not any(r.files for r in relations):
            raise ConfigError(
                f"the lake {lake} holds no reports yet: run `spapi-lake demo` or `spapi-lake run`"
            )
        if not any(r.files for r in relations if r.kind == "curated"):
            errors.print(
                f"note: the lake {lake} has no curated data yet (only raw_* tables have rows); "
                f"`spapi-lake curate --lake {lake}` builds it",
                highlight=False,
                soft_wrap=True,
            )
        result = engine.query(sql)
        if output == "table":
            print_table(result, console)
        elif output == "csv":
            _write_csv(result, console)
        else:
            _write_json(result, console)


def print_sample(lake: Path, console: Console, name: str = DEMO_QUERY) -> None:
    """One sample question and its answer, the Athena SQL run locally."""
    query = next(q for q in SAMPLE_QUERIES if q.name == name)
    with DuckDbLakeQuery(lake) as engine:
        print_table(engine.query(to_duckdb(query.sql)), console, title=query.question)


def print_table(result: QueryResult, console: Console, title: str | None = None) -> None:
    """The first rows, and as many leading columns as the terminal fits, each under its type."""
    rows = list(islice(_rows(result), TABLE_ROWS + 1))
    more = len(rows) > TABLE_ROWS
    texts = [[_text(v) for v in row] for row in rows[:TABLE_ROWS]]
    shown = _fitting(result, texts, console.width)
    table = Table(title=title, title_justify="left")
    for name, kind in list(zip(result.columns, result.types, strict=True))[:shown]:
        numeric = kind.startswith(_NUMERIC)
        table.add_column(f"{name}\n[dim]{kind}[/]", justify="right" if numeric else "left")
    for text in texts:
        table.add_row(*(escape(t) for t in text[:shown]))
    console.print(table)
    notes = [f"first {TABLE_ROWS} rows" if more else f"{len(texts)} row{'s' * (len(texts) != 1)}"]
    if hidden := len(result.columns) - shown:
        notes.append(f"{hidden} more column{'s' * (hidden != 1)} not shown")
    if more or hidden:
        notes.append("--format csv or json prints everything")
    if result.columns:
        console.print(f"({'; '.join(notes)})", highlight=False)


def _fitting(result: QueryResult, texts: list[list[str]], width: int) -> int:
    """How many leading columns fit `width` (at least one): wide results stay readable."""
    used = 1
    for index, (name, kind) in enumerate(zip(result.columns, result.types, strict=True)):
        longest = max([len(name), len(kind), *(len(t[index]) for t in texts)])
        used += min(longest, WIDEST) + 3  # padding and the border
        if used > width and index:
            return index
    return len(result.columns)


def _rows(result: QueryResult) -> Iterator[tuple[Any, ...]]:
    for batch in result.batches:
        yield from batch


def _write_csv(result: QueryResult, console: Console) -> None:
    # The console's file, not console.print: CSV must not be wrapped or styled.
    writer = csv.writer(console.file, lineterminator="\n")
    writer.writerow(result.columns)
    for row in _rows(result):
        writer.writerow(["" if v is None else _text(v) for v in row])


def _write_json(result: QueryResult, console: Console) -> None:
    """A list of objects, streamed. Decimals are strings so that no digit is lost to a float."""
    out = console.file
    out.write("[")
    for index, row in enumerate(_rows(result)):
        record = dict(zip(result.columns, row, strict=True))
        out.write(("," if index else "") + "\n  " + json.dumps(record, default=_json_value))
    out.write("\n]\n")


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)  # Decimal, UUID, timedelta, bytes: their exact text


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | int | float | str):
        return str(value)
    return json.dumps(value, default=_json_value, ensure_ascii=False)


def list_tables(lake: str, console: Console) -> None:
    """Every table and view: its name and rows on one line, its typed columns indented below."""
    with DuckDbLakeQuery(local_lake(lake)) as engine:
        for relation in engine.relations():
            rows = engine.query(f"SELECT count(*) FROM {relation.name}")  # noqa: S608
            [[(count,)]] = list(rows.batches)
            console.print(Text.assemble((relation.name, "bold"), f"  {count:,} rows"))
            if relation.kind == "latest":
                about = f"the newest rows of {relation.name.removesuffix('_latest')}"
            else:
                described = _rows(engine.query(f"DESCRIBE {relation.name}"))
                about = ", ".join(f"{row[0]} {row[1]}" for row in described)
            console.print(Padding(Text(about, style="dim"), (0, 0, 0, 2)))
