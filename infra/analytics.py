"""Analytics in the cloud: the Glue catalog, the Athena workgroup and the analyst's policy."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.analyst_policy import AnalystArgs, statements
from infra.athena import Workgroup, WorkgroupArgs
from infra.glue_tables import GlueCatalog, GlueCatalogArgs
from infra.iam import document
from infra.lake import ATHENA_RESULTS


@dataclass(frozen=True)
class AnalyticsArgs:
    prefix: str  # spapi-lake-<stack>: the workgroup's and the policy's name
    stack: str
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    bucket: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    seller_ids: tuple[str, ...]
    report_types: tuple[str, ...]
    bytes_scanned_cutoff: int
    catalog_encryption: bool  # account-wide: opt-in (README)


class Analytics(pulumi.ComponentResource):
    """Everything an analyst needs to query the lake with Athena; attach `policy` to grant it."""

    def __init__(
        self, name: str, args: AnalyticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:analytics:Analytics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.catalog = GlueCatalog(
            f"{name}-glue",
            GlueCatalogArgs(args.stack, args.bucket, args.seller_ids, args.report_types),
            opts=child,
        )
        self.workgroup = Workgroup(
            f"{name}-athena",
            WorkgroupArgs(
                name=args.prefix,
                account_id=args.account_id,
                bucket=args.bucket,
                results_prefix=ATHENA_RESULTS,
                kms_key_arn=args.kms_key_arn,
                bytes_scanned_cutoff=args.bytes_scanned_cutoff,
                database=self.catalog.database.name,
            ),
            opts=child,
        )
        analyst = AnalystArgs(
            region=args.region,
            account_id=args.account_id,
            workgroup=args.prefix,
            database=self.catalog.name,
            bucket_arn=args.bucket_arn,
            results_prefix=ATHENA_RESULTS,
            kms_key_arn=args.kms_key_arn,
            catalog_encrypted=args.catalog_encryption,
        )
        self.policy = aws.iam.Policy(
            f"{name}-analyst-policy",
            name=f"{args.prefix}-analyst",
            description=f"Query the {args.stack} lake with Athena: its workgroup, catalog, data",
            policy=document(*statements(analyst)),
            opts=child,
        )
        if args.catalog_encryption:
            # One setting per account and region: every catalog there is encrypted with our key.
            aws.glue.DataCatalogEncryptionSettings(
                f"{name}-catalog-encryption",
                data_catalog_encryption_settings={
                    "encryption_at_rest": {
                        "catalog_encryption_mode": "SSE-KMS",
                        "sse_aws_kms_key_id": args.kms_key_arn,
                    },
                    "connection_password_encryption": {
                        "return_connection_password_encrypted": True,
                        "aws_kms_key_id": args.kms_key_arn,
                    },
                },
                opts=child,
            )
        self.database = self.catalog.name
        self.register_outputs(
            {
                "database": self.database,
                "workgroup": self.workgroup.name,
                "analystPolicyArn": self.policy.arn,
            }
        )
