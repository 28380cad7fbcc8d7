"""The Pulumi program as a program: right region, wiring that resolves, valid ASL, determinism,
one-line config errors, and `python infra/synth.py` as `make synth` runs it."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time

import pulumi
import pytest

from domain.marketplaces import Region
from infra import synth as synth_module
from infra.synth import ROOT, Synth, run, stack_config, stacks, write
from tests.infra import resources as q
from tests.workflow.test_definitions import asl_problems

MACHINES = q.MACHINES


def canonical(synth: Synth) -> dict[tuple[str, str], str]:
    """Each resource's inputs by (type, name); the engine's registration order is not ours."""
    keyed = {
        (r["type"], r["name"]): json.dumps(r["inputs"], sort_keys=True) for r in synth.resources
    }
    assert len(keyed) == len(synth.resources), "two resources share a type and name"
    return keyed


def test_each_stack_deploys_to_the_aws_region_of_its_sp_api_region(synth):
    region = Region.parse(stack_config(synth.stack)["spapi-lake:region"])
    assert synth.region == region.aws_region
    endpoint = [p for p in synth.of_type(q.SSM_PARAMETER) if q.physical(p).endswith("/endpoint")]
    assert [q.plain(p["inputs"]["value"]) for p in endpoint] == [region.endpoint]


def test_every_function_has_a_log_group(synth):
    for handler, function in q.functions(synth).items():
        logging = function["inputs"].get("loggingConfig", {})
        name = logging.get("logGroup") or f"/aws/lambda/{q.physical(function)}"
        assert q.log_group_named(synth, name), handler


def test_the_queue_outlasts_six_runs_of_its_consumer(synth):
    [mapping] = synth.of_type(q.EVENT_SOURCE_MAPPING)
    [queue] = [
        r
        for r in synth.of_type(q.QUEUE)
        if q.queue_arn(synth, r) == mapping["inputs"]["eventSourceArn"]
    ]
    consumer = q.function_by_arn(synth, mapping["inputs"]["functionName"])
    assert queue["inputs"]["visibilityTimeoutSeconds"] >= 6 * consumer["inputs"]["timeout"]


def test_every_handler_resolves_to_an_importable_lambda_handler(synth):
    functions = q.functions(synth)
    assert functions
    for handler in functions:
        module = importlib.import_module(f"handlers.{handler}")
        assert callable(getattr(module, "lambda_handler", None)), handler


def test_every_function_a_definition_invokes_is_declared(synth):
    declared = {q.function_arn(synth, f) for f in synth.of_type(q.FUNCTION)}
    machines = synth.state_machines()
    assert sorted(machines) == sorted(MACHINES)
    for machine, definition in machines.items():
        invoked = {q.invoked_function(task) for _, task in q.tasks(definition)}
        assert invoked, machine
        assert invoked <= declared, machine


def test_the_definitions_synth_writes_are_valid_states_language(synth):
    for machine, definition in synth.state_machines().items():
        assert asl_problems(definition) == [], machine


def test_the_program_declares_the_same_resources_on_every_run(synths):
    """Nothing in the program depends on time, randomness or the environment."""
    again = run("dev", stack_config("dev"))
    assert canonical(again) == canonical(synths["dev"])


def test_synth_writes_the_same_resources_json_whatever_order_resources_register_in(
    tmp_path, synths
):
    """The engine registers resources in whatever order their inputs resolve, which varies
    from run to run; `make synth`'s resources.json must not (so two runs can be diffed)."""
    synth = synths["dev"]
    shuffled = Synth(synth.stack, synth.region, list(reversed(synth.resources)))
    write(synth, tmp_path / "a")
    write(shuffled, tmp_path / "b")
    written = [(tmp_path / side / "resources.json").read_text() for side in ("a", "b")]
    assert written[0] == written[1], "resources.json follows registration order, not (type, name)"


def _with_unknown_marketplace(config: dict[str, str]) -> dict[str, str]:
    sellers = json.loads(config["spapi-lake:sellers"])
    sellers[0]["marketplaces"] = ["A0NOTAMARKETPLACE"]
    return {**config, "spapi-lake:sellers": json.dumps(sellers)}


BAD_CONFIGS = {
    "spapi-lake:sellers": _with_unknown_marketplace,
    "spapi-lake:logRetentionDays": lambda c: {**c, "spapi-lake:logRetentionDays": "42"},
    "spapi-lake:colour": lambda c: {**c, "spapi-lake:colour": "blue"},
}


@pytest.mark.parametrize("key", sorted(BAD_CONFIGS))
def test_an_invalid_stack_config_fails_with_one_line_naming_the_key(key):
    with pytest.raises(pulumi.RunError) as raised:
        run("dev", BAD_CONFIGS[key](stack_config("dev")))
    message = str(raised.value)
    assert "\n" not in message.strip()
    assert message.startswith(key)


