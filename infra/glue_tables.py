"""The stack's Glue database: raw and curated tables under partition projection, `_latest` views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from domain import registry
from domain.registry.views import latest_view_sql, view_name
from infra import presto_views
from infra.catalog_schema import (
    PARTITION_KEYS,
    TableLayout,
    database_name,
    layouts,
    location_template,
    projection,
)


@dataclass(frozen=True)
class GlueCatalogArgs:
    stack: str
    bucket: pulumi.Input[str]
    seller_ids: tuple[str, ...]
    report_types: tuple[str, ...]  # the stack's configured types (raw tables for delimited ones)


class GlueCatalog(pulumi.ComponentResource):
    """No crawler and no partition to register: projection derives partitions from the keys."""

    def __init__(
        self, name: str, args: GlueCatalogArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:analytics:GlueCatalog", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.name = database_name(args.stack)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=self.name,
            description=f"spapi-lake {args.stack}: the lake's raw and curated tables",
            opts=child,
        )
        self.layouts = layouts(args.report_types)
        self.tables = [
            _table(f"{name}-table-{layout.name}", self.database, layout, args, child)
            for layout in self.layouts
        ]
        schema = {
            layout.name: {**{c.name: c.type for c in layout.columns}, **_partition_types()}
            for layout in self.layouts
        }
        self.views = [
            _view(f"{name}-view-{view_name(table)}", self.database, self.name, table, schema, child)
            for table in registry.tables()
        ]
        self.register_outputs({"database": self.name})


def _partition_types() -> dict[str, str]:
    return dict.fromkeys(PARTITION_KEYS, "string")


def _table(
    resource_name: str,
    database: aws.glue.CatalogDatabase,
    layout: TableLayout,
    args: GlueCatalogArgs,
    opts: pulumi.ResourceOptions,
) -> aws.glue.CatalogTable:
    root = pulumi.Output.concat("s3://", args.bucket, "/")
    parameters: dict[str, pulumi.Input[str]] = {
        "EXTERNAL": "TRUE",
        **layout.parameters,
        **projection(args.seller_ids),
        "storage.location.template": pulumi.Output.concat(root, location_template(layout.prefix)),
    }
    columns: list[aws.glue.CatalogTableStorageDescriptorColumnArgsDict] = [
        {"name": c.name, "type": c.type, "comment": c.comment}
        if c.comment
        else {"name": c.name, "type": c.type}
        for c in layout.columns
    ]
    return aws.glue.CatalogTable(
        resource_name,
        name=layout.name,
        database_name=database.name,  # (an Output: the table waits for its database)
        description=layout.description,
        table_type="EXTERNAL_TABLE",
        parameters=parameters,
        partition_keys=[{"name": k, "type": t} for k, t in _partition_types().items()],
        storage_descriptor={
            "location": pulumi.Output.concat(root, layout.prefix),
            "input_format": layout.input_format,
            "output_format": layout.output_format,
            "ser_de_info": {
                "serialization_library": layout.serde,
                "parameters": layout.serde_parameters,
            },
            "columns": columns,
        },
        opts=opts,
    )


def _view(
    resource_name: str,
    database: aws.glue.CatalogDatabase,
    db_name: str,
    table: registry.Table,
    schema: presto_views.Schema,
    opts: pulumi.ResourceOptions,
) -> aws.glue.CatalogTable:
    sql = latest_view_sql(table)
    columns: Sequence[presto_views.ViewColumn] = presto_views.view_columns(sql, schema)
    return aws.glue.CatalogTable(
        resource_name,
        name=view_name(table),
        database_name=database.name,
        description=f"{table.name}, current rows only ({table.latest.value})",
        table_type="VIRTUAL_VIEW",
        parameters=presto_views.PARAMETERS,
        # Athena fails to query a view created through the Glue API without PartitionKeys.
        partition_keys=[],
        view_original_text=presto_views.original_text(sql, db_name, columns),
        view_expanded_text=presto_views.EXPANDED,
        storage_descriptor={
            "columns": [{"name": c.name, "type": c.hive_type} for c in columns],
        },
        opts=opts,
    )
