"""Curate benchmark: a large GET_MERCHANT_LISTINGS_ALL_DATA TSV to typed Parquet with the
DuckDB engine, against a plain DuckDB `COPY (SELECT * FROM read_csv(…, all_varchar=true))`.

Run: `uv run --all-extras python bench/curate.py [--size-mib N] [--runs N]`. Each measurement is
a fresh child process (wall time, CPU time and peak RSS from its own rusage); this parent imports
nothing heavy, since Linux carries a parent's RSS high-water mark into an exec'd child. Runs
alternate reference and curate, and the best of each is kept, so a busy machine skews both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
TARGET_RATIO, TARGET_RSS_MIB = 1.5, 768
HEADER = (
    "item-name\titem-description\tlisting-id\tseller-sku\tprice\tquantity\topen-date\timage-url\t"
    "item-is-marketplace\tproduct-id-type\tzshop-shipping-fee\titem-note\titem-condition\t"
    "zshop-category1\tzshop-browse-path\tzshop-storefront-feature\tasin1\tasin2\tasin3\t"
    "will-ship-internationally\texpedited-shipping\tzshop-boldface\tproduct-id\t"
    "bid-for-featured-placement\tadd-delete\tpending-quantity\tfulfillment-channel\t"
    "merchant-shipping-group\tstatus\n"
)
_PHRASES = (
    "Stainless Steel Water Bottle Insulated Kitchen Garden Outdoor Premium Classic Edition",
    "Kühlschrank Größe Bügeleisen Spülmaschine Fußmatte Käse Müsli grün weiß schön",
    "crème brûlée château été élégant naïf café déjà façade forêt garçon",
    "Cotton Leather Glass Wood Set Pack of 2 Large Small Black White Blue – “Deal” …",
)
WORDS = [word for phrase in _PHRASES for word in phrase.split()]
ZONES = ("PST", "PDT", "PST", "PDT", "UTC", "MEST", "JST")


class _Rows:
    """Random listing rows built from pools of pre-made pieces: every row differs (as in a real
    catalogue, where dictionary encoding rarely helps), yet a row costs only a few draws."""

    def __init__(self, rng: random.Random) -> None:
        def phrase(low: int, high: int) -> str:
            return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

        self._rng = rng
        self._titles = [phrase(2, 7) for _ in range(4096)]
        self._texts = [phrase(0, 20) for _ in range(4096)]
        self._prices = [
            f"{w:,}.{c:02d}" if rng.random() < 0.1 else f"{w}.{c:02d}"  # thousands, sometimes
            for w, c in ((rng.randint(1, 2999), rng.randint(0, 99)) for _ in range(4096))
        ]
        self._times = [
            f"20{rng.randint(15, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} "
            f"{rng.choice(ZONES)}"
            for _ in range(65536)
        ]

    def row(self, n: int) -> str:
        pick, draw = self._rng.choice, self._rng.getrandbits
        asin = f"B0{10**7 + draw(26):08d}"
        fields = (
            f"{pick(self._titles)} {pick(self._titles)}",
            f"{pick(self._texts)} {pick(self._texts)}",
            # Amazon-fulfilled listings leave quantity empty: a quarter of them here.
            f"1127{n:012d}", f"SKU-{n:010d}", pick(self._prices),
            "" if draw(2) == 0 else str(draw(9)), pick(self._times),
            f"https://m.media-amazon.com/images/I/{10**9 + draw(32)}.jpg", pick("yn"), "1", "",
            pick(("New", "", "", "")), "11", "", "", "", asin, "", "", "", "", "", asin, "", "",
            str(draw(3)), pick(("DEFAULT", "AMAZON_NA")), "Migrated Template",
            pick(("Active", "Inactive")),
        )  # fmt: skip
        return "\t".join(fields) + "\n"


def generate(path: Path, size_bytes: int) -> None:
    """Writes about `size_bytes` of UTF-8 TSV to `path` atomically, streamed in 1 MiB pieces."""
    rows = _Rows(random.Random(20261127))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as out:
        written, first = out.write(HEADER.encode()), 0
        while written < size_bytes:
            data = "".join(rows.row(n) for n in range(first, first + 2048)).encode()
            first += 2048
            if written + len(data) > size_bytes:
                data = data[: data.rfind(b"\n", 0, size_bytes - written) + 1]
                if not data:
                    break
            written += out.write(data)
    os.replace(temporary, path)


def _child(mode: str, source: str, target: str, memory_limit: str, threads: int) -> None:
    """One measured run in this (fresh) process; prints its figures as JSON."""
    sys.path[:0] = [str(ROOT / "src")]
    started = time.perf_counter()
    rows, failures = (_reference if mode == "reference" else _curate)(
        Path(source), Path(target), memory_limit, threads
    )
    seconds, size = time.perf_counter() - started, Path(target).stat().st_size
    print(json.dumps({"seconds": seconds, "rows": rows, "failures": failures,
                      "parquet_mib": size / MIB, "hwm_mib": _high_water_mib()}))  # fmt: skip


def _high_water_mib() -> float | None:
    """This process's own peak RSS (Linux VmHWM, which starts afresh at exec)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(found[0]) / 1024 if found else None


