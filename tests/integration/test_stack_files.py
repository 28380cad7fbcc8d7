"""The committed Pulumi project and stack files: valid for Pulumi, the CLI and the code alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.stack_file import load_stack_config
from domain.config import StackConfig
from domain.datakiosk.definitions import suits
from domain.deployment import SECRET_KEYS, deploy_options
from domain.errors import ConfigError
from domain.marketplaces import MARKETPLACES, Region
from domain.model import PartnerKind
from sandbox.settings import DEMO_VENDOR_ID

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml")
)
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
VENDOR_SALES = "GET_VENDOR_SALES_REPORT"


def _config(stack: str) -> StackConfig:
    return load_stack_config(stack, ROOT)


def _project_copy(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    """The dev stack file and the query files beside it, as a project directory to break."""
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    shutil.copytree(ROOT / "queries", tmp_path / "queries")
    return tmp_path


def _raw(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return document["config"]


def test_the_project_file_runs_the_infra_program_with_uv():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "spapi-lake"
    assert project["description"]
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert project["main"] == "infra/"
    assert "config" not in project


def test_there_is_a_dev_stack_and_one_prod_stack_per_sp_api_region():
    assert {"dev", "prod-na", "prod-eu", "prod-fe"} <= set(STACKS)
    prod_regions = sorted(_config(s).region.name for s in STACKS if s.startswith("prod"))
    assert prod_regions == sorted(r.name for r in Region)


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_parses_for_the_cli_and_for_pulumi(stack):
    config = _config(stack)
    options = deploy_options(config)
    assert options.stage == ("dev" if stack == "dev" else "prod")
    assert options.alarm_email is not None


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_deploys_in_the_aws_region_of_its_sp_api_region(stack):
    config = _config(stack)
    assert config.aws_region is not None, "set aws:region explicitly"
    assert config.aws_region == config.region.aws_region


@pytest.mark.parametrize("stack", STACKS)
def test_every_seller_is_fake_and_sells_only_in_the_stack_region(stack):
    for seller in _config(stack).sellers:
        # Vendor ids are amzn1.vg.<digits>: the simulator's demo vendor is the fake one.
        fake = DEMO_VENDOR_ID if seller.kind is PartnerKind.VENDOR else "FAKE"
        assert fake in seller.seller_id, f"{seller.seller_id} may be a real partner id"
        assert {MARKETPLACES[m].region for m in seller.marketplace_ids} == {_config(stack).region}


@pytest.mark.parametrize("stack", STACKS)
def test_no_stack_requests_the_amazon_generated_settlement_report(stack):
    reports = _config(stack).reports
    assert not [r for r in reports if "SETTLEMENT" in r.report_type]
    assert all(r.schedule for r in reports)


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_only_committed_encrypted_and_documented_per_seller(stack):
    raw, text = _raw(stack), (ROOT / f"Pulumi.{stack}.yaml").read_text()

    def plaintext(value: Any) -> bool:
        if isinstance(value, dict):
            return set(value) != {"secure"} and any(plaintext(v) for v in value.values())
        return True

    for key in SECRET_KEYS:
        assert not plaintext(raw.get(f"spapi-lake:{key}", {})), f"{key} is in plain text"
    assert "pulumi config set --secret --path 'spapi-lake:appCredentials.clientSecret'" in text
    for seller in _config(stack).sellers:
        # A vendor id has dots, which --path would read as nesting: it needs the ["…"] form.
        path = f'["{seller.seller_id}"]' if "." in seller.seller_id else f".{seller.seller_id}"
        assert f"--path 'spapi-lake:refreshTokens{path}'" in text


def test_dev_is_one_seller_in_two_na_marketplaces_and_one_vendor_with_a_small_report_set():
    config = _config("dev")
    assert config.region is Region.NA
    assert [(s.kind, s.marketplace_ids) for s in config.sellers] == [
        (PartnerKind.SELLER, (US, CA)),
        (PartnerKind.VENDOR, (US,)),
    ]
    by_type = {r.report_type: r for r in config.reports}
    assert set(by_type) == {LISTINGS, ORDERS, VENDOR_SALES}
    assert dict(by_type[VENDOR_SALES].options)["reportPeriod"] == "WEEK"
    assert (by_type[ORDERS].window, by_type[ORDERS].max_span) == (timedelta(1), timedelta(30))
    options = deploy_options(config)
    assert (options.trail, options.log_retention_days) == (True, 30)


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_query_validates_and_runs_on_a_schedule_for_partners_it_suits(stack):
    config = _config(stack)
    by_id = {s.seller_id: s for s in config.sellers}
    for query in config.queries:
        assert (ROOT / query.file).is_file()
        assert query.schedule, f"query {query.name} has no schedule"
        assert all(suits(query.dataset, by_id[p].kind) for p in query.partners)
    schedules = [r.schedule for r in config.reports] + [q.schedule for q in config.queries]
    assert len(set(schedules)) == len(schedules), "stagger the schedules"
    assert config.query_concurrency >= 1


def test_dev_runs_sales_and_traffic_and_economics_queries_over_the_last_week_for_its_seller():
    config = _config("dev")

    by_name = {q.name: q for q in config.queries}
    assert set(by_name) == {"sales_traffic_by_date", "economics"}
    assert by_name["sales_traffic_by_date"].selection == (
        "analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate"
    )
    assert by_name["economics"].selection == "analytics_economics_2024_03_15.economics"
    assert {q.window for q in config.queries} == {timedelta(days=7)}
    assert {q.partners for q in config.queries} == {("A0FAKESELLERDEV",)}
    assert config.query_concurrency == 2


def test_a_committed_query_file_that_no_longer_validates_fails_the_stack_naming_it(tmp_path):
    project = _project_copy(tmp_path)
    path = project / "queries" / "economics.graphql"
    path.write_text(path.read_text().replace("msku", "mksu"))

    with pytest.raises(ConfigError) as info:
        load_stack_config("dev", project)
    message = str(info.value)
    assert message.startswith("query economics: invalid for analytics_economics_2024_03_15")
    assert "mksu" in message
    assert "\n" not in message


def test_the_cli_refuses_a_stack_with_a_query_file_missing_before_any_call(tmp_path):
    project = _project_copy(tmp_path)
    (project / "queries" / "sales_traffic_by_date.graphql").unlink()
    result = _cli(project, "run", "--stack", "dev", "--lake", str(tmp_path / "lake"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1
    assert (
        "query sales_traffic_by_date: cannot read queries/sales_traffic_by_date.graphql" in lines[0]
    )
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize("stack", [s for s in STACKS if s.startswith("prod")])
def test_prod_reconciles_and_asks_sales_and_traffic_by_day_and_child_asin(stack):
    config = _config(stack)
    options = deploy_options(config)
    assert (options.reconcile_schedule, options.reconcile_hours) == ("rate(6 hours)", 48)
    sales = [r for r in config.reports if r.report_type == "GET_SALES_AND_TRAFFIC_REPORT"]
    assert dict(sales[0].options) == {"dateGranularity": "DAY", "asinGranularity": "CHILD"}
    schedules = [r.schedule for r in config.reports]
    assert len(set(schedules)) == len(schedules), "stagger the report schedules"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("spapi-lake")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "handlers.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPAPI_")}
    return subprocess.run(  # noqa: S603
        [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_cli_reads_the_dev_stack_then_asks_for_credentials(tmp_path):
    result = _cli(ROOT, "run", "--stack", "dev", "--lake", str(tmp_path / "lake"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1
    assert "SPAPI_CLIENT_ID is not set" in lines[0]
    assert not (tmp_path / "lake").exists()


def test_the_cli_refuses_a_dev_stack_with_a_marketplace_of_another_region(tmp_path):
    _project_copy(tmp_path, (CA, "A1PA6795UKMFR9"))
    result = _cli(tmp_path, "run", "--stack", "dev", "--lake", str(tmp_path / "lake"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1
    assert "spapi-lake:sellers[0].marketplaces: marketplace A1PA6795UKMFR9 (DE)" in lines[0]


def test_the_cli_refuses_a_stack_that_pulumi_would_refuse(tmp_path):
    _project_copy(tmp_path, ("logRetentionDays: 30", "logRetentionDays: 42"))
    result = _cli(tmp_path, "run", "--stack", "dev", "--lake", str(tmp_path / "lake"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1
    assert "spapi-lake:logRetentionDays" in lines[0]
