"""Data Kiosk as deployed (issue 10): the run_query function and its grants, the request-queries
and ingest-query machines and their roles, a schedule per scheduled query, the query settings in
SSM, and the notifications and sweeps that start ingest-query executions."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from domain.catalog import Catalog
from domain.config import parse_duration
from domain.datakiosk.catalog import QueryCatalog
from domain.datakiosk.definitions import QueryDefinition, fill
from domain.datakiosk.lifecycle import DEFAULT_MAX_IN_FLIGHT
from domain.marketplaces import Region
from infra.functions import OPTIONAL, SPECS
from infra.settings import MAX_PARAMETER_BYTES, Settings, SettingsArgs, compact, query_parameters
from infra.state_machines import HANDLERS
from infra.synth import ACCOUNT, ROOT, Synth, declare, run, stack_config
from infra.workflows import ScheduledQuery, ScheduledReport, Workflows, WorkflowsArgs
from tests.fakes import FakeSettings
from tests.infra import resources as q
from wiring.cloud_config import NEEDS, VARIABLES

RUN_QUERY = "run_query"
# What each machine's tasks invoke (infra/state_machines.py), and so all its role may invoke.
INVOKES = {
    "request-reports": {"authenticate", "create_report"},
    "ingest-report": {"authenticate", "fetch_document", "store_report", "curate_report"},
    "request-queries": {"authenticate", "run_query"},
    "ingest-query": {"authenticate", "run_query", "store_report", "curate_report"},
}
SAMPLE = (date(2024, 1, 1), date(2024, 1, 7), ("ATVPDKIKX0DER",))
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"


def variables(function: q.Resource) -> dict[str, str]:
    return function["inputs"].get("environment", {}).get("variables", {})


def grants(synth: Synth, handler: str) -> dict[str, q.Statement]:
    """A function's statements by Sid (each Sid once in a policy)."""
    role = q.function_role(synth, q.functions(synth)[handler])
    statements = q.role_statements(synth, role)
    by_sid = {s["Sid"]: s for s in statements}
    assert len(by_sid) == len(statements), f"{handler}: a Sid used twice"
    return by_sid


def shape(statement: q.Statement) -> tuple[list[str], list[str]]:
    return sorted(q.actions(statement)), q.as_list(statement["Resource"])


def lake_arn(synth: Synth) -> str:
    return "arn:aws:s3:::" + variables(q.functions(synth)["store_report"])["SPAPI_LAKE_BUCKET"]


def machine_arn(synth: Synth, machine: str) -> str:
    return (
        f"arn:aws:states:{synth.region}:{ACCOUNT}:stateMachine:spapi-lake-{synth.stack}-{machine}"
    )


def configured_queries(stack: str) -> list[dict[str, object]]:
    """The stack file's `queries`, as written (none when it has no such key)."""
    return list(q.configured(stack_config(stack), "queries", []))


def parameters(synth: Synth) -> dict[str, q.Resource]:
    """The SSM parameters by name relative to the settings path."""
    path = variables(q.functions(synth)[RUN_QUERY])["SPAPI_LAKE_SETTINGS_PATH"]
    return {
        q.physical(p).removeprefix(path + "/"): p
        for p in synth.of_type(q.SSM_PARAMETER)
        if q.physical(p).startswith(path + "/")
    }


# --- the run_query function ------------------------------------------------------------------


def test_run_query_is_deployed_like_the_other_functions(synth):
    function = q.functions(synth)[RUN_QUERY]
    inputs = function["inputs"]
    assert inputs["timeout"] == SPECS[RUN_QUERY].timeout
    assert inputs["memorySize"] == SPECS[RUN_QUERY].memory
    assert inputs["reservedConcurrentExecutions"] == SPECS[RUN_QUERY].concurrency
    assert inputs["tracingConfig"] == {"mode": "Active"}
    assert inputs["kmsKeyArn"] == q.key_arn(synth)
    group = q.log_group_named(synth, inputs["loggingConfig"]["logGroup"])
    assert group["inputs"]["kmsKeyId"] == q.key_arn(synth)
    assert group["inputs"]["retentionInDays"] >= 1
    assert q.environment_problems(function) == []


def test_run_query_is_told_exactly_the_names_it_needs(synth):
    """Its NEEDS (wiring/cloud_config.py) and its one option, the throttle deadline: no LWA
    secret, no queue, no state machine."""
    told = set(variables(q.functions(synth)[RUN_QUERY]))
    assert told == {VARIABLES[f] for f in (*NEEDS[RUN_QUERY], *OPTIONAL[RUN_QUERY])}
    assert {"SPAPI_LAKE_APP_SECRET_ID", "SPAPI_LAKE_SELLER_SECRET_PREFIX"}.isdisjoint(told)


