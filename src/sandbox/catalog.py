"""Sample data the generated documents draw on: products, addresses, marketplace locales."""

from __future__ import annotations

import random
import string

from domain.marketplaces import MARKETPLACES
from sandbox.reports import SimReport

JP = "A1VC38T7YXB528"

# country -> (currency, sales channel, the standard-time zone label Amazon prints in flat files;
# sandbox.formats adds the summer labels and the offsets)
LOCALES: dict[str, tuple[str, str, str]] = {
    "US": ("USD", "Amazon.com", "PST"),
    "CA": ("CAD", "Amazon.ca", "PST"),
    "MX": ("MXN", "Amazon.com.mx", "PST"),
    "BR": ("BRL", "Amazon.com.br", "BRT"),
    "UK": ("GBP", "Amazon.co.uk", "GMT"),
    "IE": ("EUR", "Amazon.ie", "GMT"),
    "DE": ("EUR", "Amazon.de", "MET"),
    "FR": ("EUR", "Amazon.fr", "MET"),
    "IT": ("EUR", "Amazon.it", "MET"),
    "ES": ("EUR", "Amazon.es", "MET"),
    "NL": ("EUR", "Amazon.nl", "MET"),
    "BE": ("EUR", "Amazon.com.be", "MET"),
    "SE": ("SEK", "Amazon.se", "MET"),
    "PL": ("PLN", "Amazon.pl", "MET"),
    "TR": ("TRY", "Amazon.com.tr", "TRT"),
    "EG": ("EGP", "Amazon.eg", "EET"),
    "SA": ("SAR", "Amazon.sa", "AST"),
    "AE": ("AED", "Amazon.ae", "GST"),
    "ZA": ("ZAR", "Amazon.co.za", "SAST"),
    "IN": ("INR", "Amazon.in", "IST"),
    "SG": ("SGD", "Amazon.sg", "SGT"),
    "AU": ("AUD", "Amazon.com.au", "AEST"),
    "JP": ("JPY", "Amazon.co.jp", "JST"),
}

# Every string here encodes in Cp1252: accents, ß, €, typographic quotes and dashes.
# The second name opens a quote it never closes, which garbled naive TSV parsers
# (gh:amzn/selling-partner-api-models#2739); cycling documents hit it on their second row.
PRODUCTS = (
    ("Crème brûlée Set – 4 Förmchen aus Porzellan", "Klassische Förmchen, spülmaschinenfest."),
    ('"Bio" Olivenöl extra vergine 500 ml', "Kaltgepresst, aus Andalucía; Flasche 0,5 l."),
    ("Müsli „Früchte & Nüsse“ 750 g", "Knuspriges Müsli mit 30 % Früchten – ohne Zuckerzusatz."),
    ("Jalapeño Salsa “Picante” 250 ml", "Salsa picante hecha en México, con jalapeños y cilantro."),
    ("Straßenkarte Österreich 1:300.000", "Aktuelle Ausgabe mit Ortsregister für Rad und Auto."),
    ("Café Espresso Bohnen 1 kg – Édition Spéciale", "Torréfaction à l’ancienne, notes de cacao."),
    ("Geschenkgutschein 25 €", "Einlösbar für alle Artikel im Shop; gültig 3 Jahre."),
    ("Señorita Sombrero, naturfarben", "Sombrero tejido a mano en palma natural; talla única."),
    ("Piñata Stern • bunt • 45 cm", "Für Geburtstage und Fiestas; mit Aufhängeschnur."),
    ("Œuvres complètes – Tome I", "Édition reliée, 1 248 pages, papier bible."),
    ("Kühlschrank-Thermometer ±0,5 °C", "Digitales Thermometer mit Magnethalter und Min/Max."),
)

