"""Curating stored reports and Data Kiosk pages: typed Parquet tables from raw documents,
recorded in the manifest."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from domain import registry
from domain.datakiosk import lake as kiosk_lake
from domain.errors import ConfigError, SpApiLakeError
from domain.lake import (
    PARQUET_CONTENT_TYPE,
    curated_key,
    curated_page_key,
    curated_section,
    curated_table,
    extension,
    manifest_key,
    parse_iso,
    partition_date,
    refused_table,
    report_of,
)
from domain.model import Outcome, Report
from domain.ports import Clock, CurateEngine, CurateJob, Lake, Lineage
from domain.registry import HeaderMapping, Table

MAX_HEADER_CHARS = 1 << 20  # a header row longer than this is not a header row


class CurateError(SpApiLakeError):
    """The curate engine failed (disk, memory, an unreadable file). The raw document and its
    manifest are kept; curating again may succeed once the cause is fixed."""


@dataclass(frozen=True)
class _Stored:
    """One stored document to curate: its local file name, where its rows come from, and
    where each of its tables' file goes (a function of the table's name)."""

    suffix: str
    lineage: Lineage
    target: Callable[[str], str]


@dataclass(frozen=True)
class BackfillSummary:
    """Reports and Data Kiosk pages in scope: fully curated, with at least one table refused,
    or without a stored document to curate."""

    curated: int = 0
    refused: int = 0
    skipped: int = 0


class CurateService:
    """Curates reports of the types, and Data Kiosk pages of the selections, the registry knows.
    Idempotent: a document's tables always land on the same keys, and curating again rewrites
    them with the same rows."""

    def __init__(
        self,
        lake: Lake,
        engine: CurateEngine,
        clock: Clock,
        workdir: Path | str | None = None,
    ) -> None:
        self._lake = lake
        self._engine = engine
        self._clock = clock
        self._workdir = workdir  # local scratch space: /tmp in Lambda

    def curate(self, manifest: dict[str, Any]) -> dict[str, Any] | None:
        """Writes each table of the report (or Data Kiosk page) and rewrites its manifest with
        a `curated` section, which it returns. None (and nothing written) when the registry
        has no table for its type (or selection) or no document was stored. Raises
        CurateError, and the lake's errors."""
        if manifest.get("source") == kiosk_lake.SOURCE:
            tables = registry.tables_for_query(str(manifest.get("selection", "")))
        else:
            tables = registry.tables_for(str(manifest.get("reportType", "")))
        if not tables or not has_document(manifest):
            return None
        try:
            key, stored = _stored(manifest)
        except (KeyError, ValueError) as error:
            raise CurateError(f"the manifest cannot be read: {error}") from None
        with tempfile.TemporaryDirectory(prefix="curate-", dir=self._workdir) as scratch:
            entries = self._tables(stored, manifest, tables, Path(scratch))
        section = curated_section(self._clock.now(), entries)
        self._lake.put_manifest(key, {**manifest, "curated": section})
        return section

    def backfill(
        self, since: date | None = None, report_type: str | None = None
    ) -> BackfillSummary:
        """(Re)curates every stored report of the registry's types (or only of `report_type`)
        and, without `report_type`, every Data Kiosk page whose selection feeds a table, whose
        partition date is `since` or later. Raises ConfigError for a type without tables."""
        if report_type is not None and not registry.tables_for(report_type):
            known = sorted({t for table in registry.tables() for t in table.report_types})
            raise ConfigError(
                f"{report_type} feeds no curated table; use one of {', '.join(known)}"
            )
        types = [report_type] if report_type else sorted(
            {t for table in registry.tables() for t in table.report_types}
        )  # fmt: skip
        listings = [self._lake.list_manifests(kind) for kind in types]
        if report_type is None:
            listings.append(self._lake.list_manifests(queries=True))
        curated = refused = skipped = 0
        for listing in listings:
            for _, body in listing:
                if not _in_scope(body):
                    continue  # a query page whose selection feeds no table
                partition = _partition(body)
                if partition is not None and since is not None and partition < since:
                    continue
                readable = partition is not None and has_document(body)
                section = self.curate(body) if readable else None
                if section is None:
                    skipped += 1
                elif any(entry.get("refused") for entry in section["tables"]):
                    refused += 1
                else:
                    curated += 1
        return BackfillSummary(curated, refused, skipped)

    def _tables(
        self, stored: _Stored, manifest: dict[str, Any], tables: tuple[Table, ...], scratch: Path
    ) -> list[dict[str, Any]]:
        if manifest.get("undecodable"):
            why = "the document is not valid in its declared charset and was stored as received"
            return [refused_table(t.name, why) for t in tables]
        raw = scratch / f"raw.{stored.suffix}"
        try:
            self._lake.fetch_to(str(manifest["key"]), raw)
        except FileNotFoundError:
            why = f"the raw document {manifest['key']} is missing from the lake"
            return [refused_table(t.name, why) for t in tables]
        fields: tuple[str, ...] | str = ()
        if any(t.format == "tsv" for t in tables):
            fields = header_fields(raw)
        entries = []
        for table in tables:
            if table.format != "tsv":
                # A JSONL document's records are its lines: its record path is empty.
                found = self._engine.record_fields(raw, table.record_path or "")
                mapping, columns = json_mapping(table, found), found
            elif isinstance(fields, str):
                entries.append(refused_table(table.name, fields))
                continue
            else:
                mapping, columns = registry.map_headers(table, fields), fields
            if mapping.refused or mapping.kind is None:
                entries.append(refused_table(table.name, mapping.refused or "unmappable header"))
                continue
            entries.append(self._one(stored, table, mapping, columns, raw))
        return entries

    def _one(
        self,
        stored: _Stored,
        table: Table,
        mapping: HeaderMapping,
        fields: tuple[str, ...],
        raw: Path,
    ) -> dict[str, Any]:
        target = raw.with_name(f"{table.name}.parquet")
        comma = registry.decimal_comma(stored.lineage.marketplace_id)
        job = CurateJob(table, mapping, fields, raw, target, stored.lineage, comma)
        result = self._engine.curate(job)
        key = stored.target(table.name)
        try:
            self._lake.put_file(key, target, PARQUET_CONTENT_TYPE)
        finally:
            target.unlink(missing_ok=True)  # scratch space is scarce in Lambda
        failures = dict(result.parse_failures)
        return curated_table(table.name, key, result.rows, failures, mapping.kind or "name")


