"""Lambda `curate_report`: a stored report's registry tables, as typed Parquet in curated/."""

from __future__ import annotations

from typing import Any

from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "curate_report"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"manifestKey"} → {"manifestKey", "curatedAt", "tables"}: the `curated` section now in
    the manifest; each table has its key and rows, or a null key and why it was `refused` (the
    raw file stays). No tables for a type the registry does not know. Run by ingest-report's
    CurateReport and, asynchronously, by reconcile. Raises PayloadError (no manifest at that
    key), AwsServiceError (retried) and CurateError (the execution ends in CurateFailed)."""
    services = container(FUNCTION)
    key = payloads.text(event, "manifestKey")
    manifest = services.lake().get_manifest(key)
    if manifest is None:
        raise payloads.PayloadError(f"no manifest at {key}: the report is not stored")
    observability.keys(sellerId=manifest.get("sellerId"), reportId=manifest.get("reportId"),
                       reportType=manifest.get("reportType"))  # fmt: skip
    section = services.curator().curate(manifest)
    tables = section["tables"] if section else []
    refused = [t for t in tables if t.get("key") is None]
    observability.metric("ReportsCurated", 1 if section else 0)
    observability.metric("RowsCurated", sum(t.get("rows") or 0 for t in tables))
    observability.metric("TablesRefused", len(refused))
    observability.log().info(
        f"curated {len(tables) - len(refused)} tables, refused {len(refused)}",
        extra={"refused": {t["table"]: t.get("refused") for t in refused}},
    )
    curated_at = section.get("curatedAt") if section else None
    return {"manifestKey": key, "curatedAt": curated_at, "tables": tables}
