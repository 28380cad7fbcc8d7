"""The Athena side of each stack: an enforced engine-v3 workgroup writing KMS-encrypted results
that expire, the sample questions as named queries, the analyst's policy scoped to this stack's
workgroup, catalog and lake areas, and the opt-in catalog encryption."""

from __future__ import annotations

from functools import cache

import pulumi
import pytest

from domain.registry.views import SAMPLE_QUERIES
from infra.synth import ACCOUNT, Synth, run, stack_config
from tests.infra import resources as q

WORKGROUP = "aws:athena/workgroup:Workgroup"
NAMED_QUERY = "aws:athena/namedQuery:NamedQuery"
POLICY = "aws:iam/policy:Policy"
CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
TEN_GIB = 10 * 1024**3
READ_ONLY = ("raw/", "curated/")
RESULTS = "athena-results/"


@cache
def config(stack: str) -> dict[str, str]:
    return stack_config(stack)


@pytest.fixture(scope="module")
def opted_in() -> Synth:
    """Stack dev with catalog encryption on and a 1 GiB cutoff."""
    return run(
        "dev",
        {
            **config("dev"),
            "spapi-lake:glueCatalogEncryption": "true",
            "spapi-lake:athenaBytesScannedCutoff": str(1024**3),
        },
    )


def workgroup(synth: Synth) -> dict:
    [only] = synth.of_type(WORKGROUP)
    return only["inputs"]


def lake(synth: Synth) -> q.Resource:
    prefix = f"spapi-lake-{synth.stack}-lake-"
    [bucket] = [b for b in synth.of_type(q.BUCKET) if b["inputs"]["bucketPrefix"] == prefix]
    return bucket


def lake_bucket(synth: Synth) -> tuple[str, str]:
    """(name, ARN) of the lake bucket."""
    outputs = synth.registrations[(q.BUCKET, lake(synth)["name"])].outputs
    return outputs["bucket"], outputs["arn"]


def analyst(synth: Synth) -> list[q.Statement]:
    [policy] = synth.of_type(POLICY)
    assert q.physical(policy) == f"spapi-lake-{synth.stack}-analyst"
    return q.statements(policy)


def granting(statements: list[q.Statement], prefix: str) -> list[q.Statement]:
    return [s for s in statements if any(a.startswith(prefix) for a in q.actions(s))]


def arn(synth: Synth, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{synth.region}:{ACCOUNT}:{resource}"


# --- The workgroup ---------------------------------------------------------------------------


def test_the_workgroup_runs_engine_3_enforced_with_metrics_and_a_10_gib_cutoff(synth):
    inputs = workgroup(synth)
    assert inputs["name"] == f"spapi-lake-{synth.stack}"
    assert inputs["state"] == "ENABLED"
    configuration = inputs["configuration"]
    assert configuration["engineVersion"] == {"selectedEngineVersion": "Athena engine version 3"}
    assert configuration["enforceWorkgroupConfiguration"] is True
    assert configuration["publishCloudwatchMetricsEnabled"] is True
    assert configuration["bytesScannedCutoffPerQuery"] == TEN_GIB


def test_results_go_to_the_lake_encrypted_with_the_stack_key(synth):
    results = workgroup(synth)["configuration"]["resultConfiguration"]
    name, _ = lake_bucket(synth)
    assert results["outputLocation"] == f"s3://{name}/{RESULTS}"
    assert results["expectedBucketOwner"] == ACCOUNT
    assert results["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": q.key_arn(synth),
    }


def test_results_expire_under_the_lake_lifecycle_and_nothing_else_does(synth):
    [lifecycle] = q.bucket_part(synth, lake(synth), q.LIFECYCLE)
    expiring = [r for r in lifecycle["inputs"]["rules"] if r.get("expiration")]
    assert [(r["filter"], r["status"]) for r in expiring] == [({"prefix": RESULTS}, "Enabled")]
    assert 1 <= expiring[0]["expiration"]["days"] <= 90
    assert expiring[0]["noncurrentVersionExpiration"]["noncurrentDays"] <= 7


def test_the_cutoff_is_configurable(opted_in):
    assert workgroup(opted_in)["configuration"]["bytesScannedCutoffPerQuery"] == 1024**3


def test_each_sample_question_is_a_named_query_of_the_workgroup_over_the_database(synth):
    queries = {q.physical(n): n["inputs"] for n in synth.of_type(NAMED_QUERY)}
    assert len(queries) >= 5
    assert sorted(queries) == sorted(s.name for s in SAMPLE_QUERIES)
    for sample in SAMPLE_QUERIES:
        named = queries[sample.name]
        assert named["query"] == sample.sql
        assert named["description"] == sample.question
        assert named["workgroup"] == workgroup(synth)["name"]
        assert named["database"] == "spapi_lake_" + synth.stack.replace("-", "_")


# --- The analyst's policy --------------------------------------------------------------------


def test_the_analyst_uses_athena_in_this_workgroup_only(synth):
    statements = granting(analyst(synth), "athena:")
    workgroup_arn = arn(synth, "athena", f"workgroup/{workgroup(synth)['name']}")
    assert statements
    for statement in statements:
        assert q.as_list(statement["Resource"]) == [workgroup_arn]
        assert "athena:StartQueryExecution" in q.actions(statement)
        assert all(a.startswith("athena:") for a in q.actions(statement))


def test_the_analyst_reads_this_database_and_its_tables_in_glue_and_writes_nothing(synth):
    database = "spapi_lake_" + synth.stack.replace("-", "_")
    [statement] = granting(analyst(synth), "glue:")
    assert all(a.startswith("glue:Get") for a in q.actions(statement))
    assert {"glue:GetTable", "glue:GetTables", "glue:GetDatabase"} <= set(q.actions(statement))
    assert q.as_list(statement["Resource"]) == [
        arn(synth, "glue", "catalog"),
        arn(synth, "glue", f"database/{database}"),
        arn(synth, "glue", f"table/{database}/*"),
    ]


def test_the_analyst_reads_raw_and_curated_objects_and_writes_only_results(synth):
    _, bucket_arn = lake_bucket(synth)
    objects = {}
    for statement in granting(analyst(synth), "s3:"):
        for resource in q.as_list(statement["Resource"]):
            objects.setdefault(resource, set()).update(q.actions(statement))
    assert objects.pop(bucket_arn) == {"s3:ListBucket", "s3:GetBucketLocation"}
    assert objects == {
        **{f"{bucket_arn}/{p}*": {"s3:GetObject"} for p in READ_ONLY},
        f"{bucket_arn}/{RESULTS}*": {
            "s3:GetObject",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        },
    }
    [listing] = [s for s in analyst(synth) if "s3:ListBucket" in q.actions(s)]
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": [f"{p}*" for p in (*READ_ONLY, RESULTS)]}
    }


