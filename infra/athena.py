"""The stack's Athena workgroup (engine v3, enforced, encrypted results, a scan cutoff) and the
sample questions as named queries."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from domain.registry.views import SAMPLE_QUERIES

ENGINE = "Athena engine version 3"


@dataclass(frozen=True)
class WorkgroupArgs:
    name: str
    account_id: pulumi.Input[str]
    bucket: pulumi.Input[str]
    results_prefix: str  # e.g. athena-results/, expired by the lake's lifecycle
    kms_key_arn: pulumi.Input[str]
    bytes_scanned_cutoff: int
    database: pulumi.Input[str]  # the named queries' database


class Workgroup(pulumi.ComponentResource):
    """Enforced, so a client cannot send results elsewhere, unencrypted, or skip the cutoff."""

    def __init__(
        self, name: str, args: WorkgroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:analytics:Workgroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.output_location = pulumi.Output.concat("s3://", args.bucket, "/", args.results_prefix)
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.name,
            description="spapi-lake: queries over the lake's raw and curated tables",
            state="ENABLED",
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": args.bytes_scanned_cutoff,
                "requester_pays_enabled": False,
                "engine_version": {"selected_engine_version": ENGINE},
                "result_configuration": {
                    "output_location": self.output_location,
                    "expected_bucket_owner": args.account_id,
                    "encryption_configuration": {
                        "encryption_option": "SSE_KMS",
                        "kms_key_arn": args.kms_key_arn,
                    },
                },
            },
            opts=child,
        )
        self.name = self.workgroup.name
        self.queries = [
            aws.athena.NamedQuery(
                f"{name}-query-{query.name}",
                name=query.name,
                description=query.question,
                workgroup=self.workgroup.name,
                database=args.database,
                query=query.sql,
                opts=child,
            )
            for query in SAMPLE_QUERIES
        ]
        self.register_outputs({"name": self.name, "outputLocation": self.output_location})
