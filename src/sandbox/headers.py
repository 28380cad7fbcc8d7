"""Header rows of the flat files, from the report schema registry, and the JP listings labels."""

from __future__ import annotations

from domain.registry import tables_for

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"

# Illustrative only: no verified Japanese header list exists (REPORT-SCHEMAS.md §4). They follow
# what is known of localized listings reports: same count and order as the English columns, and
# one "not applicable" text heading several obsolete columns, so text alone cannot map them
# (the Chinese example in gh:jlevers/selling-partner-api#525). All encode in Shift_JIS.
_NOT_APPLICABLE = "該当なし"
JP_LISTING_LABELS: dict[str, str] = {
    "item-name": "商品名",
    "item-description": "商品説明",
    "listing-id": "出品ID",
    "seller-sku": "出品者SKU",
    "price": "価格",
    "quantity": "数量",
    "open-date": "出品日",
    "image-url": "商品イメージURL",
    "item-is-marketplace": "マーケットプレイス出品",
    "product-id-type": "商品IDタイプ",
    "zshop-shipping-fee": _NOT_APPLICABLE,
    "item-note": "コンディション説明",
    "item-condition": "コンディション",
    "zshop-category1": _NOT_APPLICABLE,
    "zshop-browse-path": _NOT_APPLICABLE,
    "zshop-storefront-feature": _NOT_APPLICABLE,
    "asin1": "ASIN 1",
    "asin2": "ASIN 2",
    "asin3": "ASIN 3",
    "will-ship-internationally": "国外へ配送可",
    "expedited-shipping": "迅速な配送",
    "zshop-boldface": _NOT_APPLICABLE,
    "product-id": "商品ID",
    "bid-for-featured-placement": _NOT_APPLICABLE,
    "add-delete": "追加削除",
    "pending-quantity": "保留中の数量",
    "fulfillment-channel": "フルフィルメント・チャネル",
    "merchant-shipping-group": "出品者配送グループ",
    "status": "ステータス",
}


def columns(report_type: str) -> tuple[str, ...]:
    """The English header texts of a registry flat file, in document order; () otherwise.

    Optional columns (seen only under some report options) are not part of the default header.
    """
    found = tables_for(report_type)
    if not found or found[0].format != "tsv":
        return ()
    return tuple(column.source for column in found[0].columns if not column.optional)


def header(report_type: str, names: tuple[str, ...], japanese: bool) -> tuple[str, ...]:
    """The header row as printed: Japanese labels for a JP listings report, else the names."""
    if japanese and report_type == LISTINGS:
        return tuple(JP_LISTING_LABELS[name] for name in names)
    return names