# Every string here encodes in Shift_JIS (and so in windows-31j).
PRODUCTS_JP = (
    ("緑茶ティーバッグ 100個入り", "静岡県産の一番茶を使用した緑茶です。"),
    ('"特選" 煎茶 100g 静岡県産', "深蒸しの煎茶です。"),
    ("ステンレス製 水筒 500ml", "保温・保冷に対応した軽量ボトル。"),
    ("木製 まな板 大サイズ", "国産ひのき材を使用しています。"),
    ("和紙 レターセット「桜」", "便箋20枚と封筒10枚のセット。"),
    ("南部鉄器 急須 0.6L", "岩手県の職人による手作りの急須です。"),
    ("抹茶 粉末 100g 京都府宇治産", "石臼挽きの抹茶パウダー。"),
)

# country -> (city, state or region, postal code)
ADDRESSES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "US": (("San José", "CA", "95112"), ("Española", "NM", "87532"), ("Seattle", "WA", "98109")),
    "CA": (
        ("Montréal", "QC", "H2X 1Y4"),
        ("Trois-Rivières", "QC", "G9A 5H3"),
        ("Toronto", "ON", "M5V 2T6"),
    ),
    "UK": (("Llanfair PG", "Anglesey", "LL61 5UJ"), ("London", "Greater London", "SW1A 1AA")),
    "DE": (("München", "Bayern", "80331"), ("Köln", "Nordrhein-Westfalen", "50667")),
    "FR": (("Besançon", "Doubs", "25000"), ("Orléans", "Loiret", "45000")),
    "ES": (("Málaga", "Andalucía", "29001"), ("A Coruña", "Galicia", "15001")),
    "IT": (("Forlì", "Emilia-Romagna", "47121"), ("Cantù", "Lombardia", "22063")),
    "JP": (("新宿区", "東京都", "160-0022"), ("大阪市北区", "大阪府", "530-0001")),
}

_ALNUM = string.ascii_uppercase + string.digits


def rng_for(report: SimReport) -> random.Random:
    """The same numbers for the same report, every time it is rendered."""
    return random.Random(f"{report.seller_id}/{report.report_id}/{report.report_type}")


def products(report: SimReport) -> tuple[tuple[str, str], ...]:
    return PRODUCTS_JP if JP in report.marketplace_ids else PRODUCTS


def sku(marketplace_id: str, index: int) -> str:
    return f"{country(marketplace_id)}-SKU-{index:05d}"


def country(marketplace_id: str) -> str:
    found = MARKETPLACES.get(marketplace_id)
    return found.country if found else "US"


def region(marketplace_id: str) -> str:
    found = MARKETPLACES.get(marketplace_id)
    return found.region.name if found else "NA"


def locale(marketplace_id: str) -> tuple[str, str, str]:
    return LOCALES.get(country(marketplace_id), LOCALES["US"])


def address(rng: random.Random, marketplace_id: str) -> tuple[str, str, str, str]:
    code = country(marketplace_id)
    city, state, postal = rng.choice(ADDRESSES.get(code, ADDRESSES["DE"]))
    return city, state, postal, "GB" if code == "UK" else code


def asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choices(_ALNUM, k=8))


def fnsku(rng: random.Random) -> str:
    return "X00" + "".join(rng.choices(_ALNUM, k=7))


def token(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(_ALNUM, k=length))


def order_id(rng: random.Random, marketplace_id: str) -> str:
    prefix = {"NA": 111, "EU": 302, "FE": 250}[region(marketplace_id)] + rng.randrange(4)
    return f"{prefix}-{rng.randrange(10**6, 10**7)}-{rng.randrange(10**6, 10**7)}"


def price(rng: random.Random, marketplace_id: str) -> float:
    if country(marketplace_id) == "JP":
        return float(rng.randrange(300, 12000))
    return round(rng.uniform(2.5, 120.0), 2)


def money(amount: float, marketplace_id: str) -> str:
    """As flat files print amounts: yen has no minor unit, everything else has cents."""
    return f"{amount:.0f}" if country(marketplace_id) == "JP" else f"{amount:.2f}"
