"""`make load`: bursts of reports on LocalCloud, time-scaled, against Amazon's default buckets.

Each scenario runs the deployed state machines and handlers on a fresh LocalCloud (moto, the
simulator, a pool of execution environments per function at its reserved concurrency), with the
deployed retry and wait timing, and simulated time running `scale` times faster than real time.
It prints what was expected and stored, duplicates, failed executions, 429s and calls per
operation, Lambda invocations per function, wall time and simulated time against the
theoretical minimum. The last line is one JSON object with a key per scenario.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import functools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from localcloud.cloud import LocalCloud  # noqa: E402
from localcloud.stack import StackSpec  # noqa: E402
from sandbox.settings import (  # noqa: E402
    DEFAULT_RATE_LIMITS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SimulatorConfig,
)

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
US = "ATVPDKIKX0DER"
# Ten EU marketplaces: one seller's request-reports fans out over all of them.
EU = (
    "A1F83G8C2ARO7P",  # UK
    "A1PA6795UKMFR9",  # DE
    "A13V1IB3VIYZZH",  # FR
    "APJ6JRA9NG5V4",  # IT
    "A1RKKUPIHCS9HS",  # ES
    "A1805IZSGTT6HS",  # NL
    "A2NODRKZP88ZB9",  # SE
    "A1C3SOZRARQ6R3",  # PL
    "AMEN7PMS3EDWL",  # BE
    "A33AVAJ2PDY3EV",  # TR
)
TYPES = (
    "GET_MERCHANT_LISTINGS_ALL_DATA",
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA",
    "GET_MERCHANT_LISTINGS_INACTIVE_DATA",
    "GET_MERCHANT_LISTINGS_DATA_LITE",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
    "GET_AFN_INVENTORY_DATA",
    "GET_FBA_MYI_ALL_INVENTORY_DATA",
    "GET_RESERVED_INVENTORY_DATA",
    "GET_STRANDED_INVENTORY_UI_DATA",
    "GET_FBA_INVENTORY_PLANNING_DATA",
)
TERMINAL_FAILURES = ("FAILED", "TIMED_OUT", "ABORTED")
# Simulated seconds from createReport (or a report's creation) to DONE.
PROCESSING_SECONDS = 60.0


def seller(index: int) -> tuple[str, str]:
    """(sellerId, refresh token) of the load test's seller number `index`."""
    return f"A{index:02d}LOADSELLER", f"Atzr|load-refresh-token-{index:02d}"


@dataclass
class Scenario:
    name: str
    title: str
    scale: float
    sellers: int
    marketplaces: tuple[str, ...]
    types: tuple[str, ...]
    expected: int
    drive: Callable[[LocalCloud, Scenario], None]
    reports_per_seller: int = 0
    # The CPU-bound start (hundreds of executions starting at once) runs at this scale, so its
    # compute is not stretched into simulated hours; the rest runs at `scale`.
    start_scale: float | None = None
    # How many first fetches end the start: every report's by default; in (c), the createReport
    # burst's 15 (the rest arrive one a minute, paced by createReport's bucket).
    started_after: int | None = None
    notes: list[str] = field(default_factory=list)


def generated(cloud: LocalCloud, scenario: Scenario) -> None:
    """Amazon finishes `reports_per_seller` reports for every seller at once. Their
    notifications arrive interleaved across sellers, as Amazon's do, not seller by seller."""
    for _ in range(scenario.reports_per_seller):
        for index in range(scenario.sellers):
            cloud.simulator.generate(seller(index)[0], LISTINGS, (US,), 1)


def requested(cloud: LocalCloud, scenario: Scenario) -> None:
    """One request-reports execution for every configured type and marketplace."""
    cloud.start("request-reports", {})


def theoretical_min(scenario: Scenario) -> float:
    """The least simulated time Amazon's default buckets allow, bursts spent first."""

    def spaced(operation: str, calls: int) -> float:
        rate, burst = DEFAULT_RATE_LIMITS[operation]
        return max(0.0, (calls - burst) / rate)

    per_seller = scenario.expected // scenario.sellers
    if scenario.drive is requested:
        # createReport paces the reports; each document follows its report by the processing
        # time, and getReportDocument's bucket is as slow as createReport's.
        created = spaced("createReport", per_seller)
        return (
            created
            + PROCESSING_SECONDS
            + max(0.0, spaced("getReportDocument", per_seller) - created)
        )
    return PROCESSING_SECONDS + max(
        spaced("getReportDocument", per_seller), spaced("getReport", per_seller)
    )


