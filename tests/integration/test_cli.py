"""The `spapi-lake` CLI against the simulator: what the user sees, and what the lake holds.

One test per fault switch, plus usage and credential errors (exit 2) and the demo.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from handlers.cli import app, execute
from handlers.cli_run import RunArgs, run_reports
from tests.integration.spapi_wiring import credentials_env, quicken

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SECRET_MARKERS = ("Atza|", "Atzr|", "X-Amz-Signature", "client_secret", "demo-secret")


def _env(sim, **changes):
    env = {**credentials_env(sim), **changes}
    return {k: v for k, v in env.items() if v is not None}


def _run(sim, lake: Path, capsys, caplog, env=None, **flags):
    args = RunArgs(
        lake=str(lake),
        endpoint=sim.url,
        lwa_endpoint=sim.token_url,
        region="NA",
        seller_id=sim.seller_id,
        marketplaces=flags.pop("marketplaces", ["ATVPDKIKX0DER"]),
        reports=flags.pop("reports", [LISTINGS]),
        **flags,
    )
    out = io.StringIO()
    console = Console(file=out, width=250, force_terminal=False)
    with caplog.at_level(logging.DEBUG):
        code = execute(lambda: run_reports(args, console, env or _env(sim), tune=quicken))
    err = capsys.readouterr().err
    seen = out.getvalue() + err + caplog.text
    for marker in SECRET_MARKERS:
        assert marker not in seen, f"{marker} leaked into output or logs"
    assert "Traceback" not in seen
    return code, out.getvalue(), err


def _manifests(lake: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(lake.glob("manifests/**/*.json"))]


def _objects(lake: Path, area: str) -> list[Path]:
    return sorted(p for p in lake.glob(f"{area}/**/*") if p.is_file())


def test_a_run_stores_utf8_text_and_its_manifest(simulator, tmp_path, capsys, caplog):
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)
    [stored] = _objects(tmp_path, "raw")
    [manifest] = _manifests(tmp_path)
    assert code == 0
    assert "Café" in stored.read_text(encoding="utf-8")
    assert manifest["charset"] == "Cp1252"
    assert manifest["rows"] == 200
    assert manifest["processingStatus"] == "DONE"
    assert "DONE" in out
    assert not list(tmp_path.rglob("*.tmp*"))


def test_running_twice_reuses_the_report_and_writes_no_duplicate(
    simulator, tmp_path, capsys, caplog
):
    _run(simulator, tmp_path, capsys, caplog)
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)
    assert code == 0
    assert "reusing" in out
    assert len(_objects(tmp_path, "raw")) == 1


def test_fatal_keeps_the_error_document_and_exits_1(simulator, tmp_path, capsys, caplog):
    simulator.sim.faults.fatal.add(LISTINGS)
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)
    [error_document] = _objects(tmp_path, "errors")
    [manifest] = _manifests(tmp_path)
    assert code == 1
    assert error_document.read_text(encoding="utf-8").strip()
    assert manifest["outcome"] == "fatal-with-document"
    assert _objects(tmp_path, "raw") == []
    assert "FATAL" in out


def test_fatal_without_a_document_records_a_manifest_and_exits_1(
    simulator, tmp_path, capsys, caplog
):
    simulator.sim.faults.fatal_without_document.add(LISTINGS)
    code, _, _ = _run(simulator, tmp_path, capsys, caplog)
    [manifest] = _manifests(tmp_path)
    assert code == 1
    assert manifest["outcome"] == "fatal"
    assert _objects(tmp_path, "raw") + _objects(tmp_path, "errors") == []


def test_cancelled_is_no_data_not_an_error(simulator, tmp_path, capsys, caplog):
    simulator.sim.faults.cancelled.add(LISTINGS)
    code, out, _ = _run(simulator, tmp_path, capsys, caplog)
    [manifest] = _manifests(tmp_path)
    assert code == 0
    assert manifest["outcome"] == "no-data"
    assert _objects(tmp_path, "raw") == []
    assert "no data" in out


@pytest.mark.parametrize(
    "fault",
    [
        "server_errors",
        "throttle_storm",
        "lwa_errors",
        "expire_urls",
        "truncate_downloads",
        "corrupt_downloads",
    ],
)
def test_transient_faults_are_retried_and_the_report_lands(
    fault, simulator, tmp_path, capsys, caplog
):
    setattr(simulator.sim.faults, fault, 2)
    code, _, err = _run(simulator, tmp_path, capsys, caplog)
    [stored] = _objects(tmp_path, "raw")
    assert (code, err) == (0, "")
    assert getattr(simulator.sim.faults, fault) == 0, "the fault was never hit"
    assert "Café" in stored.read_text(encoding="utf-8")


def test_a_revoked_refresh_token_fails_fast_with_one_line_and_exit_2(
    simulator, tmp_path, capsys, caplog
):
    simulator.sim.faults.revoked_refresh_tokens.add(simulator.refresh_token)
    code, _, err = _run(simulator, tmp_path, capsys, caplog)
    assert code == 2
    assert "invalid_grant" in err or "authoris" in err
    assert len(err.strip().splitlines()) == 1
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_wrong_client_secret_is_a_distinct_error(simulator, tmp_path, capsys, caplog):
    env = _env(simulator, SPAPI_CLIENT_SECRET="amzn1.oa2-cs.v1.wrong")
    code, _, err = _run(simulator, tmp_path, capsys, caplog, env=env)
    assert code == 2
    assert "client" in err
    assert "wrong" not in err


def test_a_missing_variable_is_named_before_any_call(simulator, tmp_path, capsys, caplog):
    env = _env(simulator, SPAPI_REFRESH_TOKEN=None)
    code, _, err = _run(simulator, tmp_path, capsys, caplog, env=env)
    assert code == 2
    assert "SPAPI_REFRESH_TOKEN" in err
    assert simulator.sim.notifications == []


def test_an_unknown_marketplace_is_a_usage_error(simulator, tmp_path, capsys, caplog):
    code, _, err = _run(simulator, tmp_path, capsys, caplog, marketplaces=["A1PA6795UKMFR9"])
    assert code == 2
    assert "A1PA6795UKMFR9 (DE) belongs to region EU" in err


def test_bad_dates_and_options_are_usage_errors(simulator, tmp_path, capsys, caplog):
    assert _run(simulator, tmp_path, capsys, caplog, since="last week")[0] == 2
    assert _run(simulator, tmp_path, capsys, caplog, options=["novalue"])[0] == 2


def test_the_command_line_reports_usage_errors_without_a_traceback(tmp_path):
    result = CliRunner().invoke(app, ["run", "--lake", str(tmp_path)], env={})
    assert result.exit_code == 2
    assert "--region is required" in result.output
    assert "Traceback" not in result.output


def test_help_text_reads_whole_on_a_wide_terminal():
    # the docstrings' paragraphs are reflowed, and no <placeholder> is swallowed as markup
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "SPAPI_REFRESH_TOKEN (the seller's, or with --vendor" in result.output
    assert "Pulumi.STACK.yaml" in result.output


def test_the_demo_fills_the_lake_offline(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--lake", str(tmp_path / "lake")])
    lake = tmp_path / "lake"
    manifests = _manifests(lake)
    listings = [p for p in _objects(lake, "raw") if LISTINGS in str(p)]
    reports = [m for m in manifests if "reportType" in m]
    assert result.exit_code == 0, result.output
    assert len(reports) == 7  # six of the seller's, one vendor sales report
    assert {m["processingStatus"] for m in manifests} == {"DONE"}
    assert {m["reportType"] for m in reports} >= {LISTINGS, "GET_SALES_AND_TRAFFIC_REPORT"}
    assert len(manifests) == 9  # and the two pages of a Data Kiosk query (test_cli_kiosk)
    assert "€" in listings[0].read_text(encoding="utf-8") or "é" in listings[0].read_text()
    assert "ingested reports" in result.output