def test_run_query_reads_settings_opens_tokens_seals_urls_and_shares_rate_limits(synth):
    by_sid = grants(synth, RUN_QUERY)
    key = q.key_arn(synth)
    settings = variables(q.functions(synth)[RUN_QUERY])["SPAPI_LAKE_SETTINGS_PATH"]
    ssm = f"arn:aws:ssm:{synth.region}:{ACCOUNT}:parameter{settings}"
    assert shape(by_sid["ReadSettings"]) == (["ssm:GetParametersByPath"], [ssm])
    assert shape(by_sid["ReadEachSetting"]) == (
        ["ssm:GetParameter", "ssm:GetParameters"],
        [ssm + "/*"],
    )
    # Opens the token authenticate sealed; seals the document URL only store_report opens.
    for sid, action, purpose in (
        ("UnsealLwaAccessToken", "kms:Decrypt", "lwa-access-token"),
        ("SealDocumentUrl", "kms:Encrypt", "document-url"),
    ):
        assert shape(by_sid[sid]) == ([action], [key])
        assert by_sid[sid]["Condition"] == {
            "StringEquals": {
                "kms:EncryptionContext:stack": synth.stack,
                "kms:EncryptionContext:purpose": purpose,
            }
        }
    table = variables(q.functions(synth)[RUN_QUERY])["SPAPI_LAKE_RATE_LIMIT_TABLE"]
    assert shape(by_sid["ShareRateLimits"]) == (
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        [f"arn:aws:dynamodb:{synth.region}:{ACCOUNT}:table/{table}"],
    )


def test_run_query_reads_and_writes_the_query_ledger_and_manifests_alone(synth):
    """queries/ (the ledger of the queries this stack created) and manifests/ (a page's
    manifest gets a link to the next page): never raw/, curated/ or errors/."""
    by_sid = grants(synth, RUN_QUERY)
    lake = lake_arn(synth)
    areas = [f"{lake}/queries/*", f"{lake}/manifests/*"]
    assert shape(by_sid["ReadQueriesAndManifests"]) == (["s3:GetObject"], areas)
    assert shape(by_sid["WriteQueriesAndManifests"]) == (["s3:PutObject"], areas)
    # A ledger entry not there is a 404: a query this stack did not create.
    assert shape(by_sid["ListLake"]) == (["s3:ListBucket"], [lake])
    assert shape(by_sid["EncryptLakeObjects"]) == (
        ["kms:Decrypt", "kms:GenerateDataKey"],
        [q.key_arn(synth)],
    )
    assert by_sid["EncryptLakeObjects"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{synth.region}.amazonaws.com"}
    }
    s3 = [s for s in by_sid.values() if any(a.startswith("s3:") for a in q.actions(s))]
    touched = {r for s in s3 for r in q.as_list(s["Resource"])}
    assert touched == {lake, *areas}


def test_run_query_may_not_read_secrets_mint_tokens_open_urls_or_start_anything(synth):
    by_sid = grants(synth, RUN_QUERY)
    assert set(by_sid) == {
        "WriteItsOwnLogGroup",
        "SendTraces",
        "DecryptItsEnvironment",
        "ReadSettings",
        "ReadEachSetting",
        "UnsealLwaAccessToken",
        "SealDocumentUrl",
        "ShareRateLimits",
        "EncryptRateLimits",
        "ReadQueriesAndManifests",
        "ListLake",
        "WriteQueriesAndManifests",
        "EncryptLakeObjects",
    }
    actions = {a for s in by_sid.values() for a in q.actions(s)}
    for service in ("secretsmanager:", "states:", "lambda:", "sqs:", "s3:Delete"):
        assert not [a for a in actions if a.startswith(service)], service
    purposes = {
        (a, s["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"])
        for s in by_sid.values()
        if "kms:EncryptionContext:purpose" in s.get("Condition", {}).get("StringEquals", {})
        for a in q.actions(s)
    }
    assert purposes == {("kms:Decrypt", "lwa-access-token"), ("kms:Encrypt", "document-url")}


# --- the state machines ----------------------------------------------------------------------


