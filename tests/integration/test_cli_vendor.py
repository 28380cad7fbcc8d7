"""`spapi-lake run --vendor` against the simulator: a vendor sales report lands, a misaligned
window is snapped and said, and every config mistake is one line with exit code 2."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from domain.errors import ConfigError
from handlers.cli import app, execute
from handlers.cli_options import build_plan
from handlers.cli_run import RunArgs, run_reports
from sandbox.settings import DEMO_VENDOR_ID, DEMO_VENDOR_MARKETPLACE, DEMO_VENDOR_REFRESH_TOKEN
from tests.integration.spapi_wiring import credentials_env, quicken

SALES = "GET_VENDOR_SALES_REPORT"
WEEKLY = ["distributorView=MANUFACTURING", "reportPeriod=WEEK", "sellingProgram=RETAIL"]


def _env(sim, refresh_token=DEMO_VENDOR_REFRESH_TOKEN):
    return {**credentials_env(sim), "SPAPI_REFRESH_TOKEN": refresh_token}


def _run(sim, lake: Path, capsys, **flags):
    named = "seller_id" in flags or "vendor" in flags
    partner = {} if named else {"vendor": DEMO_VENDOR_ID}
    args = RunArgs(
        lake=str(lake),
        endpoint=sim.url,
        lwa_endpoint=sim.token_url,
        region="NA",
        **partner,
        marketplaces=flags.pop("marketplaces", [DEMO_VENDOR_MARKETPLACE]),
        reports=flags.pop("reports", [SALES]),
        options=flags.pop("options", WEEKLY),
        **flags,
    )
    out = io.StringIO()
    console = Console(file=out, width=250, force_terminal=False)
    code = execute(lambda: run_reports(args, console, _env(sim), tune=quicken))
    err = capsys.readouterr().err
    assert "Traceback" not in out.getvalue() + err
    return code, out.getvalue(), err


def _a_wednesday_weeks_ago(weeks: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=(today.weekday() - 2) % 7 + 7 * weeks)


def test_a_misaligned_weekly_window_is_snapped_said_and_the_report_lands(
    simulator, tmp_path, capsys
):
    since = _a_wednesday_weeks_ago(5)
    sunday = since - timedelta(days=3)
    code, out, err = _run(simulator, tmp_path, capsys, since=since.date().isoformat())
    manifests = [json.loads(p.read_text()) for p in tmp_path.glob("manifests/**/*.json")]
    assert (code, err) == (0, ""), out
    snapped = [line for line in out.splitlines() if "window snapped to whole WEEKs" in line]
    assert len(snapped) == 1
    assert f"{SALES}: window snapped to whole WEEKs: {sunday.date()}.." in snapped[0]
    assert {m["processingStatus"] for m in manifests} == {"DONE"}
    assert {m["sellerId"] for m in manifests} == {DEMO_VENDOR_ID}
    assert all(datetime.fromisoformat(m["dataStartTime"]).weekday() == 6 for m in manifests), (
        "every request starts on a Sunday"
    )
    assert {m["outcome"] for m in manifests} == {"stored"}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            {"options": ["reportPeriod=WEEK", "sellingProgram=RETAIL"]},
            "--option: GET_VENDOR_SALES_REPORT: reportOption distributorView is required; "
            "allowed: MANUFACTURING, SOURCING",
        ),
        (
            {"options": [*WEEKLY[:1], "reportPeriod=WEEKLY", WEEKLY[2]]},
            "--option: GET_VENDOR_SALES_REPORT: reportOption reportPeriod='WEEKLY' is not "
            "allowed; allowed: DAY, WEEK, MONTH, QUARTER, YEAR",
        ),
        (
            {"reports": ["GET_MERCHANT_LISTINGS_ALL_DATA"], "options": []},
            f"GET_MERCHANT_LISTINGS_ALL_DATA is seller-only: vendor {DEMO_VENDOR_ID} cannot "
            "request it (Amazon answers 400 InvalidInput); use --seller-id for a seller",
        ),
        (
            {"options": [*WEEKLY, "currencyCode=USD"]},
            "--option currencyCode: no report type here takes it",
        ),
        (
            {"since": None},
            "--since: GET_VENDOR_SALES_REPORT needs a data window",
        ),
        (
            {"marketplaces": [DEMO_VENDOR_MARKETPLACE, "A2EUQ1WTGCTBG2"]},
            "--marketplace: a vendor account belongs to exactly one marketplace",
        ),
        (
            {"seller_id": "A1DEMOSELLER0", "reports": [SALES]},
            "GET_VENDOR_SALES_REPORT is vendor-only: seller A1DEMOSELLER0 cannot request it",
        ),
        (
            {"since": datetime.now(UTC).date().isoformat()},
            "GET_VENDOR_SALES_REPORT: nothing to request in",
        ),
    ],
)
def test_a_config_mistake_is_one_line_and_exit_2_before_any_request(
    flags, message, simulator, tmp_path, capsys
):
    flags = {"since": _a_wednesday_weeks_ago(3).date().isoformat(), **flags}
    code, out, err = _run(simulator, tmp_path, capsys, **flags)
    assert code == 2, out
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_vendor_and_seller_id_exclude_each_other(simulator, tmp_path, capsys):
    args = RunArgs(
        lake=str(tmp_path),
        region="NA",
        seller_id="A1DEMOSELLER0",
        vendor=DEMO_VENDOR_ID,
        marketplaces=[DEMO_VENDOR_MARKETPLACE],
        reports=[SALES],
    )
    code = execute(lambda: run_reports(args, Console(file=io.StringIO()), _env(simulator)))
    assert code == 2
    assert "--seller-id and --vendor exclude each other" in capsys.readouterr().err


def test_a_malformed_vendor_id_is_named(simulator, tmp_path, capsys):
    code, _, err = _run(simulator, tmp_path, capsys, vendor="A1DEMOSELLER0", since="2026-01-01")
    assert code == 2
    assert "--vendor: 'A1DEMOSELLER0' is not a vendor group id like amzn1.vg.1234567" in err


def test_the_demo_stores_a_vendor_sales_report_beside_the_seller_reports(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--lake", str(tmp_path / "lake")])
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "lake").glob("manifests/**/*.json")]
    vendor = [m for m in manifests if m.get("reportType") == SALES]
    assert result.exit_code == 0, result.output
    assert [(m["sellerId"], m["processingStatus"], m["outcome"]) for m in vendor] == [
        (DEMO_VENDOR_ID, "DONE", "stored")
    ]
    assert datetime.fromisoformat(vendor[0]["dataStartTime"]).weekday() == 6  # a Sunday
    assert f"{SALES}: window snapped to whole WEEKs" in result.output
    assert {m["sellerId"] for m in manifests} == {"A1DEMOSELLER0", DEMO_VENDOR_ID}


ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


def _stack_plan(**flags):
    arguments = {
        "stack": "dev",
        "region": None,
        "seller_id": None,
        "marketplaces": [],
        "reports": [],
        "since": None,
        "until": None,
        "options": [],
        "now": NOW,
        "directory": ROOT,
        **flags,
    }
    return build_plan(**arguments)


def test_vendor_picks_the_stacks_vendor_and_its_reports():
    result = _stack_plan(vendor=DEMO_VENDOR_ID)
    assert {(r.seller_id, r.report_type) for r in result.requests} == {(DEMO_VENDOR_ID, SALES)}
    assert [str(n) for n in result.notes] == [
        f"{SALES}: window snapped to whole WEEKs: 2026-11-15..2026-11-28 "
        "(a WEEK is available 48 h after it ends)"
    ]


def test_a_stack_run_plans_each_report_for_its_own_partners():
    owners = {(r.seller_id, r.report_type) for r in _stack_plan().requests}
    assert (DEMO_VENDOR_ID, SALES) in owners
    assert (DEMO_VENDOR_ID, "GET_MERCHANT_LISTINGS_ALL_DATA") not in owners
    assert ("A0FAKESELLERDEV", "GET_MERCHANT_LISTINGS_ALL_DATA") in owners


def test_an_option_flag_overrides_the_stacks_option_for_the_types_that_take_it():
    monthly = {"vendor": DEMO_VENDOR_ID, "options": ["reportPeriod=MONTH"]}
    result = _stack_plan(**monthly, since="2026-09-15")
    assert [(r.data_start.date(), r.data_end.date()) for r in result.requests] == [
        (date(2026, 9, 1), date(2026, 10, 31))  # November is ready on 3 December
    ]
    assert {r.options_dict["distributorView"] for r in result.requests} == {"MANUFACTURING"}
    with pytest.raises(ConfigError, match="P14D is too short for GET_VENDOR_SALES_REPORT by MONTH"):
        _stack_plan(**monthly)  # the stack's two weeks hold no whole month


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            {"seller_id": DEMO_VENDOR_ID},
            "--seller-id amzn1.vg.6213651 is a vendor of stack dev: use --vendor",
        ),
        ({"vendor": "amzn1.vg.1"}, "--vendor amzn1.vg.1 is not a vendor of stack dev"),
        (
            {"vendor": DEMO_VENDOR_ID, "marketplaces": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]},
            "--marketplace: a vendor account belongs to exactly one marketplace",
        ),
        (
            {"vendor": DEMO_VENDOR_ID, "options": ["reportPeriod=HOUR"]},
            "reportPeriod='HOUR' is not allowed",
        ),
    ],
)
def test_stack_flags_that_do_not_fit_are_config_errors(flags, message):
    with pytest.raises(ConfigError, match=message):
        _stack_plan(**flags)
