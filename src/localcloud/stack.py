"""Provisioning the stack's resources in moto, shaped like what the Pulumi program deploys."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from domain.datakiosk.catalog import query_settings
from domain.datakiosk.definitions import QueryDefinition
from infra.state_machines import FUNCTION_SPECS, HANDLERS, FunctionArns, definitions

REGION = "us-east-1"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class StackSpec:
    """What a stack file would say: its partners (sellers and vendors, in the stack file's
    `sellers` shape, with a refresh token per partner id) and report configs."""

    name: str
    region: str  # SP-API region
    app_client_id: str
    app_client_secret: str = field(repr=False)
    sellers: tuple[dict[str, Any], ...]
    refresh_tokens: dict[str, str] = field(repr=False)
    reports: tuple[dict[str, Any], ...]
    max_receive_count: int = 5
    visibility_timeout: int = 1
    queries: tuple[QueryDefinition, ...] = ()  # Data Kiosk queries, validated
    query_concurrency: int = 2


@dataclass(frozen=True)
class Stack:
    """Names and ARNs of the provisioned resources: all a handler's environment holds."""

    prefix: str
    key_id: str
    key_arn: str
    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    settings_path: str
    app_secret_id: str
    seller_secret_prefix: str
    request_reports_arn: str
    ingest_report_arn: str
    request_queries_arn: str
    ingest_query_arn: str
    rate_limit_table: str


def _zip() -> bytes:
    # moto wants a deployment package; its code never runs because invoke is routed.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def provision(session: Any, spec: StackSpec) -> Stack:
    """Create every resource through real boto3 clients (pointed at moto by the caller)."""
    prefix = f"spapi-lake-{spec.name}-"
    kms, s3, sqs = session.client("kms"), session.client("s3"), session.client("sqs")
    key = kms.create_key(Description=f"spapi-lake {spec.name}")["KeyMetadata"]
    bucket = f"spapi-lake-{spec.name}-lake"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    dlq_url = sqs.create_queue(QueueName=f"{prefix}notifications-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
    queue_url = sqs.create_queue(
        QueueName=f"{prefix}notifications",
        Attributes={
            "RedrivePolicy": json.dumps(redrive),
            "VisibilityTimeout": str(spec.visibility_timeout),
            "KmsMasterKeyId": key["Arn"],
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    settings_path = f"/spapi-lake/{spec.name}"
    ssm = session.client("ssm")
    settings = {"sellers": json.dumps(spec.sellers), "reports": json.dumps(spec.reports)}
    if spec.queries:
        settings.update(query_settings(spec.queries, spec.query_concurrency))
    for name, text in settings.items():
        ssm.put_parameter(Name=f"{settings_path}/{name}", Value=text, Type="String", Overwrite=True)
    secrets = session.client("secretsmanager")
    app_secret_id = f"spapi-lake/{spec.name}/app"
    secrets.create_secret(
        Name=app_secret_id,
        KmsKeyId=key["Arn"],
        SecretString=json.dumps(
            {"clientId": spec.app_client_id, "clientSecret": spec.app_client_secret}
        ),
    )
    # One secret per partner id: a vendor's is named by its account id, like a seller's by its id.
    seller_prefix = f"spapi-lake/{spec.name}/seller/"
    for seller_id, token in spec.refresh_tokens.items():
        secrets.create_secret(
            Name=f"{seller_prefix}{seller_id}",
            KmsKeyId=key["Arn"],
            SecretString=json.dumps({"refreshToken": token}),
        )
    role = session.client("iam").create_role(
        RoleName=f"{prefix}role", AssumeRolePolicyDocument=json.dumps(_TRUST)
    )["Role"]["Arn"]
    awslambda = session.client("lambda")
    arns = {}
    for handler in HANDLERS:
        deployed = FUNCTION_SPECS[handler]
        arns[handler] = awslambda.create_function(
            FunctionName=f"{prefix}{handler}",
            Runtime="python3.12",
            Role=role,
            Handler=f"handlers.{handler}.lambda_handler",
            Code={"ZipFile": _zip()},
            Timeout=deployed.timeout,
            MemorySize=deployed.memory,
        )["FunctionArn"]
        awslambda.put_function_concurrency(
            FunctionName=f"{prefix}{handler}",
            ReservedConcurrentExecutions=deployed.concurrency,
        )
    # The deployed retry timing (the defaults): LocalCloud's time scale makes its waits short.
    machines = definitions(
        FunctionArns(
            authenticate=arns["authenticate"],
            create_report=arns["create_report"],
            fetch_document=arns["fetch_document"],
            store_report=arns["store_report"],
            curate_report=arns["curate_report"],
            run_query=arns["run_query"],
        )
    )
    sfn = session.client("stepfunctions")
    machine_arns = {
        name: sfn.create_state_machine(
            name=f"{prefix}{name}", definition=json.dumps(body), roleArn=role
        )["stateMachineArn"]
        for name, body in machines.items()
    }
    return Stack(
        prefix=prefix,
        key_id=key["KeyId"],
        key_arn=key["Arn"],
        bucket=bucket,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        settings_path=settings_path,
        app_secret_id=app_secret_id,
        seller_secret_prefix=seller_prefix,
        request_reports_arn=machine_arns["request-reports"],
        ingest_report_arn=machine_arns["ingest-report"],
        request_queries_arn=machine_arns["request-queries"],
        ingest_query_arn=machine_arns["ingest-query"],
        rate_limit_table=_rate_limit_table(session, prefix, key["Arn"]),
    )


def _rate_limit_table(session: Any, prefix: str, key_arn: str) -> str:
    """The shared token buckets: one item per (partner, operation), expired items swept."""
    name = f"{prefix}rate-limits"
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "bucket", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "bucket", "KeyType": "HASH"}],
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return name
