"""`make bench`: the storage path on a 1 GiB report, a gzip baseline, the rate limiter, curation."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench import curate, imports, limiter, s3_upload, storage  # noqa: E402
from sandbox.server import serve  # noqa: E402
from sandbox.simulator import DocumentOverride, Simulator, SimulatorConfig  # noqa: E402

SIZE = int(os.environ.get("BENCH_BYTES", str(1 << 30)))
REPORT = "GET_MERCHANT_LISTINGS_ALL_DATA"
MIB = 1 << 20


def _timed(argv: list[str], env: dict[str, str] | None = None, stdout: int | None = None):
    """Run a child and return (wall seconds, peak RSS in MiB, exit code) from its own rusage."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{argv[0]} failed with exit code {code}: {child.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, code


def _ingest(document: Path | None, lake: Path) -> tuple[float, float]:
    overrides = {}
    if document is not None:
        overrides[REPORT] = DocumentOverride(document, "text/plain; charset=Cp1252")
    config = SimulatorConfig(processing_seconds=0.0, document_overrides=overrides)
    simulator = Simulator(config)
    seller = next(iter(config.sellers.values()))
    token = next(iter(config.sellers))
    client_id, secret = next(iter(config.clients.items()))
    with serve(simulator) as server:
        env = {
            **os.environ,
            "SPAPI_CLIENT_ID": client_id,
            "SPAPI_CLIENT_SECRET": secret,
            "SPAPI_REFRESH_TOKEN": token,
        }
        argv = [
            sys.executable, "-m", "handlers.cli", "run",
            "--lake", str(lake), "--endpoint", server.url,
            "--lwa-endpoint", f"{server.url}/auth/o2/token", "--region", "NA",
            "--seller-id", seller, "--marketplace", "ATVPDKIKX0DER", "--report", REPORT,
        ]  # fmt: skip
        elapsed, rss, _ = _timed(argv, env, stdout=subprocess.DEVNULL)
    return elapsed, rss


def main() -> None:
    build = ROOT / "build" / "bench"
    build.mkdir(parents=True, exist_ok=True)
    document = build / f"listings-{SIZE // MIB}MiB.tsv.gz"
    if not document.exists():
        print(f"generating {document.name} (once; cached under build/bench)…", flush=True)
        storage.generate_report(document, SIZE)
    compressed = document.stat().st_size
    gunzip_s, _, _ = _timed(["gzip", "-dc", str(document)], stdout=subprocess.DEVNULL)
    with (
        tempfile.TemporaryDirectory(dir=build) as small_lake,
        tempfile.TemporaryDirectory(dir=build) as big_lake,
    ):
        _, baseline_rss = _ingest(None, Path(small_lake))
        run_s, peak_rss = _ingest(document, Path(big_lake))
        stored = sum(p.stat().st_size for p in Path(big_lake).rglob("*.tsv"))
    print(f"\nstorage path: `spapi-lake run` ingesting {REPORT} from the simulator over loopback")
    print(f"  document            {SIZE / MIB:,.0f} MiB, {compressed / MIB:,.0f} MiB gzipped")
    print(f"  stored (UTF-8)      {stored / MIB:,.0f} MiB")
    print(f"  gzip -dc            {gunzip_s:6.2f} s  ({SIZE / MIB / gunzip_s:,.0f} MiB/s)")
    print(f"  spapi-lake run      {run_s:6.2f} s  ({SIZE / MIB / run_s:,.0f} MiB/s)")
    print(f"  ratio vs gzip -dc   {run_s / gunzip_s:6.2f}x   (target ≤ 2x)")
    print(
        f"  peak RSS            {peak_rss:6.1f} MiB (same command on a 200-row report: "
        f"{baseline_rss:.1f} MiB; growth {peak_rss - baseline_rss:.1f} MiB, target ≤ 64)"
    )
    print("\nrate limiter: a batch of getReport calls against the simulator's default bucket")
    figures = limiter.run()
    for key, value in figures.items():
        print(f"  {key:<30}{value}")
    print("\nLambda cold start: import time of each handler module (fresh interpreter, best of 3)")
    for name, seconds in imports.run().items():  # milliseconds
        print(f"  handlers.{name:<24}{seconds:6.0f} ms   (target ≤ 300 ms)")
    upload = s3_upload.run(SIZE)
    print(f"\nS3Lake: {SIZE / MIB:,.0f} MiB streamed to the moto server in 8 MiB parts, SSE-KMS")
    print(f"  upload              {upload['upload_seconds']:6.1f} s")
    print(
        f"  peak RSS            {upload['peak_rss_mib']:6.1f} MiB (before the upload "
        f"{upload['baseline_rss_mib']:.1f}; target ≤ {upload['target_rss_mib']} MiB)"
    )
    curate.report(curate.run(max(1, SIZE // MIB)))


if __name__ == "__main__":
    main()
