"""Benchmark: a batch of getReport calls through the SP-API adapter against the simulator's buckets.

Run: `uv run python bench/limiter.py [--calls 45] [--workers 1]`. Prints elapsed time against the
theoretical minimum ((calls - burst) / rate) and the number of 429 answers (the target is none).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from adapters.env_credentials import StaticCredentials
from adapters.lwa import LwaAccessTokens
from adapters.rate_limit import RateLimiter
from adapters.spapi_client import SpApiClient
from adapters.spapi_reports import SpApiReportsApi
from domain.model import ReportRequest
from sandbox.server import serve
from sandbox.settings import DEFAULT_RATE_LIMITS
from sandbox.simulator import Simulator, SimulatorConfig

OPERATION = "getReport"


class CountingTransport(httpx.HTTPTransport):
    """Counts the statuses the simulator answered, so the 429s the client retried show up."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: dict[int, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def run(calls: int = 45, workers: int = 1) -> dict[str, Any]:
    """Make `calls` getReport calls for one seller with the simulator's default limits."""
    config = SimulatorConfig(processing_seconds=0.1)
    simulator = Simulator(config)
    rate, burst = DEFAULT_RATE_LIMITS[OPERATION]
    client_id, client_secret = next(iter(config.clients.items()))
    refresh_token, seller_id = next(iter(config.sellers.items()))
    transport = CountingTransport()
    with serve(simulator) as server, httpx.Client(transport=transport, timeout=10) as http:
        credentials = StaticCredentials(client_id, client_secret, refresh_token)
        tokens = LwaAccessTokens(http, credentials, f"{server.url}/auth/o2/token")
        limiter = RateLimiter()
        reports = SpApiReportsApi(SpApiClient(http, tokens, server.url, limiter=limiter))
        end = datetime.now(UTC) - timedelta(hours=1)
        report_id = reports.create_report(
            ReportRequest(
                seller_id,
                "GET_MERCHANT_LISTINGS_ALL_DATA",
                ("ATVPDKIKX0DER",),
                end - timedelta(days=1),
                end,
            )
        )
        transport.statuses.clear()
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda _: reports.get_report(seller_id, report_id), range(calls)))
        elapsed = time.perf_counter() - start
        simulator.close()
    minimum = max(0, calls - burst) / rate
    return {
        "operation": OPERATION,
        "calls": calls,
        "workers": workers,
        "rate_per_second": rate,
        "burst": burst,
        "theoretical_minimum_seconds": round(minimum, 3),
        "elapsed_seconds": round(elapsed, 3),
        "efficiency_percent": round(100 * minimum / elapsed, 1) if elapsed else 100.0,
        "overhead_percent": round(100 * (elapsed - minimum) / minimum, 1) if minimum else None,
        "throttled_429": transport.statuses.get(429, 0),
        "statuses": dict(sorted(transport.statuses.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=45)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    result = run(args.calls, args.workers)
    print(json.dumps(result, indent=2))
    print(
        f"{result['calls']} {OPERATION} calls: {result['elapsed_seconds']:.2f}s elapsed vs "
        f"{result['theoretical_minimum_seconds']:.2f}s minimum "
        f"({result['efficiency_percent']}% efficient), {result['throttled_429']} x 429"
    )


if __name__ == "__main__":
    main()
