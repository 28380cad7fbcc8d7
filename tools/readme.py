"""The README's generated parts: the curated tables (from the registry) and the sample queries
(Athena SQL, and the DuckDB SQL it becomes locally). `python tools/readme.py` rewrites them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from adapters.duckdb_query import to_duckdb  # noqa: E402
from domain.registry.docs import markdown  # noqa: E402
from domain.registry.views import SAMPLE_QUERIES  # noqa: E402

README = ROOT / "README.md"


def queries() -> str:
    parts: list[str] = []
    for query in SAMPLE_QUERIES:
        local = to_duckdb(query.sql)
        parts += [f"**{query.question}** (`{query.name}`, a named query in the workgroup)", ""]
        parts += ["```sql", query.sql, "```", ""]
        if local.split() != query.sql.split():
            parts += ["Locally (`spapi-lake query`), as sqlglot writes it for DuckDB:", ""]
            parts += ["```sql", local, "```", ""]
    return "\n".join(parts).rstrip() + "\n"


SECTIONS = {"tables": markdown, "queries": queries}


def _span(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:begin[^>]*-->\n)(.*?)(<!-- {name}:end -->)", re.DOTALL)


def current(text: str, name: str) -> str | None:
    found = _span(name).search(text)
    return found.group(2) if found else None


def rewritten(text: str) -> str:
    for name, build in SECTIONS.items():
        body = build().rstrip() + "\n"
        text = _span(name).sub(lambda m, b=body: m.group(1) + b + m.group(3), text)
    return text


if __name__ == "__main__":
    README.write_text(rewritten(README.read_text(encoding="utf-8")), encoding="utf-8")
