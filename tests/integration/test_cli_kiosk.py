"""`spapi-lake run --query` against the simulator: pages in the lake, linked, curated; bad input
is one line and exit 2, before any call."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from handlers.cli import app, execute
from handlers.cli_kiosk import run_queries
from handlers.cli_kiosk_plan import query_days
from handlers.cli_run import RunArgs
from tests.integration.spapi_wiring import credentials_env, quicken

ROOT = Path(__file__).resolve().parents[2]
SALES_FILE = str(ROOT / "queries" / "sales_traffic_by_date.graphql")
SALES_DATASET = "analytics_salesAndTraffic_2024_04_24"
SINCE, UNTIL = "2025-06-01", "2025-06-07"
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret", "demo-secret")
VENDOR_QUERY = (
    "query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(aggregateBy: DAY, "
    'startDate: "{{startDate}}", endDate: "{{endDate}}") { startDate marketplaceId } } }'
)


def _run(sim, lake: Path, capsys, caplog, **flags):
    """`run --query …` in-process; every output and log is checked for secrets and tracebacks."""
    args = RunArgs(
        lake=str(lake),
        endpoint=sim.url,
        lwa_endpoint=sim.token_url,
        region=flags.pop("region", "NA"),
        seller_id=flags.pop("seller_id", sim.seller_id),
        queries=flags.pop("queries", [SALES_FILE]),
        since=flags.pop("since", SINCE),
        until=flags.pop("until", UNTIL),
        **flags,
    )
    env = credentials_env(sim)
    out = io.StringIO()
    console = Console(file=out, width=250, force_terminal=False)
    with caplog.at_level(logging.DEBUG):
        code = execute(lambda: run_queries(args, console, env, tune=quicken))
    err = capsys.readouterr().err
    seen = out.getvalue() + err + caplog.text
    for marker in (*SECRET_MARKERS, sim.client_secret, sim.refresh_token):
        assert marker not in seen, f"{marker} leaked into output or logs"
    assert "Traceback" not in seen
    return code, out.getvalue(), err


def _files(lake: Path, area: str) -> list[Path]:
    return sorted(p for p in lake.glob(f"{area}/query=*/**/*") if p.is_file())


def _manifests(lake: Path) -> list[dict]:
    pages = [json.loads(p.read_text()) for p in _files(lake, "manifests")]
    return sorted(pages, key=lambda m: m["pagination"]["page"])


def test_a_two_page_query_lands_two_jsonl_pages_with_linked_manifests(
    simulator, tmp_path, capsys, caplog
):
    # given the simulator's default of two pages per query
    # when the sales and traffic query runs for a week
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)

    # then each page is its own JSONL file under the window's first day
    first, second = _manifests(tmp_path)
    pages = _files(tmp_path, "raw")
    folder = f"raw/query=sales_traffic_by_date/seller_id={simulator.seller_id}/dt={SINCE}"
    assert code == 0
    assert [p.relative_to(tmp_path).as_posix() for p in pages] == [
        f"{folder}/{first['queryId']}.jsonl",
        f"{folder}/{second['queryId']}.jsonl",
    ]
    # and the manifests link the pages both ways
    assert first["pagination"]["nextQueryId"] == second["queryId"]
    assert first["pagination"]["hasNextPage"] is True
    assert second["pagination"]["previousQueryId"] == first["queryId"]
    assert second["pagination"]["firstQueryId"] == first["queryId"]
    assert second["pagination"]["hasNextPage"] is False
    # and rows are counted per page, one per JSONL line, the filled dates in the query
    for manifest, page in zip((first, second), pages, strict=True):
        assert manifest["rows"] == len(page.read_text().splitlines()) > 0
        assert f'startDate: "{SINCE}"' in manifest["query"]
        assert f'endDate: "{UNTIL}"' in manifest["query"]
    # and the output has one line per page: its number, queryId, outcome and rows
    for number, manifest in enumerate((first, second), start=1):
        assert (
            f"sales_traffic_by_date page {number}: query {manifest['queryId']} DONE, "
            f"{manifest['rows']} rows"
        ) in out


def test_each_page_is_curated_into_the_kiosk_table(simulator, tmp_path, capsys, caplog):
    # Needs CurateService.curate to take a Data Kiosk page manifest (kiosk_* tables).
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)

    curated = sorted(tmp_path.glob("curated/kiosk_sales_traffic_by_date/**/*.parquet"))
    assert code == 0
    assert len(curated) == 2
    assert all(m["curated"]["tables"][0]["rows"] == m["rows"] for m in _manifests(tmp_path))
    assert "kiosk_sales_traffic_by_date" in out


def test_running_twice_reuses_the_pages_and_lands_no_duplicate(simulator, tmp_path, capsys, caplog):
    _run(simulator, tmp_path, capsys, caplog)
    before = {p: p.read_bytes() for p in _files(tmp_path, "raw")}

    code, out, _ = _run(simulator, tmp_path, capsys, caplog)

    assert code == 0
    assert {p: p.read_bytes() for p in _files(tmp_path, "raw")} == before
    assert len(_files(tmp_path, "manifests")) == 2
    assert out.count("(already in the lake)") == 2
    assert "created page" not in out


def test_a_fatal_page_keeps_its_error_document_and_exits_1_naming_it(
    simulator, tmp_path, capsys, caplog
):
    simulator.sim.kiosk_switches.fatal.add(SALES_DATASET)

    code, out, _ = _run(simulator, tmp_path, capsys, caplog)

    [error_document] = _files(tmp_path, "errors")
    [manifest] = _manifests(tmp_path)
    key = error_document.relative_to(tmp_path).as_posix()
    assert code == 1
    assert manifest["outcome"] == "fatal-with-document"
    assert manifest["key"] == key
    assert json.loads(error_document.read_text())
    assert _files(tmp_path, "raw") == []
    assert f"ended FATAL: its error document is {key}" in out


def test_a_query_is_found_by_its_name_in_the_stack_and_runs_over_its_window(
    simulator, tmp_path, capsys, caplog, monkeypatch
):
    # given the dev stack, whose economics query reads the last seven days (P7D)
    monkeypatch.chdir(ROOT)

    code, out, _ = _run(
        simulator,
        tmp_path,
        capsys,
        caplog,
        stack="dev",
        region=None,
        seller_id=None,
        queries=["economics"],
        since=None,
        until=None,
    )

    # then it runs for the stack's seller, filed under the window's first day
    first_day = datetime.now(UTC).date() - timedelta(days=7)
    assert code == 0, out
    pages = _files(tmp_path, "raw")
    assert len(pages) == 2
    assert all(f"seller_id=A0FAKESELLERDEV/dt={first_day}" in p.as_posix() for p in pages)
    assert "economics page 2" in out


def _query_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


SALES_TEXT = Path(SALES_FILE).read_text()
BAD_INPUTS = {
    "does not parse": (
        lambda tmp: {"queries": [_query_file(tmp, "broken.graphql", "query { nope")]},
        "query broken: does not parse",
    ),
    "does not validate": (
        lambda tmp: {
            "queries": [_query_file(tmp, "typo.graphql", SALES_TEXT.replace("sessions", "sesions"))]
        },
        f"query typo: invalid for {SALES_DATASET}",
    ),
    "vendor dataset for a seller": (
        lambda tmp: {"queries": [_query_file(tmp, "vendor.graphql", VENDOR_QUERY)]},
        "is for vendors, not for a seller; use --vendor",
    ),
    "unknown name": (
        lambda tmp: {"queries": ["no_such_query"]},
        "--query no_such_query: there is no queries/no_such_query.graphql",
    ),
    "no startDate placeholder": (
        lambda tmp: {
            "queries": [
                _query_file(tmp, "fixed.graphql", SALES_TEXT.replace("{{startDate}}", "2025-06-01"))
            ]
        },
        "query fixed: the file has no {{startDate}} placeholder",
    ),
    "since after until": (
        lambda tmp: {"since": "2025-06-08"},
        "--since 2025-06-08 is after the last day to query, 2025-06-07",
    ),
    "a datetime for a day": (
        lambda tmp: {"since": "2025-06-01T06:00Z"},
        "--since '2025-06-01T06:00Z' is not a date",
    ),
    "reports and queries at once": (
        lambda tmp: {"reports": ["GET_MERCHANT_LISTINGS_ALL_DATA"]},
        "--query excludes --report",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_calls_nothing(
    case, simulator, tmp_path, capsys, caplog, monkeypatch
):
    monkeypatch.chdir(ROOT)
    flags, message = BAD_INPUTS[case]
    lake = tmp_path / "lake"

    code, out, err = _run(simulator, lake, capsys, caplog, **flags(tmp_path))

    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert not lake.exists()
    assert not simulator.sim.calls
    assert out == ""


def test_days_default_to_the_window_ending_yesterday_or_to_yesterday_alone():
    today, week = date(2025, 6, 10), timedelta(days=7)

    assert query_days(None, None, week, today) == (date(2025, 6, 3), date(2025, 6, 9))
    assert query_days(None, None, timedelta(days=1), today) == (date(2025, 6, 9),) * 2
    assert query_days("2025-06-05", None, week, today) == (date(2025, 6, 5), date(2025, 6, 9))
    assert query_days(None, "2025-06-05", week, today) == (date(2025, 5, 30), date(2025, 6, 5))


def test_the_demo_lands_a_two_page_query_curates_it_and_shows_typed_rows(demo):
    result, lake = demo

    pages = _manifests(lake)
    assert [m["queryName"] for m in pages] == ["sales_traffic_by_date"] * 2
    assert pages[0]["pagination"]["nextQueryId"] == pages[1]["queryId"]
    assert all(m["curated"]["tables"][0]["table"] == "kiosk_sales_traffic_by_date" for m in pages)
    assert "sales_traffic_by_date page 2" in result.output
    assert "DECIMAL(18,2)" in result.output  # the typed rows the demo ends with


def test_spapi_lake_query_returns_typed_rows_from_the_demo_query(demo):
    _, lake = demo
    sql = (
        "SELECT query_id, start_date, sales_units_ordered FROM kiosk_sales_traffic_by_date "
        "ORDER BY query_id, start_date"
    )

    result = CliRunner().invoke(app, ["query", "--lake", str(lake), "--format", "json", sql])

    rows = json.loads(result.stdout)
    pages = _manifests(lake)
    assert result.exit_code == 0, result.output
    assert len(rows) == sum(m["rows"] for m in pages)
    assert {r["query_id"] for r in rows} == {m["queryId"] for m in pages}
    assert all(isinstance(r["sales_units_ordered"], int) for r in rows)
    assert all(date.fromisoformat(r["start_date"]) for r in rows)
