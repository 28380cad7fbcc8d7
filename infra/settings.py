"""SSM parameters the functions read: SP-API endpoint, sellers, reports, Data Kiosk queries."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pulumi
import pulumi_aws as aws
from graphql import GraphQLError, strip_ignored_characters

from domain.datakiosk.catalog import TEXTS, query_settings
from domain.datakiosk.definitions import QueryDefinition, fill

# An Advanced (or Intelligent-Tiering) parameter's ceiling; Standard ones hold 4 KB.
MAX_PARAMETER_BYTES = 8192


def compact(text: str) -> str:
    """A query's text without comments and needless whitespace (what Data Kiosk counts against
    its 8,000 characters), placeholders kept: filled, it is the query as written, compacted.
    The text as written when compacting would change what the planner fills in."""
    try:
        stripped = strip_ignored_characters(text)
        same = strip_ignored_characters(_filled(text)) == _filled(stripped)
    except GraphQLError:
        return text
    return stripped if same else text


def _filled(text: str) -> str:
    return fill(text, date(2024, 1, 1), date(2024, 1, 7), ("ATVPDKIKX0DER",))


def query_parameters(definitions: Sequence[QueryDefinition], concurrency: int) -> dict[str, str]:
    """The settings a stack's queries take (domain.datakiosk.catalog), texts compacted.
    ValueError, one line naming the query, for a text no parameter can hold."""
    settings = query_settings(definitions, concurrency)
    for name, value in settings.items():
        if name.startswith(TEXTS):
            settings[name] = value = compact(value)
        size = len(value.encode())
        if size > MAX_PARAMETER_BYTES:
            raise ValueError(
                f"query {name.removeprefix(TEXTS)}: {size} bytes compacted; an SSM parameter "
                f"holds at most {MAX_PARAMETER_BYTES}"
            )
    return settings


@dataclass(frozen=True)
class SettingsArgs:
    path: str  # e.g. /spapi-lake/prod-eu
    endpoint: str
    sellers: list[Mapping[str, Any]]  # stack-file shape (design.md §6), as the Catalog reads it
    reports: list[Mapping[str, Any]]
    # Data Kiosk's settings by name, relative to `path` (query_parameters).
    queries: Mapping[str, str] = field(default_factory=dict)


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
            **args.queries,
        }
        self.parameters = {
            key: aws.ssm.Parameter(
                f"{name}-{key.replace('/', '-')}",
                name=f"{args.path}/{key}",
                type="String",
                # Many sellers or reports, or a long query, outgrow 4 KB: this tier moves up to
                # Advanced (8 KB) only when they do, and never has to come back down.
                tier="Intelligent-Tiering",
                value=value,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, value in values.items()
        }
        self.path = args.path
        self.register_outputs({"path": self.path})