def test_each_machine_may_invoke_exactly_the_functions_its_tasks_invoke(synth):
    functions = q.functions(synth)
    for machine, handlers in INVOKES.items():
        resource = q.by_name(synth.of_type(q.STATE_MACHINE))[f"workflows-{machine}"]
        definition = json.loads(resource["inputs"]["definition"])
        invoked = {q.invoked_function(task) for _, task in q.tasks(definition)}
        expected = {q.function_arn(synth, functions[h]) for h in handlers}
        assert invoked == expected, machine
        role = q.role_by_arn(synth, resource["inputs"]["roleArn"])
        invocable = {
            arn
            for s in q.role_statements(synth, role)
            if "lambda:InvokeFunction" in q.actions(s)
            for arn in q.as_list(s["Resource"])
        }
        assert invocable == expected, machine


def test_the_query_machines_are_logged_traced_and_encrypted_like_the_others(synth):
    for machine in ("request-queries", "ingest-query"):
        resource = q.by_name(synth.of_type(q.STATE_MACHINE))[f"workflows-{machine}"]
        assert q.physical(resource) == f"spapi-lake-{synth.stack}-{machine}"
        inputs = resource["inputs"]
        assert inputs["type"] == "STANDARD"
        assert inputs["tracingConfiguration"] == {"enabled": True}
        assert inputs["encryptionConfiguration"]["kmsKeyId"] == q.key_arn(synth)
        group = q.log_group_of_arn(synth, inputs["loggingConfiguration"]["logDestination"])
        assert q.physical(group) == f"/aws/vendedlogs/states/spapi-lake-{synth.stack}-{machine}"
        assert group["inputs"]["kmsKeyId"] == q.key_arn(synth)
        role = q.role_by_arn(synth, inputs["roleArn"])
        [execution_data] = [
            s for s in q.role_statements(synth, role) if s["Sid"] == "EncryptExecutionData"
        ]
        condition = execution_data["Condition"]["StringEquals"]
        assert condition == {
            "kms:EncryptionContext:aws:states:stateMachineArn": machine_arn(synth, machine)
        }


def test_the_query_machines_raise_the_failed_and_timed_out_alarms(synth):
    for machine in ("request-queries", "ingest-query"):
        watched = {
            a["inputs"]["metricName"]
            for a in synth.of_type(q.ALARM)
            if a["inputs"].get("dimensions") == {"StateMachineArn": machine_arn(synth, machine)}
        }
        assert watched == {"ExecutionsFailed", "ExecutionsTimedOut"}, machine
    function = q.physical(q.functions(synth)[RUN_QUERY])
    watched = {
        a["inputs"]["metricName"]
        for a in synth.of_type(q.ALARM)
        if a["inputs"].get("dimensions") == {"FunctionName": function}
    }
    assert watched == {"Errors", "Throttles"}


# --- schedules -------------------------------------------------------------------------------


def query_schedules(synth: Synth) -> list[q.Resource]:
    request_queries = machine_arn(synth, "request-queries")
    return [s for s in synth.of_type(q.SCHEDULE) if s["inputs"]["target"]["arn"] == request_queries]


def test_a_schedule_per_scheduled_query_starts_request_queries_with_its_name(synth):
    wanted = sorted(
        (str(query["schedule"]), json.dumps({"queries": [query["name"]]}))
        for query in configured_queries(synth.stack)
        if query.get("schedule")
    )
    schedules = query_schedules(synth)
    found = sorted(
        (s["inputs"]["scheduleExpression"], s["inputs"]["target"]["input"]) for s in schedules
    )
    assert found == wanted
    for schedule in schedules:
        inputs = schedule["inputs"]
        assert inputs["scheduleExpressionTimezone"] == "UTC"
        assert inputs["target"]["retryPolicy"]["maximumRetryAttempts"] >= 1
        role = q.role_by_arn(synth, inputs["target"]["roleArn"])
        assert any(
            q.actions(s) == ["states:StartExecution"]
            and q.as_list(s["Resource"]) == [machine_arn(synth, "request-queries")]
            for s in q.role_statements(synth, role)
        ), schedule["name"]


def test_the_dev_stack_schedules_its_queries():
    """The committed dev stack lists scheduled queries; the test above checks them."""
    assert [q_["name"] for q_ in configured_queries("dev") if q_.get("schedule")]


