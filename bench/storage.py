"""Storage-path benchmark: a Cp1252 listing report through gunzip → UTF-8 → FileLake, in a
child process (wall time, peak RSS over its own baseline), against a bare `gzip -dc`."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
CONTENT_TYPE = "text/plain; charset=Cp1252"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
COLUMNS = (
    "item-name\titem-description\tlisting-id\tseller-sku\tprice\tquantity\topen-date\t"
    "image-url\titem-is-marketplace\tproduct-id-type\titem-note\titem-condition\tasin1\t"
    "will-ship-internationally\texpedited-shipping\tproduct-id\tadd-delete\tpending-quantity\t"
    "fulfillment-channel\tmerchant-shipping-group\tstatus\n"
)
_PHRASES = (
    "Kühlschrank Größe Bügeleisen Spülmaschine Fußmatte Käse Müsli grün weiß schön",
    "crème brûlée château été élégant naïf café déjà façade forêt garçon",
    "niño señal año pequeño jalapeño mañana acción corazón caffè città perché più",
    "Edelstahl Baumwolle Holz Glas Leder Set Pack Premium Classic Edition – „Angebot“ …",
)
WORDS = [word for phrase in _PHRASES for word in phrase.split()]


def _block(rng: random.Random, target: int) -> bytes:
    """Realistic rows worth about `target` bytes; `#####` is replaced per repetition so that
    ids differ between repetitions."""
    rows, size, n = [], 0, 0
    while size < target:
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        note = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 25)))
        price = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
        row = (
            f"{title}\t{note}\t1127#####{n:07d}\tSKU-#####-{n:07d}\t{price}\t{rng.randint(0, 500)}"
            f"\t2026-11-{rng.randint(1, 27):02d} 10:{rng.randint(0, 59):02d}:00 MEZ"
            f"\thttps://m.media-amazon.com/images/I/{rng.randint(10**9, 10**10)}.jpg\ty\t1\t"
            f"{'Neu – ' + rng.choice(WORDS) if rng.random() < 0.2 else ''}\t11\t"
            f"B0{rng.randint(10**7, 10**8 - 1)}\t\t\tB0{rng.randint(10**7, 10**8 - 1)}\t\t0\t"
            f"DEFAULT\tMigrierte Vorlage\tAktiv\n"
        ).encode("cp1252")
        rows.append(row)
        size, n = size + len(row), n + 1
    return b"".join(rows)


def generate_report(path: Path, size_bytes: int) -> None:
    """Writes a gzip (ISA-L level 1) Cp1252 TSV listing report of about `size_bytes`
    decompressed bytes to `path`, atomically: a cached file is always complete."""
    from isal import igzip

    block = _block(random.Random(20261127), min(4 * MIB, max(size_bytes, 1)))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    with igzip.open(temporary, "wb", compresslevel=1) as out:
        written = out.write(COLUMNS.encode("cp1252"))
        repetition = 0
        while written < size_bytes:
            data = block.replace(b"#####", b"%05d" % (repetition % 100000))
            if written + len(data) > size_bytes:
                data = data[: data.rfind(b"\n", 0, size_bytes - written) + 1]
                if not data:  # less than a row to go
                    break
            written += out.write(data)
            repetition += 1
    os.replace(temporary, path)


class FileDocumentSource:
    """A DocumentSource over a local file, read in 1 MiB chunks like the HTTP adapter."""

    class _Stream:
        content_type = CONTENT_TYPE
        content_encoding = None

        def __init__(self, path: str) -> None:
            self._path = path

        def chunks(self) -> Iterator[bytes]:
            with open(self._path, "rb", buffering=0) as file:
                while chunk := file.read(MIB):
                    yield chunk

    @contextmanager
    def open(self, url: str) -> Iterator[_Stream]:
        yield self._Stream(url)


def _child(document: str, lake_dir: str) -> None:
    """Runs the storage pipeline once and prints its figures as JSON."""
    sys.path[:0] = [str(ROOT / "src")]
    from adapters.fast_gzip import BACKEND, gzip_decompressor
    from adapters.file_lake import FileLake
    from domain.model import Report, ReportDocument, ReportStatus
    from domain.storing import DocumentStorer

    created = datetime(2026, 11, 27, tzinfo=UTC)
    report = Report("A3TH9S8BH6GOGM", "54517018502", REPORT_TYPE, ReportStatus.DONE, created)
    clock = type("Clock", (), {"now": staticmethod(lambda: datetime.now(UTC))})()
    # store_document never calls getReportDocument: no ReportsApi needed.
    storer = DocumentStorer(None, FileDocumentSource(), FileLake(lake_dir), clock,  # type: ignore[arg-type]
                            gzip_decompressor, max_decompressed_bytes=64 << 30)  # fmt: skip
    baseline = _current_rss_kib()
    started = time.perf_counter()
    stored = storer.store_document(report, ReportDocument("amzn1.spdoc.bench", document, "GZIP"))
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    download = stored.download
    assert download is not None
    print(json.dumps({"seconds": elapsed, "baseline_kib": baseline, "peak_kib": peak,
                      "bytes": download.bytes, "rows": download.rows, "backend": BACKEND,
                      "decompressed": _decompressed_size(document)}))  # fmt: skip


def _current_rss_kib() -> int:
    """Resident memory now (Linux), else the peak so far; before processing the two differ
    only by what imports briefly used."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _decompressed_size(document: str) -> int:
    """From the gzip trailer (ISIZE, modulo 4 GiB): exact for our single-member files."""
    with open(document, "rb") as file:
        file.seek(-4, os.SEEK_END)
        return int.from_bytes(file.read(4), "little")


