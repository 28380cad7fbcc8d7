"""The `<table>_latest` views and sample questions, written once in Athena (Trino) SQL."""

from __future__ import annotations

from dataclasses import dataclass

from domain.registry.model import Latest, Table

EXTRA_COLUMNS = "extra_columns"

# Newest first: the report's window end, then when it reached the lake, then its id, so every
# row of one report ranks alike and a tie between two reports still has one winner.
_NEWEST_FIRST = '"data_end_time" DESC NULLS LAST, "ingested_at" DESC, "report_id" DESC'
# A Data Kiosk page has no window of its own (each record names its dates): when it reached the
# lake, then its query's id.
_NEWEST_PAGE_FIRST = '"ingested_at" DESC, "query_id" DESC'


@dataclass(frozen=True)
class SampleQuery:
    """A question a seller asks, answered in Athena SQL over the curated tables and views."""

    name: str  # an identifier: the Athena named query, and `--sample` style look-ups
    question: str
    sql: str


def view_name(table: Table) -> str:
    return f"{table.name}_latest"


def column_names(table: Table) -> tuple[str, ...]:
    """Every column a curated file of `table` holds, in file order (brief §3)."""
    return (*(c.name for c in table.columns), EXTRA_COLUMNS, *(c.name for c in table.lineage))


def latest_view_sql(table: Table) -> str:
    """The body (`SELECT …`) of `<table>_latest`, reading the table by its bare name.

    SNAPSHOT: every row of the newest report per seller (and marketplace).
    REPLACE_BY_KEY: for each key (within the seller) every row of the newest report holding that
    key; `rank` keeps all of them, identical lines included. The key is not split by marketplace:
    order and settlement reports ignore the marketplaces asked for.
    NEWEST_PER_KEY: the one newest row per key within seller (and marketplace).
    Newest means the table's `newest_by` columns descending first (restated vendor data: the
    newest lastUpdatedDate wins, whenever it arrived), then the window's end and the arrival;
    for a Data Kiosk table the page's arrival, then its query id.
    """
    scope = ['"seller_id"'] + (['"marketplace_id"'] if table.has_marketplace else [])
    key = [f'"{name}"' for name in table.latest_key]
    if table.latest is Latest.SNAPSHOT:
        ranking, partition = "rank()", scope
    elif table.latest is Latest.REPLACE_BY_KEY:
        ranking, partition = "rank()", ['"seller_id"', *key]
    else:
        ranking, partition = "row_number()", [*scope, *key]
    newest = "".join(f'"{name}" DESC NULLS LAST, ' for name in table.newest_by)
    newest += _NEWEST_PAGE_FIRST if table.queries else _NEWEST_FIRST
    columns = ",\n  ".join(f'"{name}"' for name in column_names(table))
    return (
        f"SELECT\n  {columns}\n"  # noqa: S608 - names from the registry, not from users
        f"FROM (\n"
        f"  SELECT *, {ranking} OVER (PARTITION BY {', '.join(partition)} "
        f'ORDER BY {newest}) AS "latest_rank"\n'
        f"  FROM {table.name}\n"
        f") AS ranked\n"
        f'WHERE "latest_rank" = 1'
    )


DEMO_QUERY = "sales_per_marketplace"