def has_document(manifest: dict[str, Any]) -> bool:
    """Whether the manifest records a stored report document (what curation reads)."""
    return manifest.get("outcome") == Outcome.STORE_DOCUMENT.value and bool(manifest.get("key"))


def header_fields(raw: Path) -> tuple[str, ...] | str:
    """The header row of a tab-separated document, or why there is none."""
    try:
        with raw.open(encoding="utf-8-sig", newline="") as file:
            line = file.readline(MAX_HEADER_CHARS)
    except UnicodeDecodeError:
        return "the header row is not UTF-8"
    if not line.strip():
        return "the document is empty: it has no header row"
    if len(line) == MAX_HEADER_CHARS and not line.endswith(("\n", "\r")):
        return f"the header row is longer than {MAX_HEADER_CHARS} characters"
    return tuple(line.rstrip("\r\n").split("\t"))


def json_mapping(table: Table, fields: tuple[str, ...]) -> HeaderMapping:
    """Record paths map by exact name; paths the registry does not know become extras."""
    index = {field: i for i, field in enumerate(fields)}
    positions = tuple(index.get(column.source) for column in table.columns)
    known = {column.source for column in table.columns}
    extras = tuple((field, i) for i, field in enumerate(fields) if field not in known)
    return HeaderMapping("json", positions, extras)


def lineage_of(report: Report, manifest: dict[str, Any]) -> Lineage:
    return Lineage(
        seller_id=report.seller_id,
        marketplace_id=report.marketplace_ids[0] if report.marketplace_ids else None,
        report_id=report.report_id,
        report_type=report.report_type,
        data_start_time=_naive_utc(report.data_start),
        data_end_time=_naive_utc(report.data_end),
        ingested_at=_naive_utc(parse_iso(manifest.get("ingestedAt"))),
        dt=date.fromisoformat(partition_date(report)),
    )


def page_lineage(manifest: dict[str, Any]) -> Lineage:
    """A Data Kiosk page's lineage; raises KeyError/ValueError. No window and no marketplace:
    each record names its own."""
    where = kiosk_lake.page_key_of(manifest)
    return Lineage(
        seller_id=where.partner_id,
        marketplace_id=None,
        report_id=None,
        report_type=None,
        query_id=str(manifest["queryId"]),
        query_name=where.name,
        data_start_time=None,
        data_end_time=None,
        ingested_at=_naive_utc(parse_iso(manifest.get("ingestedAt"))),
        dt=where.dt,
    )


def _stored(manifest: dict[str, Any]) -> tuple[str, _Stored]:
    """The manifest's own key, and the document it records; raises KeyError/ValueError."""
    if manifest.get("source") == kiosk_lake.SOURCE:
        where, query_id = kiosk_lake.page_key_of(manifest), str(manifest["queryId"])

        def page_target(table: str) -> str:
            return curated_page_key(table, where.partner_id, where.dt, query_id)

        stored = _Stored("jsonl", page_lineage(manifest), page_target)
        return kiosk_lake.manifest_key(where, query_id), stored
    report = report_of(manifest)

    def report_target(table: str) -> str:
        return curated_key(table, report)

    stored = _Stored(extension(report.report_type), lineage_of(report, manifest), report_target)
    return manifest_key(report), stored


def _naive_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _in_scope(body: dict[str, Any]) -> bool:
    """Whether a listed manifest feeds a table: reports are listed by type already; a Data
    Kiosk page only when its selection feeds one."""
    if body.get("source") == kiosk_lake.SOURCE:
        return bool(registry.tables_for_query(str(body.get("selection", ""))))
    return True


def _partition(body: dict[str, Any]) -> date | None:
    """The partition date; None for a manifest too broken to rebuild its keys."""
    try:
        if body.get("source") == kiosk_lake.SOURCE:
            return kiosk_lake.page_key_of(body).dt
        return date.fromisoformat(partition_date(report_of(body)))
    except (KeyError, ValueError, TypeError):
        return None