def _reference(source: Path, target: Path, memory_limit: str, threads: int) -> tuple[int, dict]:
    """Plain DuckDB: every column as text, same reader rules, same limits and threads."""
    import duckdb

    config = {"memory_limit": memory_limit, "threads": threads, "preserve_insertion_order": False}
    read = (
        f"read_csv('{source}', delim = '\\t', quote = '', escape = '', header = true, "
        "all_varchar = true)"
    )
    copy = f"COPY (SELECT * FROM {read}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"  # noqa: S608
    found = duckdb.connect(":memory:", config=config).execute(copy).fetchone()
    return (found[0] if found else 0), {}


def _curate(source: Path, target: Path, memory_limit: str, threads: int) -> tuple[int, dict]:
    from datetime import date, datetime

    from adapters.duckdb_curate import DuckDbCurateEngine
    from domain import registry
    from domain.curating import header_fields
    from domain.ports import CurateJob, Lineage

    table = registry.tables_for(REPORT_TYPE)[0]
    fields = header_fields(source)
    assert isinstance(fields, tuple), fields
    day = datetime(2026, 11, 27)
    lineage = Lineage("A3BENCH", "ATVPDKIKX0DER", "54517018502", REPORT_TYPE, day, None, day,
                      date(2026, 11, 27))  # fmt: skip
    mapping = registry.map_headers(table, fields)
    job = CurateJob(table, mapping, fields, source, target, lineage)
    result = DuckDbCurateEngine(memory_limit=memory_limit, threads=threads).curate(job)
    return result.rows, dict(result.parse_failures)


def _measure(
    mode: str, source: Path, work: Path, memory_limit: str, threads: int
) -> dict[str, Any]:
    target = work / f"{mode}.parquet"
    argv = [sys.executable, __file__, "--child", mode, str(source), str(target),
            memory_limit, str(threads)]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out, err = child.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{mode} failed: {err.decode()[-2000:]}")
    figures: dict[str, Any] = json.loads(out)
    target.unlink(missing_ok=True)
    # ru_maxrss can carry the parent's high-water mark over exec; VmHWM cannot.
    rss = figures.get("hwm_mib") or usage.ru_maxrss / 1024
    return {**figures, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": rss}


def run(
    size_mib: int = 1024, runs: int = 3, memory_limit: str = "512MB", threads: int = 2
) -> dict[str, Any]:
    """Best of `runs` alternating reference and curate runs on a cached generated file."""
    build = ROOT / "build" / "bench"
    source = build / f"curate-listings-{size_mib}MiB.tsv"
    if not source.exists():
        print(f"generating {source.relative_to(ROOT)} (once)…", flush=True)
        generate(source, size_mib * MIB)
    references, curates = [], []
    for _ in range(runs):
        references.append(_measure("reference", source, build, memory_limit, threads))
        curates.append(_measure("curate", source, build, memory_limit, threads))
    reference = min(references, key=lambda f: f["wall"])
    curate = min(curates, key=lambda f: f["wall"])
    return {
        "size_mib": source.stat().st_size / MIB, "rows": curate["rows"],
        "failures": curate["failures"], "reference_s": reference["wall"],
        "curate_s": curate["wall"], "ratio": curate["wall"] / reference["wall"],
        "reference_cpu_s": min(f["cpu"] for f in references),
        "curate_cpu_s": min(f["cpu"] for f in curates),
        "cpu_ratio": min(f["cpu"] for f in curates) / min(f["cpu"] for f in references),
        "peak_rss_mib": max(f["rss_mib"] for f in curates),
        "reference_rss_mib": max(f["rss_mib"] for f in references),
        "parquet_mib": curate["parquet_mib"], "memory_limit": memory_limit, "threads": threads,
    }  # fmt: skip


def report(f: dict[str, Any]) -> None:
    print(f"\ncurate: {REPORT_TYPE} TSV → typed Parquet (DuckDB, memory_limit "
          f"{f['memory_limit']}, {f['threads']} threads), best of alternating runs")  # fmt: skip
    print(
        f"  document            {f['size_mib']:,.0f} MiB, {f['rows']:,} rows → "
        f"{f['parquet_mib']:,.0f} MiB Parquet; parse failures {f['failures'] or 'none'}"
    )
    print(
        f"  reference COPY      {f['reference_s']:6.2f} s  (CPU {f['reference_cpu_s']:.2f} s, "
        f"peak RSS {f['reference_rss_mib']:.0f} MiB)"
    )
    print(f"  curate              {f['curate_s']:6.2f} s  (CPU {f['curate_cpu_s']:.2f} s)")
    print(
        f"  ratio               {f['ratio']:6.2f}x  (CPU {f['cpu_ratio']:.2f}x; "
        f"target ≤ {TARGET_RATIO}x)"
    )
    print(f"  peak RSS            {f['peak_rss_mib']:6.0f} MiB (target ≤ {TARGET_RSS_MIB} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    report(run(args.size_mib, args.runs, args.memory_limit, args.threads))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        main()
