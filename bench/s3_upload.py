"""Benchmark: a generated 1 GiB body streamed through S3Lake to moto; wall time and peak RSS.

Run: `uv run --all-extras python bench/s3_upload.py [--bytes N] [--part-size N]`. Three processes:
this lean parent (standard library only), a moto server (it keeps the object in memory), and the
uploading child whose peak RSS is the figure that matters (target ≤ 200 MiB). Linux carries a
parent's RSS high-water mark into an exec'd child's `ru_maxrss`, which is why the parent imports
nothing heavy; the child also reports its own VmHWM, which starts afresh at exec.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

MIB = 1 << 20
GIB = 1 << 30
PART_SIZE = 8 * MIB
BUCKET = "spapi-lake-bench"
KEY = "raw/report_type=BENCH/seller_id=S1/dt=2026-11-27/1.tsv"
TARGET_RSS_MIB = 200
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def body(size: int, chunk: int = MIB) -> Iterator[bytes]:
    """`size` bytes in `chunk`-sized pieces, generated on the fly (nothing on disk)."""
    block = (b"0123456789abcdef\t" * (chunk // 17 + 1))[:chunk]
    for offset in range(0, size, chunk):
        yield block[: min(chunk, size - offset)]


def _proc_status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def upload(endpoint: str, size: int, part_size: int) -> dict[str, Any]:
    """The child's work: set up a bucket and key, then one S3Lake.put of `size` bytes."""
    import boto3

    from adapters.s3_lake import S3Lake

    key_arn = boto3.client("kms", endpoint_url=endpoint).create_key()["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    lake = S3Lake(s3, BUCKET, "bench", kms_key_id=key_arn, part_size=part_size)
    baseline = _proc_status_mib("VmRSS")
    started = time.perf_counter()
    written = lake.put(KEY, body(size), "text/tab-separated-values")
    seconds = time.perf_counter() - started
    stored = s3.head_object(Bucket=BUCKET, Key=f"bench/{KEY}")
    return {
        "bytes": written,
        "stored_bytes": stored["ContentLength"],
        "stored_encryption": stored.get("ServerSideEncryption"),
        "upload_seconds": seconds,
        "baseline_rss_mib": baseline,
        "child_vm_hwm_mib": _proc_status_mib("VmHWM"),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _moto_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):  # noqa: S310
                return server, endpoint
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the moto server did not start")


def run(size_bytes: int = GIB, part_size: int = PART_SIZE) -> dict[str, Any]:
    """Serve moto in a subprocess, upload from another, and return the figures."""
    env = {**os.environ, **FAKE_CREDENTIALS}
    server, endpoint = _moto_server(env)
    try:
        argv = [sys.executable, __file__, "--child", endpoint,
                "--bytes", str(size_bytes), "--part-size", str(part_size)]  # fmt: skip
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out, err = child.communicate()
    finally:
        server.terminate()
        server.wait(timeout=30)
    if child.returncode != 0:
        raise RuntimeError(f"upload child failed ({child.returncode}): {err.decode()[-2000:]}")
    figures: dict[str, Any] = json.loads(out)
    if figures["stored_bytes"] != size_bytes or figures["stored_encryption"] != "aws:kms":
        raise RuntimeError(f"the stored object is wrong: {figures}")
    peak = max(usage.ru_maxrss / 1024, figures["child_vm_hwm_mib"])  # ru_maxrss is KiB on Linux
    seconds = figures["upload_seconds"]
    return {
        **figures,
        "part_size_mib": part_size / MIB,
        "wall_seconds": wall,
        "throughput_mib_s": size_bytes / MIB / seconds if seconds else None,
        "child_ru_maxrss_mib": usage.ru_maxrss / 1024,
        "peak_rss_mib": peak,
        "rss_growth_mib": figures["child_vm_hwm_mib"] - figures["baseline_rss_mib"],
        "target_rss_mib": TARGET_RSS_MIB,
        "within_target": peak <= TARGET_RSS_MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bytes", type=int, default=GIB)
    parser.add_argument("--part-size", type=int, default=PART_SIZE)
    parser.add_argument("--child", metavar="ENDPOINT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(upload(args.child, args.bytes, args.part_size)))
        return
    f = run(args.bytes, args.part_size)
    print(f"S3Lake.put of {f['bytes'] / MIB:.0f} MiB in {f['part_size_mib']:.0f} MiB parts to moto")
    print(f"  upload {f['upload_seconds']:.1f} s ({f['throughput_mib_s']:.0f} MiB/s); "
          f"child wall time {f['wall_seconds']:.1f} s")  # fmt: skip
    print(f"  uploading process peak RSS {f['peak_rss_mib']:.0f} MiB (wait4 ru_maxrss "
          f"{f['child_ru_maxrss_mib']:.0f}, VmHWM {f['child_vm_hwm_mib']:.0f}); RSS before the "
          f"upload {f['baseline_rss_mib']:.0f}, growth {f['rss_growth_mib']:.0f} MiB")  # fmt: skip
    verdict = "met" if f["within_target"] else "MISSED"
    print(f"  target ≤ {TARGET_RSS_MIB} MiB: {verdict}")
    if not f["within_target"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
