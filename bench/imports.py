"""Lambda cold start: how long each handler module takes to import, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = (
    "subscribe",
    "authenticate",
    "create_report",
    "process_notification",
    "fetch_document",
    "store_report",
    "reconcile",
    "curate_report",
)
BUDGET_MS = 300.0  # design.md §9
_PROBE = (
    "import time; t = time.perf_counter(); import handlers.{name}; "
    "print((time.perf_counter() - t) * 1000)"
)


def _once(name: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(name=name)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return float(done.stdout.strip())


def run(repeat: int = 3) -> dict[str, float]:
    """Milliseconds to import each handler module, best of `repeat` fresh interpreters. The
    first import of each warms the bytecode cache, as a deployed package ships its .pyc files."""
    for name in HANDLERS:
        _once(name)
    return {name: min(_once(name) for _ in range(repeat)) for name in HANDLERS}


if __name__ == "__main__":
    results = run()
    for name, ms in results.items():
        print(f"{name:22} {ms:7.1f} ms  {'ok' if ms <= BUDGET_MS else 'OVER BUDGET'}")
    print(f"{'slowest':22} {max(results.values()):7.1f} ms  (budget {BUDGET_MS:.0f} ms)")
