"""The deployed state machines, run by moto against stub handlers with the workflow contract."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import (
    DocumentDownloadError,
    DocumentUrlExpiredError,
    InvalidClientError,
    InvalidGrantError,
    ThrottledError,
)
from infra.state_machines import FunctionArns, definitions
from tests.workflow.moto_lambda import Handler, MotoWorkflow, function_arn, moto_workflow
from wiring.payloads import summary_of

ARNS = FunctionArns(
    authenticate=function_arn("authenticate"),
    create_report=function_arn("create_report"),
    fetch_document=function_arn("fetch_document"),
    store_report=function_arn("store_report"),
    curate_report=function_arn("curate_report"),
    run_query=function_arn("run_query"),
)
# moto really sleeps between retries; 1 s is the least Step Functions accepts.
FAST = {"retry_interval_seconds": 1, "max_retry_delay_seconds": 1}
REQUEST_REPORTS = definitions(ARNS, **FAST)["request-reports"]
SELLERS = ("A1SELLER", "A2SELLER", "A3SELLER")
FINISHED = {
    "sellerId": "A1SELLER",
    "reportId": "50038019000",
    "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "processingStatus": "DONE",
    "reportDocumentId": "amzn1.tortuga.4.eu.DOC",
}


def seal(plain: str) -> str:
    """Stands in for KMS: the result no longer contains the plain text."""
    return "kms:" + base64.b64encode(plain[::-1].encode()).decode()


def ingest_report(**options: int) -> dict[str, Any]:
    return definitions(ARNS, **{**FAST, **options})["ingest-report"]


class Amazon:
    """Stub handlers with the contract's shapes; errors are scripted per handler, or per seller."""

    def __init__(self) -> None:
        self.requests = [
            {
                "sellerId": seller,
                "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "marketplaceIds": ["A1PA6795UKMFR9"],
                "dataStartTime": None,
                "dataEndTime": None,
                "reportOptions": None,
            }
            for seller in SELLERS
        ]
        self.document: dict[str, Any] | None = {
            "documentId": FINISHED["reportDocumentId"],
            "sealedUrl": seal("https://tortuga.example/DOC?X-Amz-Signature=abc"),
            "compression": "GZIP",
        }
        self.revoked: set[str] = set()
        self.rejected: set[str] = set()  # sellers whose createReport answers 400
        self.waits: dict[str, int] = {}  # step -> how many attempts are told to wait first
        self._scripted: dict[str, list[Exception]] = {}
        self._always: dict[str, Exception] = {}
        self._lock = threading.Lock()

    def fail(self, step: str, *errors: Exception) -> None:
        """The next calls of `step` raise `errors`, one each, then succeed again."""
        self._scripted.setdefault(step, []).extend(errors)

    def always_fail(self, step: str, error: Exception) -> None:
        self._always[step] = error

    def _maybe_raise(self, step: str) -> None:
        with self._lock:
            if step in self._always:
                raise self._always[step]
            if self._scripted.get(step):
                raise self._scripted[step].pop(0)

    def handlers(self) -> dict[str, Handler]:
        return {
            "authenticate": self.authenticate,
            "create_report": self.create_report,
            "fetch_document": self.fetch_document,
            "store_report": self.store_report,
            "curate_report": self.curate_report,
        }

    def authenticate(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        self._maybe_raise("authenticate")
        if event["sellerId"] in self.revoked:
            raise InvalidGrantError("The refresh token is revoked: authorise the app again")
        return {"sealedToken": seal(f"Atza|token-of-{event['sellerId']}")}

    def _wait(self, step: str, pace: dict[str, Any] | None) -> dict[str, Any] | None:
        """A pace that waits 1 s while `step` has waits left, else None."""
        with self._lock:
            if self.waits.get(step, 0) <= 0:
                return None
            self.waits[step] -= 1
        waits = (pace or {}).get("waits", 0) + 1
        ticket = {"operation": step, "key": "A1SELLER", "notBefore": 1.0}
        return {
            "waiting": True,
            "waitSeconds": 1,
            "waits": waits,
            "ticket": ticket,
            "authenticate": False,
        }

    def create_report(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        if event["action"] == "plan":
            self._maybe_raise("plan")
            return {"groups": [_group(r) for r in self.requests]}
        if event["action"] == "summarise":
            return summary_of(event["results"])
        self._maybe_raise("create_report")
        placement, seller = event["placement"], event["sellerId"]
        waiting = self._wait("create_report", event["pace"])
        if waiting is not None:
            return {"sellerId": seller, "placement": placement, "pace": waiting}
        [request] = placement["pending"]
        done = {"pending": [], "placed": [], "failed": [], "checked": True}
        if seller in self.rejected:
            done["failed"] = [{"request": request, "error": "InvalidRequestError", "cause": "400"}]
        else:
            done["placed"] = [{"reportId": f"R-{seller}", "reused": False, "request": request}]
        return {"sellerId": seller, "placement": done, "pace": {"waiting": False, "waits": 0}}

    def fetch_document(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        self._maybe_raise("fetch_document")
        report = {**FINISHED, "marketplaceIds": ["A1PA6795UKMFR9"]}
        waiting = self._wait("fetch_document", event["pace"])
        if waiting is not None:
            return {"report": report, "document": None, "pace": waiting}
        pace = {"waiting": False, "waits": (event["pace"] or {}).get("waits", 0)}
        return {"report": report, "document": self.document, "pace": pace}

    def store_report(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        self._maybe_raise("store_report")
        stored = event["document"] is not None
        return {
            "outcome": "stored" if stored else "no-data",
            "manifestKey": "manifests/report_type=X/seller_id=A1SELLER/dt=2025-01-01/R.json",
            "dataKey": "raw/report_type=X/seller_id=A1SELLER/dt=2025-01-01/R.tsv"
            if stored
            else None,
            "bytes": 1234 if stored else 0,
            "rows": 10 if stored else 0,
            "curate": False,  # type X is not in the registry: these tests stop at the store
        }

    def curate_report(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        self._maybe_raise("curate_report")
        return {"manifestKey": event["manifestKey"], "curatedAt": None, "tables": []}


def _group(request: dict[str, Any]) -> dict[str, Any]:
    placement = {"pending": [request], "placed": [], "failed": [], "checked": False}
    return {
        "sellerId": request["sellerId"],
        "reportType": request["reportType"],
        "placement": placement,
    }


@pytest.fixture
def amazon() -> Amazon:
    return Amazon()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoWorkflow]:
    with moto_workflow(Amazon().handlers()) as running:
        yield running


@pytest.fixture
def workflow(moto: MotoWorkflow, amazon: Amazon) -> MotoWorkflow:
    return moto.use(amazon.handlers())


def map_output(execution: Any) -> str:
    [exited] = [e for e in execution.events("MapStateExited")]
    return str(exited["stateExitedEventDetails"]["output"])


# request-reports


def test_every_planned_request_is_created_and_no_token_leaves_the_map(workflow):
    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "SUCCEEDED"
    assert sorted(r["reportId"] for r in execution.output["reports"]) == [f"R-{s}" for s in SELLERS]
    assert execution.output["failures"] == []
    creates = workflow.invocations.calls["create_report"][1:-1]
    assert sorted(c["sealedToken"] for c in creates) == sorted(
        seal(f"Atza|token-of-{s}") for s in SELLERS
    )
    for text in (json.dumps(execution.output), map_output(execution)):
        assert "sealedToken" not in text
        assert "kms:" not in text
    assert execution.secrets() == []


def test_the_execution_input_reaches_the_plan(workflow):
    given = {"sellerIds": ["A1SELLER"], "reportTypes": ["GET_MERCHANT_LISTINGS_ALL_DATA"]}

    workflow.run(REQUEST_REPORTS, given)

    assert workflow.invocations.calls["create_report"][0] == {"action": "plan", "input": given}


def test_a_seller_whose_grant_is_revoked_fails_the_execution_visibly_after_the_others(
    workflow, amazon
):
    amazon.revoked.add("A2SELLER")

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "FAILED"
    assert execution.error == "RequestsUnplacedError"
    cause = json.loads(execution.cause)
    assert sorted(r["reportId"] for r in cause["reports"]) == ["R-A1SELLER", "R-A3SELLER"]
    [failure] = cause["failures"]
    assert failure["request"]["sellerId"] == "A2SELLER"
    assert failure["error"] == "InvalidGrantError"
    assert "authorise the app again" in failure["cause"]
    assert cause["unplaced"] == 1
    asked = [call["sellerId"] for call in workflow.invocations.calls["authenticate"]]
    assert asked.count("A2SELLER") == 1
    assert "kms:" not in execution.cause


def test_a_rejected_request_fails_the_execution_with_the_list(workflow, amazon):
    amazon.rejected.add("A3SELLER")

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "FAILED"
    assert execution.error == "RequestsUnplacedError"
    [failure] = json.loads(execution.cause)["failures"]
    assert (failure["request"]["sellerId"], failure["error"]) == ("A3SELLER", "InvalidRequestError")


def test_a_rate_limited_group_waits_in_a_wait_state_and_is_then_placed(workflow, amazon):
    amazon.requests = amazon.requests[:1]
    amazon.waits["create_report"] = 2

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "SUCCEEDED"
    assert [r["reportId"] for r in execution.output["reports"]] == ["R-A1SELLER"]
    places = workflow.invocations.calls["create_report"][1:-1]
    assert len(places) == 3
    # Each attempt carries the pace (and its ticket) the previous one returned.
    assert [p["pace"] and p["pace"]["waits"] for p in places] == [None, 1, 2]
    assert len(execution.events("WaitStateEntered")) == 2
    # Short waits keep the token sealed before them: no second Authenticate.
    assert workflow.invocations.count("authenticate") == 1


def test_a_throttled_create_report_is_retried_until_it_succeeds(workflow, amazon):
    amazon.requests = amazon.requests[:1]
    amazon.fail(
        "create_report",
        ThrottledError("createReport", "QuotaExceeded"),
        ThrottledError("createReport", "QuotaExceeded"),
    )

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "SUCCEEDED"
    assert [r["reportId"] for r in execution.output["reports"]] == ["R-A1SELLER"]
    assert workflow.invocations.count("create_report") == 1 + 3 + 1


def test_nothing_due_is_an_empty_success(workflow, amazon):
    amazon.requests = []

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"reports": [], "failures": []}


def test_a_plan_that_cannot_authenticate_fails_with_the_reason(workflow, amazon):
    amazon.always_fail("plan", InvalidClientError("The LWA client secret was rotated"))

    execution = workflow.run(REQUEST_REPORTS, {})

    assert execution.status == "FAILED"
    assert execution.error == "InvalidClientError"
    assert "client secret was rotated" in str(execution.cause)
    assert workflow.invocations.count("authenticate") == 0


# ingest-report


def test_a_finished_report_is_fetched_and_stored(workflow, amazon):
    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "SUCCEEDED"
    assert execution.output["stored"]["outcome"] == "stored"
    assert execution.output["urlRefreshes"] == 0
    [fetched] = workflow.invocations.calls["fetch_document"]
    assert fetched == {
        "sellerId": "A1SELLER",
        "reportId": "50038019000",
        "sealedToken": seal("Atza|token-of-A1SELLER"),
        "report": None,
        "pace": None,
    }
    [stored] = workflow.invocations.calls["store_report"]
    assert stored["document"] == amazon.document
    assert stored["report"]["reportId"] == "50038019000"
    assert "kms:" not in json.dumps(execution.output)
    assert execution.secrets() == []


def test_a_rate_limited_fetch_waits_and_carries_the_report_and_its_pace(workflow, amazon):
    amazon.waits["fetch_document"] = 2

    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "SUCCEEDED"
    calls = workflow.invocations.calls["fetch_document"]
    assert [c["report"] is None for c in calls] == [True, False, False]
    assert [c["pace"] and c["pace"]["ticket"]["operation"] for c in calls] == [
        None,
        "fetch_document",
        "fetch_document",
    ]
    assert len(execution.events("WaitStateEntered")) == 2
    assert execution.output["rateLimitWaits"] == 2
    assert workflow.invocations.count("store_report") == 1


def test_a_report_without_a_document_still_reaches_store_report(workflow, amazon):
    amazon.document = None

    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "SUCCEEDED"
    assert workflow.invocations.calls["store_report"][0]["document"] is None
    assert execution.output["stored"]["outcome"] == "no-data"


def test_an_expired_url_is_fetched_again_with_a_fresh_token(workflow, amazon):
    amazon.fail("store_report", DocumentUrlExpiredError("The pre-signed URL answered 403"))

    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "SUCCEEDED"
    assert workflow.invocations.count("fetch_document") == 2
    # The first sealed token may be older than the URL that expired, so the loop re-authenticates.
    assert workflow.invocations.count("authenticate") == 2
    assert execution.output["urlRefreshes"] == 1


@pytest.mark.parametrize("refreshes", [1, 3])
def test_a_url_that_keeps_expiring_fails_after_the_allowed_refreshes(workflow, amazon, refreshes):
    amazon.always_fail("store_report", DocumentUrlExpiredError("The pre-signed URL answered 403"))

    execution = workflow.run(ingest_report(max_url_refreshes=refreshes), FINISHED)

    assert execution.status == "FAILED"
    assert workflow.invocations.count("fetch_document") == refreshes + 1
    assert execution.error == "DocumentUrlExpiredError"
    assert "DocumentUrlExpiredError" in str(execution.cause)


def test_a_broken_download_is_retried_without_a_new_url(workflow, amazon):
    amazon.fail("store_report", DocumentDownloadError("connection reset mid-body"))

    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "SUCCEEDED"
    assert workflow.invocations.count("store_report") == 2
    assert workflow.invocations.count("fetch_document") == 1


def test_a_revoked_grant_fails_the_ingest_at_once(workflow, amazon):
    amazon.revoked.add("A1SELLER")

    execution = workflow.run(ingest_report(), FINISHED)

    assert execution.status == "FAILED"
    assert execution.error == "InvalidGrantError"
    assert "authorise the app again" in str(execution.cause)
    assert workflow.invocations.count("authenticate") == 1
    assert workflow.invocations.count("fetch_document") == 0
