"""The analyst's managed policy: query the stack's workgroup over its catalog, nothing more."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from domain.lake import CURATED, RAW
from infra.iam import Statement, allow

# What a query needs from Athena, all of it on the one workgroup: run, follow, stop and read
# queries; see the workgroup; use its named queries.
ATHENA_ACTIONS = (
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:GetQueryRuntimeStatistics",
    "athena:GetNamedQuery",
    "athena:BatchGetNamedQuery",
    "athena:ListNamedQueries",
)
GLUE_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
)


@dataclass(frozen=True)
class AnalystArgs:
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    workgroup: str
    database: str
    bucket_arn: pulumi.Input[str]
    results_prefix: str  # read and written; raw/ and curated/ are read only
    kms_key_arn: pulumi.Input[str]
    catalog_encrypted: bool


def statements(on: AnalystArgs) -> list[Statement]:
    def arn(service: str, resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(
            "arn:aws:", service, ":", on.region, ":", on.account_id, ":", resource
        )

    def objects(prefix: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(on.bucket_arn, "/", prefix, "*")

    read = [f"{RAW}/", f"{CURATED}/"]
    prefixes = [*read, on.results_prefix]
    out = [
        allow(ATHENA_ACTIONS, [arn("athena", f"workgroup/{on.workgroup}")], "QueryInTheWorkgroup"),
        allow(
            GLUE_ACTIONS,
            [
                arn("glue", "catalog"),
                arn("glue", f"database/{on.database}"),
                arn("glue", f"table/{on.database}/*"),
            ],
            "ReadTheStacksCatalog",
        ),
        allow(["s3:GetObject"], [objects(p) for p in read], "ReadRawAndCuratedObjects"),
        allow(
            [
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            [objects(on.results_prefix)],
            "KeepQueryResults",
        ),
        allow(
            ["s3:ListBucket"],
            [on.bucket_arn],
            "ListTheseAreasOnly",
            {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
        ),
        # Athena checks where the results bucket is before writing to it.
        allow(["s3:GetBucketLocation"], [on.bucket_arn], "LocateTheLake"),
        allow(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [on.kms_key_arn],
            "UseTheKeyThroughS3ForTheseObjects",
            {
                "StringEquals": {"kms:ViaService": _via("s3", on.region)},
                # The lake uses an S3 Bucket Key, whose context is the bucket's ARN; an object
                # encrypted without one names its own ARN. S3 itself limits which objects.
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [
                        on.bucket_arn,
                        *(objects(p) for p in prefixes),
                    ]
                },
            },
        ),
    ]
    if on.catalog_encrypted:
        out.append(
            allow(
                ["kms:Decrypt"],
                [on.kms_key_arn],
                "ReadTheEncryptedCatalog",
                {"StringEquals": {"kms:ViaService": _via("glue", on.region)}},
            )
        )
    return out


def _via(service: str, region: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat(service, ".", region, ".amazonaws.com")