def test_the_analyst_uses_the_key_only_through_s3_for_those_objects(synth):
    _, bucket_arn = lake_bucket(synth)
    [statement] = granting(analyst(synth), "kms:")
    assert q.actions(statement) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert q.as_list(statement["Resource"]) == [q.key_arn(synth)]
    assert statement["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{synth.region}.amazonaws.com"
    }
    contexts = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    assert contexts == [bucket_arn, *(f"{bucket_arn}/{p}*" for p in (*READ_ONLY, RESULTS))]


def test_the_analyst_policy_has_no_wildcard_action_and_no_resource_star(synth):
    statements = analyst(synth)
    assert {s["Effect"] for s in statements} == {"Allow"}
    for statement in statements:
        assert q.wildcard_actions(statement) == [], statement["Sid"]
        assert "*" not in q.as_list(statement["Resource"]), statement["Sid"]


# --- Catalog encryption: opt-in --------------------------------------------------------------


def test_catalog_encryption_is_off_unless_a_stack_opts_in(synth):
    opted = q.configured(config(synth.stack), "glueCatalogEncryption", False) is True
    assert len(synth.of_type(CATALOG_ENCRYPTION)) == (1 if opted else 0)
    assert len(granting(analyst(synth), "kms:")) == (2 if opted else 1)


def test_opting_in_encrypts_the_catalog_and_its_passwords_with_the_stack_key(opted_in):
    [settings] = opted_in.of_type(CATALOG_ENCRYPTION)
    inputs = settings["inputs"]["dataCatalogEncryptionSettings"]
    assert inputs["encryptionAtRest"] == {
        "catalogEncryptionMode": "SSE-KMS",
        "sseAwsKmsKeyId": q.key_arn(opted_in),
    }
    assert inputs["connectionPasswordEncryption"] == {
        "returnConnectionPasswordEncrypted": True,
        "awsKmsKeyId": q.key_arn(opted_in),
    }


def test_opting_in_lets_the_analyst_decrypt_the_catalog_through_glue_only(opted_in):
    [glue] = [s for s in analyst(opted_in) if s["Sid"] == "ReadTheEncryptedCatalog"]
    assert q.actions(glue) == ["kms:Decrypt"]
    assert q.as_list(glue["Resource"]) == [q.key_arn(opted_in)]
    assert glue["Condition"] == {
        "StringEquals": {"kms:ViaService": f"glue.{opted_in.region}.amazonaws.com"}
    }


# --- Config ----------------------------------------------------------------------------------

BAD = {
    "spapi-lake:athenaBytesScannedCutoff": ["1000", "ten", "-5", "10485759"],
    "spapi-lake:glueCatalogEncryption": ["yes", "1", ""],
}


@pytest.mark.parametrize(
    ("key", "value"), [(key, value) for key, values in BAD.items() for value in values]
)
def test_a_bad_analytics_setting_fails_with_one_line_naming_the_key(key, value):
    with pytest.raises(pulumi.RunError) as raised:
        run("dev", {**config("dev"), key: value})
    message = str(raised.value)
    assert "\n" not in message.strip()
    assert message.startswith(f"{key}: {value!r} is not allowed")


def test_the_smallest_cutoff_the_provider_accepts_is_accepted():
    synth = run("dev", {**config("dev"), "spapi-lake:athenaBytesScannedCutoff": "10485760"})
    assert workgroup(synth)["configuration"]["bytesScannedCutoffPerQuery"] == 10485760


def test_the_analytics_settings_leave_the_rest_of_the_config_alone(opted_in, synths):
    """Setting them changes the catalog encryption, the cutoff and the analyst's policy only."""
    before = {(r["type"], r["name"]): r["inputs"] for r in synths["dev"].resources}
    after = {(r["type"], r["name"]): r["inputs"] for r in opted_in.resources}
    changed = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    assert changed == {
        (WORKGROUP, "analytics-athena-workgroup"),
        (POLICY, "analytics-analyst-policy"),
    }
    assert set(after) - set(before) == {(CATALOG_ENCRYPTION, "analytics-catalog-encryption")}