def _arns(prefix: str) -> dict[str, str]:
    return {h: f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{prefix}-{h}" for h in HANDLERS}


def test_the_workflows_schedule_exactly_the_queries_they_are_given():
    """Built from args alone: two scheduled queries, two schedules, each naming its query."""
    given = [ScheduledQuery("econ", "cron(0 6 * * ? *)"), ScheduledQuery("by_asin", "rate(1 day)")]
    synth = declare(
        lambda: Workflows(
            "workflows",
            WorkflowsArgs(
                prefix="spapi-lake-t",
                account_id=ACCOUNT,
                region="us-east-1",
                kms_key_arn=KEY,
                log_retention_days=7,
                function_arns=_arns("spapi-lake-t"),
                lambda_timeouts={h: spec.timeout for h, spec in SPECS.items()},
                reports=[ScheduledReport("GET_MERCHANT_LISTINGS_ALL_DATA", "rate(1 day)")],
                reconcile_schedule="rate(6 hours)",
                throttle_deadline_hours=24,
                queries=given,
            ),
        ),
        "t",
    )
    schedules = q.by_name(synth.of_type(q.SCHEDULE))
    request_queries = (
        f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:spapi-lake-t-request-queries"
    )
    for index, query in enumerate(given):
        inputs = schedules[f"workflows-query-{index}"]["inputs"]
        assert inputs["scheduleExpression"] == query.schedule
        assert inputs["target"]["arn"] == request_queries
        assert json.loads(inputs["target"]["input"]) == {"queries": [query.name]}
    assert len(query_schedules(synth)) == len(given)
    assert sorted(synth.state_machines()) == sorted(q.MACHINES)


# --- settings --------------------------------------------------------------------------------


def test_the_stacks_queries_are_written_where_the_functions_read_them(synth):
    """QueryCatalog over the parameters as deployed reads back each query of the stack file:
    its name, window and schedule, and its text, which filled is the file's, compacted."""
    params = {name: q.plain(p["inputs"]["value"]) for name, p in parameters(synth).items()}
    region = Region.parse(stack_config(synth.stack)["spapi-lake:region"]).name
    catalog = QueryCatalog(FakeSettings(params), Catalog(FakeSettings(params), region))
    configured = configured_queries(synth.stack)
    definitions = catalog.definitions()
    assert [d.name for d in definitions] == [c["name"] for c in configured]
    configured_concurrency = q.configured(
        stack_config(synth.stack), "queryConcurrency", DEFAULT_MAX_IN_FLIGHT
    )
    assert catalog.concurrency() == int(configured_concurrency)
    for definition, entry in zip(definitions, configured, strict=True):
        assert definition.window == parse_duration(entry["window"], "window")
        assert definition.schedule == entry.get("schedule")
        assert definition.partners
        text = (ROOT / str(entry["file"])).read_text(encoding="utf-8")
        assert fill(definition.text, *SAMPLE) == compact(fill(text, *SAMPLE))
    for name, parameter in parameters(synth).items():
        if name.startswith(("queries", "query-text/", "queryConcurrency")):
            assert parameter["inputs"]["type"] == "String", name
            assert parameter["inputs"]["tier"] in ("Advanced", "Intelligent-Tiering"), name
            assert q.parameter_problems(parameter) == [], name


def _definition(name: str, text: str) -> QueryDefinition:
    return QueryDefinition(
        name=name,
        file=f"queries/{name}.graphql",
        text=text,
        selection="analytics_salesAndTraffic_2024_04_24.salesAndTrafficByDate",
        window=timedelta(days=7),
        partners=("A1SELLER",),
        schedule="rate(1 day)",
    )


def _long_query(fields: int) -> str:
    """A query of `fields` aliased fields, with comments, placeholders in and out of strings."""
    selected = "\n".join(f"    f{i}: startDate  # field {i}" for i in range(fields))
    return (
        "# A long query: comments and indentation are not part of it.\n"
        "query Long {\n  analytics_salesAndTraffic_2024_04_24 {\n"
        '    salesAndTrafficByDate(startDate: "{{startDate}}", endDate: "{{endDate}}",\n'
        "      aggregateBy: DAY, marketplaceIds: {{marketplaceIds}}) {\n"
        f"{selected}\n    }}\n  }}\n}}\n"
    )


def test_compacting_a_query_keeps_its_placeholders_and_drops_comments():
    text = _long_query(3)
    compacted = compact(text)
    assert "#" not in compacted
    assert len(compacted) < len(text)
    for placeholder in ("{{startDate}}", "{{endDate}}", "{{marketplaceIds}}"):
        assert placeholder in compacted
    assert fill(compacted, *SAMPLE) == compact(fill(text, *SAMPLE))


def test_a_text_compacting_would_change_is_kept_as_written():
    """A placeholder with spaces is not filled by the planner; compacting would make it one."""
    text = 'query { a(x: "{{startDate}}" y: "{{endDate}}" m: {{ marketplaceIds }}) { b } }'
    assert compact(text) == text


def test_a_long_query_gets_a_parameter_that_holds_it():
    """Over 4 KB compacted: beyond a Standard parameter, within an Advanced one (8 KB); the
    tier moves up to Advanced by itself (Intelligent-Tiering)."""
    long_text = _long_query(400)
    settings = query_parameters([_definition("long", long_text)], 3)
    assert 4096 < len(settings["query-text/long"].encode()) <= MAX_PARAMETER_BYTES
    assert settings["queryConcurrency"] == "3"
    assert [e["name"] for e in json.loads(settings["queries"])] == ["long"]
    synth = declare(
        lambda: Settings(
            "settings",
            SettingsArgs(
                path="/spapi-lake/t",
                endpoint="https://sellingpartnerapi-na.amazon.com",
                sellers=[],
                reports=[],
                queries=settings,
            ),
        ),
        "t",
    )
    by_name = {q.physical(p): p["inputs"] for p in synth.of_type(q.SSM_PARAMETER)}
    parameter = by_name["/spapi-lake/t/query-text/long"]
    assert q.plain(parameter["value"]) == settings["query-text/long"]
    assert parameter["tier"] in ("Advanced", "Intelligent-Tiering")
    assert q.plain(by_name["/spapi-lake/t/queryConcurrency"]["value"]) == "3"


def test_a_query_no_parameter_can_hold_fails_naming_it():
    with pytest.raises(ValueError, match=r"^query huge: \d+ bytes compacted"):
        query_parameters([_definition("huge", _long_query(1200))], 2)


@pytest.fixture(scope="module")
def unscheduled() -> Synth:
    """Stack dev with one more query, run on demand only (no schedule), and 3 in flight."""
    config = stack_config("dev")
    queries = [
        *json.loads(config["spapi-lake:queries"]),
        {"name": "by_asin", "file": "queries/sales_traffic_by_asin.graphql", "window": "P1D"},
    ]
    return run(
        "dev",
        {**config, "spapi-lake:queries": json.dumps(queries), "spapi-lake:queryConcurrency": "3"},
    )


def test_a_query_without_a_schedule_is_deployed_but_not_scheduled(unscheduled):
    params = parameters(unscheduled)
    assert "query-text/by_asin" in params
    assert "by_asin" in [
        e["name"] for e in json.loads(q.plain(params["queries"]["inputs"]["value"]))
    ]
    assert q.plain(params["queryConcurrency"]["inputs"]["value"]) == "3"
    started = [json.loads(s["inputs"]["target"]["input"]) for s in query_schedules(unscheduled)]
    assert {"queries": ["by_asin"]} not in started
    assert len(started) == len([c for c in configured_queries("dev") if c.get("schedule")])


# --- what starts ingest-query ----------------------------------------------------------------


@pytest.mark.parametrize("handler", ["process_notification", "reconcile"])
def test_notifications_and_the_sweep_may_start_ingest_query_executions(synth, handler):
    """process_notification (a DATA_KIOSK_QUERY_PROCESSING_FINISHED notification) and reconcile
    (a finished query whose notification never came) start ingest-query, and read the status of
    an earlier attempt to restart a failed one; they are told its ARN."""
    by_sid = grants(synth, handler)
    arn = machine_arn(synth, "ingest-query")
    assert shape(by_sid["StartQueryIngest"]) == (["states:StartExecution"], [arn])
    assert shape(by_sid["SeeQueryIngestAttempts"]) == (
        ["states:DescribeExecution"],
        [arn.replace(":stateMachine:", ":execution:") + ":*"],
    )
    starts = {
        r
        for s in by_sid.values()
        if "states:StartExecution" in q.actions(s)
        for r in q.as_list(s["Resource"])
    }
    assert starts == {machine_arn(synth, "ingest-report"), arn}
    function = q.functions(synth)[handler]
    assert variables(function)["SPAPI_LAKE_QUERY_STATE_MACHINE_ARN"] == arn


def test_no_other_function_may_start_an_execution(synth):
    starters = {
        handler
        for handler in q.functions(synth)
        for s in grants(synth, handler).values()
        if any(a.startswith("states:") for a in q.actions(s))
    }
    assert starters == {"process_notification", "reconcile"}
