"""DuckDbCurateEngine on real files: typed Parquet out of TSV documents, failures counted."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from adapters.duckdb_curate import DuckDbCurateEngine
from domain import registry
from domain.curating import CurateError, header_fields
from domain.ports import CurateJob, Lineage
from domain.registry import HeaderMapping, Table

LISTINGS = registry.table("merchant_listings")
SETTLEMENTS = registry.table("settlements")
LINEAGE = Lineage(
    seller_id="A3TH9S8BH6GOGM",
    marketplace_id="ATVPDKIKX0DER",
    report_id="54517018502",
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    data_start_time=datetime(2026, 11, 26),
    data_end_time=None,
    ingested_at=datetime(2026, 11, 27, 12),
    dt=date(2026, 11, 26),
)
HEADER = "item-name\tseller-sku\tprice\tquantity\topen-date\titem-is-marketplace"


def curate(tmp_path: Path, table: Table, text: str, *, comma=False, mapping=None, lineage=LINEAGE):
    """Curates `text` as a document of `table`; returns the result and the Parquet relation."""
    source = tmp_path / "raw.tsv"
    source.write_text(text, encoding="utf-8")
    fields = header_fields(source)
    assert isinstance(fields, tuple)
    mapping = mapping or registry.map_headers(table, fields)
    target = tmp_path / "out.parquet"
    job = CurateJob(table, mapping, fields, source, target, lineage, comma)
    result = DuckDbCurateEngine(memory_limit="256MB", threads=2).curate(job)
    return result, duckdb.read_parquet(str(target), hive_partitioning=False)


def listing(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def column(relation, name: str) -> list:
    return [row[0] for row in relation.select(name).fetchall()]


def test_columns_are_the_typed_registry_columns_then_extra_columns_then_lineage(tmp_path):
    _, parquet = curate(
        tmp_path, LISTINGS, listing("Mug\tSKU-1\t12.50\t3\t2026-11-26 10:00:00 PST\ty")
    )

    types = dict(zip(parquet.columns, map(str, parquet.types), strict=True))
    assert parquet.columns == [
        *(c.name for c in LISTINGS.columns),
        "extra_columns",
        *(c.name for c in registry.LINEAGE),
    ]
    assert types["price"] == "DECIMAL(18,2)"
    assert types["quantity"] == types["pending_quantity"] == "BIGINT"
    assert types["open_date"] == "TIMESTAMP"
    assert types["item_is_marketplace"] == "BOOLEAN"
    assert types["item_name"] == types["seller_id"] == "VARCHAR"
    assert types["extra_columns"] == "MAP(VARCHAR, VARCHAR)"
    assert (types["data_start_time"], types["dt"]) == ("TIMESTAMP", "DATE")
    row = dict(zip(parquet.columns, parquet.fetchall()[0], strict=True))
    assert (row["price"], row["quantity"], row["item_is_marketplace"]) == (
        Decimal("12.50"),
        3,
        True,
    )
    assert row["business_price"] is None  # a column the document does not have
    assert (row["seller_id"], row["marketplace_id"], row["dt"]) == (
        "A3TH9S8BH6GOGM",
        "ATVPDKIKX0DER",
        date(2026, 11, 26),
    )
    assert row["data_start_time"] == datetime(2026, 11, 26)
    assert row["data_end_time"] is None


def test_zone_abbreviations_and_offsets_are_stored_as_utc(tmp_path):
    stamps = (
        "2021-08-15 20:35:17 PDT",
        "2021-01-15 20:35:17 PST",
        "23/09/2021 10:34:38 MEST",
        "2021-08-15 09:00:00 JST",
        "2021-08-15 20:35:17 +05:30",
        "2023-09-25T15:23:39-07:00",
    )
    rows = [f"Mug\tSKU-{i}\t1.00\t1\t{stamp}\ty" for i, stamp in enumerate(stamps)]

    result, parquet = curate(tmp_path, LISTINGS, listing(*rows))

    assert result.parse_failures == {}
    assert column(parquet.order("seller_sku"), "open_date") == [
        datetime(2021, 8, 16, 3, 35, 17),
        datetime(2021, 1, 16, 4, 35, 17),
        datetime(2021, 9, 23, 8, 34, 38),
        datetime(2021, 8, 15, 0, 0, 0),
        datetime(2021, 8, 15, 15, 5, 17),
        datetime(2023, 9, 25, 22, 23, 39),
    ]


def test_eu_decimal_commas_and_dates_are_read_in_the_marketplace_convention(tmp_path):
    header = "\t".join(
        ("settlement-id", "settlement-start-date", "total-amount", "amount", "posted-date")
    )
    header += "\tquantity-purchased"
    rows = (
        "1234\t14.03.2023 07:49:55 UTC\t1.141,18\t\t\t",
        "1234\t\t\t95,00\t14.03.2023\t2",
        "1234\t\t\t-1.234.567,5\t01.02.2023\t1",
    )
    lineage = Lineage("A1", "A1PA6795UKMFR9", "9", "X", None, None, None, date(2023, 3, 14))

    result, parquet = curate(
        tmp_path, SETTLEMENTS, listing(*rows, header=header), comma=True, lineage=lineage
    )

    assert result.parse_failures == {}
    assert "marketplace_id" not in parquet.columns  # settlements mix marketplaces
    found = parquet.select("total_amount, amount, posted_date, settlement_start_date")
    assert sorted(found.fetchall(), key=str) == sorted(
        [
            (Decimal("1141.18"), None, None, datetime(2023, 3, 14, 7, 49, 55)),
            (None, Decimal("95.00"), date(2023, 3, 14), None),
            (None, Decimal("-1234567.50"), date(2023, 2, 1), None),
        ],
        key=str,
    )


def test_bad_values_become_null_and_are_counted_while_every_row_is_kept(tmp_path):
    rows = (
        "Mug\tSKU-1\tabc\t1.5\tyesterday\tmaybe",
        "Cup\tSKU-2\t\t \t\t",
        "Pot\tSKU-3\t1,234.50\t7\t2026-11-26 10:00:00 XYZ\tn",
    )

    result, parquet = curate(tmp_path, LISTINGS, listing(*rows))

    assert result.rows == 3
    assert result.parse_failures == {
        "price": 1,
        "quantity": 1,
        "open_date": 2,
        "item_is_marketplace": 1,
    }
    found = parquet.order("seller_sku").select("price, quantity, open_date, item_is_marketplace")
    assert found.fetchall() == [
        (None, None, None, None),
        (None, None, None, None),  # blank is not a failure
        (Decimal("1234.50"), 7, None, False),
    ]


def test_headers_the_registry_does_not_know_are_kept_in_extra_columns(tmp_path):
    header = f"{HEADER}\tnew-column\tnew-column\tanother"
    rows = ("Mug\tSKU-1\t1.00\t1\t\ty\tA\tB\t", "Cup\tSKU-2\t1.00\t1\t\ty\t\t\t")

    _, parquet = curate(tmp_path, LISTINGS, listing(*rows, header=header))

    assert column(parquet.order("seller_sku"), "extra_columns") == [
        {"new-column": "A", "new-column (2)": "B"},
        {},
    ]


def test_a_document_without_unknown_headers_has_null_extra_columns(tmp_path):
    _, parquet = curate(tmp_path, LISTINGS, listing("Mug\tSKU-1\t1.00\t1\t\ty"))

    assert column(parquet, "extra_columns") == [None]


def test_a_positional_mapping_reads_each_column_by_its_index(tmp_path):
    required = [c for c in LISTINGS.columns if not c.optional]
    header = "\t".join(f"列{i}" for i in range(len(required)))
    values = [f"v{i}" for i in range(len(required))]
    values[4], values[5], values[6], values[8] = "19.99", "4", "2021-08-15 20:35:17 JST", "yes"
    values[25] = "not a number"  # pending-quantity

    result, parquet = curate(tmp_path, LISTINGS, listing("\t".join(values), header=header))

    assert result.parse_failures == {"pending_quantity": 1}
    row = dict(zip(parquet.columns, parquet.fetchall()[0], strict=True))
    assert (row["item_name"], row["price"], row["quantity"]) == ("v0", Decimal("19.99"), 4)
    assert row["item_is_marketplace"] is True
    assert row["open_date"] == datetime(2021, 8, 15, 11, 35, 17)
    assert row["status"] == f"v{len(required) - 1}"


def test_a_quote_opening_a_value_breaks_nothing_and_identical_lines_are_both_kept(tmp_path):
    rows = (
        '"Mug 12 oz, blue\tSKU-1\t1.00\t1\t\ty',
        'Cup "Deluxe"\tSKU-2\t2.00\t1\t\ty',
        'Cup "Deluxe"\tSKU-2\t2.00\t1\t\ty',
        "Plate\tSKU-3\t3.00\t1\t\ty",
    )

    result, parquet = curate(tmp_path, LISTINGS, listing(*rows))

    assert result.rows == 4
    assert column(parquet.order("seller_sku, item_name"), "item_name") == [
        '"Mug 12 oz, blue',
        'Cup "Deluxe"',
        'Cup "Deluxe"',
        "Plate",
    ]


def test_short_rows_are_padded_with_nulls_and_crlf_lines_are_read(tmp_path):
    text = listing("Mug\tSKU-1\t1.00", "Cup\tSKU-2\t2.00\t5\t\tn").replace("\n", "\r\n")

    result, parquet = curate(tmp_path, LISTINGS, text)

    assert result.rows == 2
    assert result.parse_failures == {}
    found = parquet.order("seller_sku").select("price, quantity, item_is_marketplace")
    assert found.fetchall() == [(Decimal("1.00"), None, None), (Decimal("2.00"), 5, False)]


def test_a_header_only_document_writes_an_empty_table(tmp_path):
    result, parquet = curate(tmp_path, LISTINGS, listing())

    assert result.rows == 0
    assert parquet.fetchall() == []
    assert "price" in parquet.columns


def test_curating_twice_gives_the_same_rows(tmp_path):
    text = listing(
        *(
            f"Item {i}\tSKU-{i}\t{i}.25\t{i}\t2026-01-0{i % 9 + 1} 00:00:00 UTC\ty"
            for i in range(50)
        )
    )
    first_run, second_run = tmp_path / "first", tmp_path / "second"
    first_run.mkdir()
    second_run.mkdir()

    _, first = curate(first_run, LISTINGS, text)
    _, second = curate(second_run, LISTINGS, text)

    rows = first.order("seller_sku").fetchall()
    assert len(rows) == 50
    assert rows == second.order("seller_sku").fetchall()


def test_an_engine_failure_is_a_curate_error_and_leaves_no_target(tmp_path):
    job = CurateJob(
        LISTINGS,
        HeaderMapping("name", (0,) + (None,) * 53),
        ("item-name",),
        tmp_path / "missing.tsv",
        tmp_path / "out.parquet",
        LINEAGE,
    )

    with pytest.raises(CurateError, match=r"curating merchant_listings from missing\.tsv failed"):
        DuckDbCurateEngine().curate(job)

    assert not (tmp_path / "out.parquet").exists()
