"""Shared fixtures: the SP-API simulator served over real loopback HTTP, one per test."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from sandbox.clock import ManualClock
    from sandbox.server import RunningServer
    from sandbox.simulator import Simulator

# Short enough that tests polling for DONE finish quickly, long enough to see IN_QUEUE at all.
TEST_PROCESSING_SECONDS = 0.05
GRANTLESS_SCOPE = "sellingpartnerapi::notifications"
REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"


@cache
def _tls() -> ssl.SSLContext:
    # Every httpx client would otherwise load the CA bundle again (~70 ms each).
    return ssl.create_default_context()


@dataclass
class RunningSimulator:
    """A simulator on a loopback port, with the demo app's credentials to call it."""

    url: str
    sim: Simulator
    client_id: str
    client_secret: str
    refresh_token: str
    seller_id: str
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)

    @cached_property
    def http(self) -> httpx.Client:
        """A plain client for absolute URLs (downloads, the token endpoint)."""
        return self.client()

    @property
    def token_url(self) -> str:
        return f"{self.url}/auth/o2/token"

    def lwa(self, **form: str) -> httpx.Response:
        """POST the token endpoint with the app's credentials plus `form`."""
        data = {"client_id": self.client_id, "client_secret": self.client_secret, **form}
        return self.http.post(self.token_url, data=data)

    def seller_token(self, refresh_token: str | None = None) -> str:
        response = self.lwa(
            grant_type="refresh_token", refresh_token=refresh_token or self.refresh_token
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def grantless_token(self, scope: str = GRANTLESS_SCOPE) -> str:
        response = self.lwa(grant_type="client_credentials", scope=scope)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, token: str | None = None) -> httpx.Client:
        """A plain httpx client for the SP-API paths, closed after the test."""
        headers = {"x-amz-access-token": token} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10, verify=_tls())
        self._clients.append(client)
        return client

    def seller(self, refresh_token: str | None = None) -> httpx.Client:
        return self.client(self.seller_token(refresh_token))

    def grantless(self) -> httpx.Client:
        return self.client(self.grantless_token())

    def create_report(
        self, client: httpx.Client, report_type: str, *markets: str, **body: Any
    ) -> str:
        payload = {"reportType": report_type, "marketplaceIds": list(markets or ["ATVPDKIKX0DER"])}
        response = client.post(REPORTS, json={**payload, **body})
        assert response.status_code == 202, response.text
        return str(response.json()["reportId"])

    def wait_for_report(self, client: httpx.Client, report_id: str) -> dict[str, Any]:
        """getReport until the report is terminal (bounded, so a stuck report fails the test)."""
        for _ in range(200):
            report: dict[str, Any] = client.get(f"{REPORTS}/{report_id}").json()
            if report.get("processingStatus") in ("DONE", "CANCELLED", "FATAL"):
                return report
            time.sleep(TEST_PROCESSING_SECONDS / 2)
        raise AssertionError(f"report {report_id} never finished: {report}")

    def document_url(self, client: httpx.Client, document_id: str, **params: str) -> str:
        response = client.get(f"{DOCUMENTS}/{document_id}", params=params)
        assert response.status_code == 200, response.text
        return str(response.json()["url"])

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., RunningSimulator]]:
    """Factory: `make_simulator(**SimulatorConfig overrides)` starts one more simulator.

    Teardown stops every server and fails the test if the simulator ever answered outside
    Amazon's models.
    """
    from sandbox.server import serve
    from sandbox.simulator import Simulator, SimulatorConfig

    started: list[tuple[RunningServer, RunningSimulator]] = []

    def make(**overrides: Any) -> RunningSimulator:
        config = SimulatorConfig(**{"processing_seconds": TEST_PROCESSING_SECONDS, **overrides})
        sim = Simulator(config)
        server = serve(sim)
        client_id, client_secret = next(iter(config.clients.items()))
        refresh_token, seller_id = next(iter(config.sellers.items()))
        handle = RunningSimulator(
            server.url, sim, client_id, client_secret, refresh_token, seller_id
        )
        started.append((server, handle))
        return handle

    yield make
    for server, handle in started:
        handle.close()
        server.stop()
        handle.sim.close()
    violations = [v for _, handle in started for v in handle.sim.violations]
    assert not violations, f"the simulator broke Amazon's models: {violations}"


@pytest.fixture
def simulator(
    request: pytest.FixtureRequest, make_simulator: Callable[..., RunningSimulator]
) -> RunningSimulator:
    """A simulator with test defaults; parametrize indirectly with a dict of config overrides."""
    overrides: dict[str, Any] = getattr(request, "param", None) or {}
    return make_simulator(**overrides)


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test says so; pass it as `clock=` to make_simulator."""
    from sandbox.clock import ManualClock

    return ManualClock()
