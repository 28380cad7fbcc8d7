"""SSM parameters the functions read: the SP-API endpoint, the sellers and the report configs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SettingsArgs:
    path: str  # e.g. /spapi-lake/prod-eu
    endpoint: str
    sellers: list[Mapping[str, Any]]  # stack-file shape (design.md §6), as the Catalog reads it
    reports: list[Mapping[str, Any]]


class Settings(pulumi.ComponentResource):
    """Plain String parameters: none of this is secret (LWA credentials live in Secrets Manager)."""

    def __init__(
        self, name: str, args: SettingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:config:Settings", name, None, opts)
        values = {
            "endpoint": args.endpoint,
            "sellers": json.dumps(args.sellers, sort_keys=True),
            "reports": json.dumps(args.reports, sort_keys=True),
        }
        self.parameters = {
            key: aws.ssm.Parameter(
                f"{name}-{key}",
                name=f"{args.path}/{key}",
                type="String",
                # Many sellers or reports outgrow 4 KB; this tier moves up only when they do.
                tier="Intelligent-Tiering",
                value=value,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, value in values.items()
        }
        self.path = args.path
        self.register_outputs({"path": self.path})