def spec_of(scenario: Scenario) -> StackSpec:
    sellers = tuple(
        {
            "name": f"seller-{i:02d}",
            "sellerId": seller(i)[0],
            "marketplaces": list(scenario.marketplaces),
        }
        for i in range(scenario.sellers)
    )
    return StackSpec(
        name=f"load-{scenario.name}",
        region="EU" if scenario.marketplaces == EU else "NA",
        app_client_id=DEMO_CLIENT_ID,
        app_client_secret=DEMO_CLIENT_SECRET,
        sellers=sellers,
        refresh_tokens=dict(seller(i) for i in range(scenario.sellers)),
        reports=tuple({"type": t} for t in scenario.types),
        visibility_timeout=30,
    )


def simulator_of(scenario: Scenario) -> SimulatorConfig:
    return SimulatorConfig(
        processing_seconds=PROCESSING_SECONDS,
        rows=20,
        sellers={seller(i)[1]: seller(i)[0] for i in range(scenario.sellers)},
        validate_responses=False,  # the contract tests validate; here it would only cost CPU
    )


def manifests(cloud: LocalCloud) -> list[dict[str, Any]]:
    s3 = cloud.session.client("s3")
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=cloud.stack.bucket, Prefix="manifests/"
    ):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=cloud.stack.bucket, Key=item["Key"])["Body"].read()
            found.append(json.loads(body))
    return found


def manifest_count(cloud: LocalCloud) -> int:
    s3 = cloud.session.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=cloud.stack.bucket, Prefix="manifests/"
    )
    return sum(page.get("KeyCount", 0) for page in pages)


def executions(cloud: LocalCloud, machine: str) -> list[dict[str, Any]]:
    sfn = cloud.session.client("stepfunctions")
    found: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=cloud.machine_arn(machine)
    ):
        found.extend(page["executions"])
    return found


def started_all(cloud: LocalCloud, scenario: Scenario) -> bool:
    """Whether every expected report has had its first fetch: the burst's start is over."""
    fetched = cloud.dispatcher.stats().get("fetch_document")
    wanted = scenario.started_after or scenario.expected
    return fetched is not None and fetched.invocations >= wanted


def settled(cloud: LocalCloud, scenario: Scenario) -> bool:
    if manifest_count(cloud) < scenario.expected:
        return False
    running = [
        e
        for machine in ("ingest-report", "request-reports")
        for e in executions(cloud, machine)
        if e["status"] == "RUNNING"
    ]
    return not running and not cloud.event_source.in_flight


def run(scenario: Scenario, timeout: float) -> dict[str, Any]:
    start = (
        f"{scenario.start_scale:g}× while the burst starts, then " if scenario.start_scale else ""
    )
    print(f"\n{scenario.title} (time scale {start}{scenario.scale:g}×)", flush=True)
    started = time.monotonic()
    # The functions' JSON logs and metrics go to stdout, as in Lambda: not into these figures.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        return _measured(scenario, timeout, started)