def test_the_synth_cli_exits_2_with_one_line_naming_a_bad_key(monkeypatch, capsys):
    committed = stack_config("dev")
    monkeypatch.setattr(
        synth_module, "stack_config", lambda stack: {**committed, "spapi-lake:colour": "blue"}
    )
    assert synth_module.main(["dev"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("synth dev: spapi-lake:colour")


@pytest.fixture(scope="module")
def cli_runs(synths) -> dict[str, tuple[float, subprocess.CompletedProcess[str]]]:
    """`python infra/synth.py <stack>` for every committed stack, in parallel. (`synths`
    first: it builds the Lambda zip once, so the four processes only read it.)"""
    started = time.time()
    processes = {
        stack: subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "infra/synth.py", stack],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stack in synths
    }
    done = {}
    for stack, process in processes.items():
        out, err = process.communicate(timeout=110)
        done[stack] = (
            started,
            subprocess.CompletedProcess(process.args, process.returncode, out, err),
        )
    return done


@pytest.mark.parametrize("stack", stacks())
def test_the_synth_cli_writes_every_committed_stack(stack, cli_runs, synths):
    started, result = cli_runs[stack]
    assert result.returncode == 0, result.stderr
    out = ROOT / "build" / "synth" / stack
    written = out / "resources.json"
    assert written.stat().st_mtime >= started - 1
    resources = json.loads(written.read_text())
    assert sorted((r["type"], r["name"]) for r in resources) == sorted(canonical(synths[stack]))
    for machine in MACHINES:
        definition = json.loads((out / "state-machines" / f"{machine}.asl.json").read_text())
        assert definition == synths[stack].state_machines()[machine]


def test_the_synth_cli_names_the_committed_stacks_for_an_unknown_one():
    result = subprocess.run(
        [sys.executable, "infra/synth.py", "no-such-stack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Pulumi.no-such-stack.yaml" in lines[0]
    for stack in stacks():
        assert stack in lines[0]
    assert not (ROOT / "build" / "synth" / "no-such-stack").exists()


# --- the curate function (issue 8): its own artifact, its sizing, its grants, its step ---------

CURATE = "curate_report"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ASYNC_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"


def _variables(function: q.Resource) -> dict[str, str]:
    return function["inputs"].get("environment", {}).get("variables", {})


def _grants(synth: Synth, handler: str) -> dict[str, tuple[list[str], list[str]]]:
    """A function's statements by Sid: (sorted actions, resources)."""
    role = q.function_role(synth, q.functions(synth)[handler])
    return {
        s["Sid"]: (sorted(q.actions(s)), q.as_list(s["Resource"]))
        for s in q.role_statements(synth, role)
    }


def test_only_the_curate_function_runs_from_the_artifact_with_duckdb(synth):
    functions = q.functions(synth)
    arch = functions[CURATE]["inputs"]["architectures"][0]
    codes = {h: f["inputs"]["code"]["FileArchive"] for h, f in functions.items()}
    assert codes.pop(CURATE).endswith(f"spapi-lake-curate-{arch}.zip")
    assert set(codes.values()) == {f"build/lambda/spapi-lake-lambda-{arch}.zip"}
    hashes = {h: f["inputs"]["sourceCodeHash"] for h, f in functions.items()}
    assert hashes.pop(CURATE) not in set(hashes.values())


def test_the_curate_function_has_memory_and_disk_for_large_reports_bounded_by_config(synth):
    inputs = q.functions(synth)[CURATE]["inputs"]
    variables = _variables(q.functions(synth)[CURATE])
    assert inputs["memorySize"] >= 2048
    assert inputs["ephemeralStorage"] == {"size": 10240}
    assert inputs["timeout"] == 900
    # DuckDB's share leaves room for Python and the SDK; beyond it DuckDB spills to /tmp.
    assert 0 < int(variables["SPAPI_LAKE_CURATE_MEMORY_MB"]) <= inputs["memorySize"] // 2
    assert int(variables["SPAPI_LAKE_CURATE_THREADS"]) >= 1


def test_the_curate_function_knows_no_sp_api_setting_secret_or_table(synth):
    variables = set(_variables(q.functions(synth)[CURATE]))
    assert variables == {
        "SPAPI_LAKE_STACK",
        "SPAPI_LAKE_KMS_KEY_ID",
        "SPAPI_LAKE_BUCKET",
        "SPAPI_LAKE_CURATE_MEMORY_MB",
        "SPAPI_LAKE_CURATE_THREADS",
    }


def test_the_curate_function_reads_raw_and_manifests_and_writes_curated_and_manifests(synth):
    [bucket] = {_variables(f).get("SPAPI_LAKE_BUCKET") for f in q.functions(synth).values()} - {
        None
    }
    lake = f"arn:aws:s3:::{bucket}"
    grants = _grants(synth, CURATE)
    assert grants.pop("ReadRawAndManifests") == (
        ["s3:GetObject"],
        [f"{lake}/raw/*", f"{lake}/manifests/*"],
    )
    assert grants.pop("WriteCuratedAndManifests") == (
        ["s3:AbortMultipartUpload", "s3:PutObject"],
        [f"{lake}/curated/*", f"{lake}/manifests/*"],
    )
    assert grants.pop("EncryptLakeObjects") == (
        ["kms:Decrypt", "kms:GenerateDataKey"],
        [q.key_arn(synth)],
    )
    # Key names only, so that a missing raw file is a 404 (refused) rather than a 403.
    assert grants.pop("ListLake") == (["s3:ListBucket"], [lake])
    # Nothing else: its logs, its traces and its own environment.
    assert set(grants) == {"WriteItsOwnLogGroup", "SendTraces", "DecryptItsEnvironment"}


def test_reconcile_may_invoke_the_curate_function_and_is_told_its_name(synth):
    functions = q.functions(synth)
    curate = functions[CURATE]
    assert _variables(functions["reconcile"])["SPAPI_LAKE_CURATE_FUNCTION"] == q.physical(curate)
    assert _grants(synth, "reconcile")["CurateAgain"] == (
        ["lambda:InvokeFunction"],
        [q.function_arn(synth, curate)],
    )
    [config] = synth.of_type(ASYNC_CONFIG)
    assert config["inputs"]["functionName"] == q.physical(curate)
    assert config["inputs"]["maximumRetryAttempts"] == 0  # the next sweep asks again


def test_ingest_report_curates_after_storing_and_fails_in_curate_failed(synth):
    definition = synth.state_machines()["ingest-report"]
    states = definition["States"]
    curate_arn = q.function_arn(synth, q.functions(synth)[CURATE])
    assert states["StoreReport"]["Next"] == "MayCurate"
    assert states["StoreReport"]["ResultSelector"]["curate.$"] == "$.Payload.curate"
    [choice] = states["MayCurate"]["Choices"]
    assert choice == {"Variable": "$.stored.curate", "BooleanEquals": True, "Next": "CurateReport"}
    task = states["CurateReport"]
    assert q.invoked_function(task) == curate_arn
    assert task["Parameters"]["Payload"] == {"manifestKey.$": "$.stored.manifestKey"}
    assert ["AwsServiceError"] in [r["ErrorEquals"] for r in task["Retry"]]
    assert task["Catch"][-1]["Next"] == "CurateFailed"
    assert states["CurateFailed"]["Type"] == "Fail"
    assert states["CurateFailed"]["Error"] == "CurateFailedError"
    assert q.task_problems(task, definition["TimeoutSeconds"]) == []


def test_an_execution_ending_in_curate_failed_raises_an_alarm(synth):
    """Both ingest machines (reports and Data Kiosk pages) end in CurateFailed when curation
    fails; a filter on each one's log feeds one metric, and one alarm watches it."""
    filters = {f["inputs"]["logGroupName"]: f["inputs"] for f in synth.of_type(METRIC_FILTER)}
    ingests = [
        m
        for m in synth.of_type(q.STATE_MACHINE)
        if q.physical(m).endswith(("-ingest-report", "-ingest-query"))
    ]
    groups = [
        q.physical(q.log_group_of_arn(synth, m["inputs"]["loggingConfiguration"]["logDestination"]))
        for m in ingests
    ]
    assert len(ingests) == 2
    assert sorted(filters) == sorted(groups)
    for inputs in filters.values():
        assert '$.type = "ExecutionFailed"' in inputs["pattern"]
        assert '$.details.error = "CurateFailedError"' in inputs["pattern"]
    [metric] = {json.dumps(f["metricTransformation"], sort_keys=True) for f in filters.values()}
    metric = json.loads(metric)
    [alarm] = [
        a
        for a in synth.of_type(q.ALARM)
        if (a["inputs"]["namespace"], a["inputs"]["metricName"])
        == (metric["namespace"], metric["name"])
    ]
    assert alarm["inputs"]["threshold"] == 0
    assert alarm["inputs"]["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["inputs"]["alarmActions"]


def test_ingest_query_curates_each_stored_page_and_fails_in_curate_failed(synth):
    definition = synth.state_machines()["ingest-query"]
    states = definition["States"]
    assert states["StorePage"]["Next"] == "MayCurate"
    assert states["CurateReport"]["Catch"][-1]["Next"] == "CurateFailed"
    assert states["CurateFailed"]["Error"] == "CurateFailedError"
    assert q.invoked_function(states["CurateReport"]) == q.function_arn(
        synth, q.functions(synth)[CURATE]
    )
