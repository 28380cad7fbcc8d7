"""The `spapi-lake` command line: ingest, curate, query, sandbox. Exit 0 ok, 1 failures, 2 usage."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.console import Console

from domain.errors import AuthError, ConfigError, SpApiLakeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    help="Bring Amazon SP-API reports and Data Kiosk queries into a data lake.",
)
console = Console(stderr=False)
errors = Console(stderr=True)

LakeOption = Annotated[
    str, typer.Option("--lake", help="Directory (or s3://bucket/prefix) to store reports in.")
]


def _report(code: int, message: str) -> int:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    return code


@app.command()
def demo(lake: LakeOption = "lake") -> None:
    """Ingest sample reports and a Data Kiosk query from the bundled simulator, offline."""
    from handlers.cli_demo import run_demo

    _exit(lambda: run_demo(Path(lake), console))


@app.command()
def run(
    lake: LakeOption = "lake",
    endpoint: Annotated[str | None, typer.Option(help="SP-API base URL.")] = None,
    lwa_endpoint: Annotated[str | None, typer.Option(help="LWA token URL.")] = None,
    region: Annotated[str | None, typer.Option(help="NA, EU or FE.")] = None,
    seller_id: Annotated[str | None, typer.Option(help="Selling partner id.")] = None,
    vendor: Annotated[
        str | None, typer.Option(help="Vendor account id (amzn1.vg.…), instead of --seller-id.")
    ] = None,
    marketplace: Annotated[list[str] | None, typer.Option(help="Marketplace id (repeat).")] = None,
    report: Annotated[list[str] | None, typer.Option(help="Report type (repeat).")] = None,
    query: Annotated[
        list[str] | None,
        typer.Option(
            help="Data Kiosk query instead of reports: a .graphql file, a --stack query's "
            "name, or NAME for queries/NAME.graphql (repeat)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Data start, ISO date or datetime (a query: a day).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Data end (default: now; a query: the last day, by default yesterday)."),
    ] = None,
    option: Annotated[list[str] | None, typer.Option(help="reportOptions KEY=VALUE.")] = None,
    stack: Annotated[
        str | None, typer.Option(help="Read the stack file Pulumi.STACK.yaml.")
    ] = None,
    kms_key_id: Annotated[str | None, typer.Option(help="KMS key for an s3:// lake.")] = None,
    queue_url: Annotated[
        str | None, typer.Option(help="Wait on this SQS queue's notifications, not polling.")
    ] = None,
    rate_limit_table: Annotated[
        str | None,
        typer.Option(
            help="Share a deployment's DynamoDB rate-limit buckets (default: in-process)."
        ),
    ] = None,
) -> None:
    """Bring reports or Data Kiosk queries from SP-API (or a server with its contract) into a lake.

    Credentials come from SPAPI_CLIENT_ID, SPAPI_CLIENT_SECRET and SPAPI_REFRESH_TOKEN (the
    seller's, or with --vendor the vendor account's). Report types are checked against the
    catalog (--option KEY=VALUE for reportOptions) and windows snapped to whole periods. AWS
    access (an s3:// lake, --queue-url) comes from the usual AWS environment, AWS_ENDPOINT_URL
    included.

    With --query, Data Kiosk queries run instead, every page stored and curated: the file is
    validated first (its schema, 8,000 characters, the partner's kind), and --since/--until
    are the first and last day (by default the stack query's window, or yesterday).
    """
    from handlers.cli_run import RunArgs, run_reports

    args = RunArgs(
        lake=lake,
        endpoint=endpoint,
        lwa_endpoint=lwa_endpoint,
        region=region,
        seller_id=seller_id,
        vendor=vendor,
        marketplaces=marketplace or [],
        reports=report or [],
        queries=query or [],
        since=since,
        until=until,
        options=option or [],
        stack=stack,
        kms_key_id=kms_key_id,
        queue_url=queue_url,
        rate_limit_table=rate_limit_table,
    )
    if args.queries:
        from handlers.cli_kiosk import run_queries

        _exit(lambda: run_queries(args, console, os.environ))
        return
    _exit(lambda: run_reports(args, console, os.environ))


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    sqs_endpoint: Annotated[
        str | None,
        typer.Option(
            help="Deliver notifications to SQS at this endpoint ('aws' for AWS itself).",
            envvar=["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"],
        ),
    ] = None,
) -> None:
    """Serve the SP-API simulator (LWA, Reports, Data Kiosk, Notifications) until interrupted."""
    if sqs_endpoint:
        from handlers.cli_cloud import serve_sandbox_with_sqs

        _exit(lambda: serve_sandbox_with_sqs(port, sqs_endpoint, console))
        return
    from handlers.cli_demo import serve_sandbox

    _exit(lambda: serve_sandbox(port, console))


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over the lake's tables and views.")],
    lake: Annotated[str, typer.Option("--lake", help="The lake directory.")] = "lake",
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Run SQL on the local lake: curated tables, their `_latest` views, `raw_<report type>`."""
    _exit(lambda: _analytics().run_query(lake, sql, output, console, errors))


@app.command()
def tables(
    lake: Annotated[str, typer.Option("--lake", help="The lake directory.")] = "lake",
) -> None:
    """List the tables and views `query` can use, with their rows and typed columns."""
    _exit(lambda: _analytics().list_tables(lake, console))


@app.command()
def curate(
    lake: LakeOption = "lake",
    since: Annotated[
        str | None, typer.Option(help="Only reports whose dt is this ISO date or later.")
    ] = None,
    report_type: Annotated[
        str | None, typer.Option("--report-type", help="Only reports of this type.")
    ] = None,
    kms_key_id: Annotated[str | None, typer.Option(help="KMS key for an s3:// lake.")] = None,
) -> None:
    """(Re)build curated Parquet from raw reports and query pages: backfills, registry changes."""
    _exit(lambda: _analytics().run_curate(lake, since, report_type, kms_key_id, console))


def _analytics() -> ModuleType:
    """The query and curate commands, which need DuckDB and sqlglot (extras analytics, cli)."""
    try:
        from handlers import cli_query
    except ImportError as exc:
        raise ConfigError(
            f"this command needs {exc.name}: pip install 'spapi-lake[cli,analytics]'"
        ) from None
    return cli_query


def execute(action: Callable[[], bool | None]) -> int:
    """Run a command and return its exit code; user errors become one line on stderr."""
    try:
        ok = action()
    except (ConfigError, AuthError) as exc:
        return _report(2, str(exc))
    except SpApiLakeError as exc:
        return _report(1, str(exc))
    except KeyboardInterrupt:
        return _report(130, "interrupted")
    return 1 if ok is False else 0


def _exit(action: Callable[[], bool | None]) -> None:
    code = execute(action)
    if code:
        raise typer.Exit(code)


def main() -> None:
    app(prog_name="spapi-lake")


if __name__ == "__main__":
    main()