def _measured(scenario: Scenario, timeout: float, started: float) -> dict[str, Any]:
    with LocalCloud(
        spec_of(scenario),
        simulator_of(scenario),
        time_scale=scenario.start_scale or scenario.scale,
        poll_queue=True,
    ) as cloud:
        cloud.invoke("subscribe", {})
        cloud.simulator.calls.clear()
        cloud.simulator.throttled.clear()
        begun = cloud.clock()
        scenario.drive(cloud, scenario)
        deadline = time.monotonic() + timeout
        shown = 0.0
        while not settled(cloud, scenario):
            if cloud.clock.scale != scenario.scale and started_all(cloud, scenario):
                cloud.clock.rescale(scenario.scale)
            if time.monotonic() > deadline:
                scenario.notes.append(f"gave up after {timeout:.0f} s of wall time")
                break
            if time.monotonic() - shown > 30:
                shown = time.monotonic()
                simulated = cloud.clock() - begun
                print(
                    f"  … {manifest_count(cloud)} stored after {simulated:.0f} s simulated",
                    file=sys.__stdout__,
                    flush=True,
                )
            time.sleep(0.5)
        wall = time.monotonic() - started
        stored = manifests(cloud)
        by_report = Counter((m["sellerId"], m["reportId"]) for m in stored)
        ingested = [m["ingestedAt"] for m in stored if m.get("ingestedAt")]
        last = max((_epoch(t) for t in ingested), default=cloud.clock())
        failed = [
            e
            for machine in ("ingest-report", "request-reports")
            for e in executions(cloud, machine)
            if e["status"] in TERMINAL_FAILURES
        ]
        stats = cloud.dispatcher.stats()
        result = {
            "expected": scenario.expected,
            "stored": len(by_report),
            "duplicates": sum(n - 1 for n in by_report.values()),
            "failed_executions": len(failed),
            "throttled_429": dict(sorted(cloud.simulator.throttled.items())),
            "calls": dict(sorted(cloud.simulator.calls.items())),
            "invocations": {name: s.invocations for name, s in sorted(stats.items())},
            "lambda_throttles": {
                name: s.throttles for name, s in sorted(stats.items()) if s.throttles
            },
            "wall_s": round(wall, 1),
            "simulated_s": round(last - begun, 1),
            "theoretical_min_s": round(theoretical_min(scenario), 1),
        }
        if scenario.notes:
            result["notes"] = scenario.notes
    _print(result)
    return result


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _print(result: dict[str, Any]) -> None:
    print = functools.partial(builtins.print, file=sys.__stdout__, flush=True)
    limit = 1.1 * result["theoretical_min_s"] + 60
    for note in result.get("notes", []):
        print(f"  note: {note}")
    print(
        f"  stored {result['stored']} of {result['expected']}, duplicates {result['duplicates']},"
        f" FAILED executions {result['failed_executions']}"
    )
    print(
        f"  simulated {result['simulated_s']:.0f} s against a minimum of"
        f" {result['theoretical_min_s']:.0f} s (target ≤ {limit:.0f} s);"
        f" wall {result['wall_s']:.0f} s"
    )
    for operation, calls in result["calls"].items():
        throttled = result["throttled_429"].get(operation, 0)
        share = 100 * throttled / calls
        print(f"  {operation:<20} {calls:>6} calls {throttled:>4} × 429 ({share:.2f} %)")
    invoked = ", ".join(f"{name} {n}" for name, n in result["invocations"].items() if n)
    print(f"  Lambda invocations: {invoked}")
    if result["lambda_throttles"]:
        throttles = ", ".join(f"{n} {c}" for n, c in result["lambda_throttles"].items())
        print(f"  Lambda throttles (retried): {throttles}")


def scenarios(reports: int) -> list[Scenario]:
    per_seller = max(1, reports // 10)
    return [
        Scenario(
            "a", f"(a) a burst of {reports} finished reports for one seller", 150.0,
            1, (US,), (LISTINGS,), reports, generated, reports_per_seller=reports,
            start_scale=10.0,
        ),
        Scenario(
            "b", f"(b) 10 sellers × {per_seller} reports at once", 10.0,
            10, (US,), (LISTINGS,), 10 * per_seller, generated, reports_per_seller=per_seller,
            start_scale=2.0,
        ),
        Scenario(
            "c", "(c) request-reports for one seller: 10 report types × 10 marketplaces", 45.0,
            1, EU, TYPES, 100, requested, start_scale=15.0, started_after=15,
        ),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices="abc", action="append", help="run these scenarios")
    parser.add_argument("--reports", type=int, default=300, help="reports in (a) and (b)")
    parser.add_argument("--scale", type=float, help="override every scenario's time scale")
    parser.add_argument("--timeout", type=float, default=400.0, help="wall seconds per scenario")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    results = {}
    for scenario in scenarios(args.reports):
        if args.only and scenario.name not in args.only:
            continue
        if args.scale:
            scenario.scale = args.scale
        results[scenario.name] = run(scenario, args.timeout)
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