SAMPLE_QUERIES: tuple[SampleQuery, ...] = (
    SampleQuery(
        DEMO_QUERY,
        "How many units did each marketplace sell, and for how much?",
        """SELECT
  marketplace_id,
  sales_by_date_ordered_product_sales_currency_code AS currency,
  sum(sales_by_date_units_ordered) AS units_ordered,
  sum(sales_by_date_ordered_product_sales_amount) AS ordered_product_sales
FROM sales_traffic_by_date_latest
GROUP BY 1, 2
ORDER BY 1, 2""",
    ),
    SampleQuery(
        "daily_sales_last_30_days",
        "How did units, sales and sessions move day by day over the last 30 days?",
        """SELECT
  "date",
  marketplace_id,
  sum(sales_by_date_units_ordered) AS units_ordered,
  sum(sales_by_date_ordered_product_sales_amount) AS ordered_product_sales,
  sum(traffic_by_date_sessions) AS sessions
FROM sales_traffic_by_date_latest
WHERE "date" >= current_date - INTERVAL '30' DAY
GROUP BY 1, 2
ORDER BY 1, 2""",
    ),
    SampleQuery(
        "top_asins_by_sales",
        "Which ten child ASINs brought in the most ordered product sales?",
        """SELECT
  marketplace_id,
  child_asin,
  sum(sales_by_asin_units_ordered) AS units_ordered,
  sum(sales_by_asin_ordered_product_sales_amount) AS ordered_product_sales
FROM sales_traffic_by_asin_latest
GROUP BY 1, 2
ORDER BY ordered_product_sales DESC, 1, 2
LIMIT 10""",
    ),
    SampleQuery(
        "vendor_top_asins_by_shipped_revenue",
        "Which ten ASINs shipped the vendor the most revenue, by weekly sales as last restated?",
        """SELECT
  distributor_view,
  selling_program,
  asin,
  shipped_revenue_currency_code AS currency,
  sum(shipped_units) AS shipped_units,
  sum(shipped_revenue_amount) AS shipped_revenue
FROM vendor_sales_by_asin_latest
WHERE report_period = 'WEEK'
GROUP BY 1, 2, 3, 4
ORDER BY shipped_revenue DESC, 1, 2, 3
LIMIT 10""",
    ),
    SampleQuery(
        "orders_per_day",
        "How many orders, units and how much item revenue per purchase day and order status?",
        """SELECT
  CAST(purchase_date AS DATE) AS purchase_day,
  order_status,
  count(DISTINCT amazon_order_id) AS orders,
  sum(quantity) AS units,
  sum(item_price) AS item_revenue
FROM orders_latest
GROUP BY 1, 2
ORDER BY 1, 2""",
    ),
    SampleQuery(
        "listings_gone_inactive",
        "Which listings were active in the previous snapshot and are not active in the latest?",
        """WITH snapshots AS (
  SELECT
    seller_id,
    marketplace_id,
    seller_sku,
    status,
    dense_rank() OVER (
      PARTITION BY seller_id, marketplace_id
      ORDER BY data_end_time DESC NULLS LAST, ingested_at DESC, report_id DESC
    ) AS age
  FROM merchant_listings
)
SELECT
  previous.seller_id,
  previous.marketplace_id,
  previous.seller_sku,
  coalesce(latest.status, 'Removed') AS status_now
FROM snapshots AS previous
LEFT JOIN snapshots AS latest
  ON latest.age = 1
  AND latest.seller_id = previous.seller_id
  AND latest.marketplace_id = previous.marketplace_id
  AND latest.seller_sku = previous.seller_sku
WHERE previous.age = 2
  AND previous.status = 'Active'
  AND coalesce(latest.status, 'Removed') <> 'Active'
ORDER BY 1, 2, 3""",
    ),
    SampleQuery(
        "fba_low_stock",
        "Which FBA SKUs have fewer than ten units ready to ship?",
        """SELECT
  marketplace_id,
  sku,
  asin,
  afn_fulfillable_quantity,
  afn_inbound_shipped_quantity
FROM fba_inventory_latest
WHERE afn_listing_exists AND afn_fulfillable_quantity < 10
ORDER BY afn_fulfillable_quantity, 1, 2""",
    ),
    SampleQuery(
        "settlement_payouts",
        "What did each settlement pay out, and when?",
        """SELECT
  settlement_id,
  settlement_start_date,
  settlement_end_date,
  deposit_date,
  total_amount,
  currency
FROM settlements_latest
WHERE total_amount IS NOT NULL
ORDER BY deposit_date DESC""",
    ),
)
