"""Least-privilege policies, one per function: exactly the actions and ARNs each handler uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from infra.iam import Statement, allow

# Sealer purposes (src/domain/authenticating.py): the encryption context decides who may seal
# or open which value, so only `authenticate` mints sealed tokens and only `store_report`
# opens a document URL (which `fetch_document` and `run_query` seal).
TOKEN, URL = "lwa-access-token", "document-url"


@dataclass(frozen=True)
class Grantables:
    """The stack's resources a function may be granted, by ARN."""

    stack: str
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    ingest_state_machine_arn: pulumi.Input[str]
    query_state_machine_arn: pulumi.Input[str]  # ingest-query: one finished Data Kiosk page
    authenticate_function_arn: pulumi.Input[str]
    curate_function_arn: pulumi.Input[str]
    lwa_secret_arns: Sequence[pulumi.Input[str]]
    settings_path: str
    rate_limit_table_arn: pulumi.Input[str]


Grant = Callable[[Grantables], list[Statement]]


def statements(
    handler: str, on: Grantables, function_arn: pulumi.Input[str], log_group_arn: pulumi.Input[str]
) -> list[Statement]:
    """Every statement `handler`'s role holds, including logs, traces and its environment."""
    out = [
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [pulumi.Output.concat(log_group_arn, ":*")],
            "WriteItsOwnLogGroup",
        ),
        # X-Ray has no resource-level permissions: its actions only accept "*".
        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"], "SendTraces"),
        allow(
            ["kms:Decrypt"],
            [on.key_arn],
            "DecryptItsEnvironment",
            {"StringEquals": {"kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}},
        ),
    ]
    for grant in _GRANTS[handler]:
        out += grant(on)
    return out


def _seal(purpose: str, action: str) -> Grant:
    def grant(on: Grantables) -> list[Statement]:
        sid = ("Seal" if action == "kms:Encrypt" else "Unseal") + purpose.title().replace("-", "")
        context = {
            "kms:EncryptionContext:stack": on.stack,
            "kms:EncryptionContext:purpose": purpose,
        }
        return [allow([action], [on.key_arn], sid, {"StringEquals": context})]

    return grant


def _via(service: str, on: Grantables) -> dict[str, object]:
    return {
        "StringEquals": {
            "kms:ViaService": pulumi.Output.concat(service, ".", on.region, ".amazonaws.com")
        }
    }


def _lwa_secrets(on: Grantables) -> list[Statement]:
    return [
        allow(["secretsmanager:GetSecretValue"], list(on.lwa_secret_arns), "ReadLwaCredentials"),
        allow(["kms:Decrypt"], [on.key_arn], "DecryptSecrets", _via("secretsmanager", on)),
    ]


def _settings(on: Grantables) -> list[Statement]:
    base = pulumi.Output.concat("arn:aws:ssm:", on.region, ":", on.account_id, ":parameter")
    return [
        allow(
            ["ssm:GetParametersByPath"],
            [pulumi.Output.concat(base, on.settings_path)],
            "ReadSettings",
        ),
        allow(
            ["ssm:GetParameter", "ssm:GetParameters"],
            [pulumi.Output.concat(base, on.settings_path, "/*")],
            "ReadEachSetting",
        ),
    ]


def _lake(write: bool) -> Grant:
    def grant(on: Grantables) -> list[Statement]:
        objects = pulumi.Output.concat(on.bucket_arn, "/*")
        actions = ["s3:GetObject"] + (["s3:PutObject", "s3:AbortMultipartUpload"] if write else [])
        kms = ["kms:Decrypt"] + (["kms:GenerateDataKey"] if write else [])
        return [
            allow(actions, [objects], "UseLakeObjects"),
            # ListBucket turns a missing key into 404 instead of 403, which `exists` relies on.
            allow(["s3:ListBucket"], [on.bucket_arn], "ListLake"),
            allow(kms, [on.key_arn], "EncryptLakeObjects", _via("s3", on)),
        ]

    return grant


def _lake_areas(read: tuple[str, ...], write: tuple[str, ...], multipart: bool = True) -> Grant:
    """Objects under some of the lake's top-level areas (`raw`, `manifests`, …) only."""

    def under(on: Grantables, areas: tuple[str, ...]) -> list[pulumi.Output[str]]:
        return [pulumi.Output.concat(on.bucket_arn, "/", area, "/*") for area in areas]

    def sid(verb: str, areas: tuple[str, ...]) -> str:
        return verb + "And".join(area.title() for area in areas)

    def grant(on: Grantables) -> list[Statement]:
        puts = ["s3:PutObject"] + (["s3:AbortMultipartUpload"] if multipart else [])
        return [
            allow(["s3:GetObject"], under(on, read), sid("Read", read)),
            # A missing object is then a 404 (the reader's answer: a raw file not there, a
            # query this stack did not create), not a 403 that reads like a permissions fault.
            allow(["s3:ListBucket"], [on.bucket_arn], "ListLake"),
            allow(puts, under(on, write), sid("Write", write)),
            allow(
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [on.key_arn],
                "EncryptLakeObjects",
                _via("s3", on),
            ),
        ]

    return grant


# Read a report's raw file and manifest, write its curated files and the manifest again: nothing
# else of the lake, so a bug in curation cannot touch raw data.
_curate = _lake_areas(read=("raw", "manifests"), write=("curated", "manifests"))
# Data Kiosk: the ledger of the queries this stack created (queries/), and the manifest of a
# page whose next page it creates (linked to it). Small JSON objects: no multipart upload.
_query_ledger = _lake_areas(
    read=("queries", "manifests"), write=("queries", "manifests"), multipart=False
)


def _start_executions(machine: Callable[[Grantables], pulumi.Input[str]], what: str) -> Grant:
    """StartExecution on one state machine, and DescribeExecution on its executions."""

    def grant(on: Grantables) -> list[Statement]:
        # A start that finds the item's execution taken reads its status: a failed attempt is
        # restarted under the next name (adapters/stepfunctions_workflow.py).
        arn = machine(on)
        executions = pulumi.Output.from_input(arn).apply(
            lambda a: a.replace(":stateMachine:", ":execution:", 1) + ":*"
        )
        return [
            allow(["states:StartExecution"], [arn], f"Start{what}"),
            allow(["states:DescribeExecution"], [executions], f"See{what}Attempts"),
        ]

    return grant


_start_ingest = _start_executions(lambda on: on.ingest_state_machine_arn, "Ingest")
_start_query_ingest = _start_executions(lambda on: on.query_state_machine_arn, "QueryIngest")


def _consume_queue(on: Grantables) -> list[Statement]:
    return [
        allow(
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            [on.queue_arn],
            "ConsumeNotifications",
        ),
        allow(["kms:Decrypt"], [on.key_arn], "DecryptNotifications", _via("sqs", on)),
    ]


# What adapters/dynamodb_rate_limit.py does to a token bucket: read it, create it, take from it.
RATE_LIMIT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


def _rate_limits(on: Grantables) -> list[Statement]:
    return [
        allow(RATE_LIMIT_ACTIONS, [on.rate_limit_table_arn], "ShareRateLimits"),
        # The table is encrypted with the stack key, which DynamoDB uses on the caller's behalf:
        # it decrypts the table key as the caller (and checks again every few minutes).
        allow(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [on.key_arn],
            "EncryptRateLimits",
            _via("dynamodb", on),
        ),
    ]


def _invoke_authenticate(on: Grantables) -> list[Statement]:
    return [allow(["lambda:InvokeFunction"], [on.authenticate_function_arn], "Authenticate")]


def _invoke_curate(on: Grantables) -> list[Statement]:
    # Asynchronously (InvocationType Event): reconcile has no DuckDB, and need not wait.
    return [allow(["lambda:InvokeFunction"], [on.curate_function_arn], "CurateAgain")]


# Every function that calls SP-API shares its rate limits (wiring/cloud_config.py, `_SP_API`).
_GRANTS: dict[str, list[Grant]] = {
    "subscribe": [_lwa_secrets, _settings, _rate_limits],
    "authenticate": [_lwa_secrets, _seal(TOKEN, "kms:Encrypt")],
    "create_report": [_settings, _seal(TOKEN, "kms:Decrypt"), _rate_limits],
    "process_notification": [
        _consume_queue,
        _settings,
        _lake(write=True),
        _start_ingest,
        _start_query_ingest,
    ],
    "fetch_document": [_seal(TOKEN, "kms:Decrypt"), _seal(URL, "kms:Encrypt"), _rate_limits],
    "store_report": [_seal(URL, "kms:Decrypt"), _lake(write=True)],
    "reconcile": [
        _settings,
        _lake(write=False),
        _start_ingest,
        _start_query_ingest,
        _invoke_authenticate,
        _invoke_curate,
        _seal(TOKEN, "kms:Decrypt"),
        _rate_limits,
    ],
    "curate_report": [_curate],
    # Plan (settings), create a page (a sealed token in, the ledger out), fetch a finished one
    # (its document URL sealed for store_report, as fetch_document does).
    "run_query": [
        _settings,
        _seal(TOKEN, "kms:Decrypt"),
        _seal(URL, "kms:Encrypt"),
        _rate_limits,
        _query_ledger,
    ],
}