def _gunzip_seconds(document: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["gzip", "-dc", str(document)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _pipeline(document: Path, lake_parent: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=lake_parent) as lake:
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(document), lake],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    figures: dict[str, float] = json.loads(child.stdout)
    return figures


def measure(document: Path, lake_parent: Path, runs: int = 2) -> dict[str, float]:
    """Best of `runs` alternating runs of `gzip -dc` and of the pipeline in a fresh child (the
    alternation spreads the noise of a shared machine over both)."""
    gunzips, pipelines = [], []
    for _ in range(runs):
        gunzips.append(_gunzip_seconds(document))
        pipelines.append(_pipeline(document, lake_parent))
    best = min(pipelines, key=lambda figures: figures["seconds"])
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "decompressed_mib": best["decompressed"] / MIB,
        "compressed_mib": document.stat().st_size / MIB,
        "gunzip_s": min(gunzips),
        "pipeline_s": best["seconds"],
        "stored_mib": best["bytes"] / MIB,
        "rows": best["rows"],
        "baseline_rss_mib": best["baseline_kib"] / 1024,
        "peak_rss_mib": max(p["peak_kib"] for p in pipelines) / 1024,
        "children_peak_rss_mib": children_peak / 1024,
        "backend": best["backend"],
    }


def main() -> None:
    size = int(os.environ.get("BENCH_BYTES", str(1 << 30)))
    build = ROOT / "build" / "bench"
    document = build / f"listings-{size // MIB}MiB.tsv.gz"
    if not document.exists():
        print(f"generating {document.relative_to(ROOT)} (once)…", flush=True)
        generate_report(document, size)
    lake_parent = Path(os.environ.get("BENCH_LAKE_DIR", str(build)))
    f = measure(document, lake_parent, int(os.environ.get("BENCH_RUNS", "2")))
    mb = f["decompressed_mib"] * MIB / 1e6
    print(f"storage pipeline ({f['backend']}), lake under {lake_parent}")
    print(f"  document          {f['decompressed_mib']:8.0f} MiB Cp1252, "
          f"{f['compressed_mib']:.0f} MiB gzip; stored {f['stored_mib']:.0f} MiB UTF-8, "
          f"{f['rows']:,} rows")  # fmt: skip
    print(f"  gzip -dc          {f['gunzip_s']:8.2f} s  {mb / f['gunzip_s']:7.0f} MB/s")
    print(f"  pipeline          {f['pipeline_s']:8.2f} s  {mb / f['pipeline_s']:7.0f} MB/s")
    print(f"  ratio             {f['pipeline_s'] / f['gunzip_s']:8.2f} x  (target ≤ 2)")
    growth = f["peak_rss_mib"] - f["baseline_rss_mib"]
    print(f"  RSS               {f['baseline_rss_mib']:8.1f} MiB before, "
          f"{f['peak_rss_mib']:.1f} MiB peak: +{growth:.1f} MiB (target ≤ 64); "
          f"RUSAGE_CHILDREN peak {f['children_peak_rss_mib']:.1f} MiB")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
