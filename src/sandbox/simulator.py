"""The SP-API simulator: a WSGI app serving LWA, Reports, Notifications and document downloads."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.contract import (
    ContractViolation,
    validate_notification,
    validate_request,
    validate_response,
)
from sandbox.datakiosk import (
    QUERY_FINISHED,
    DataKioskApi,
    KioskSwitches,
    query_finished,
    validate_query_notification,
)
from sandbox.documents import PREFIX, Documents
from sandbox.kiosk_documents import KIOSK_PREFIX, KioskDocuments
from sandbox.kiosk_store import QueryStore, SimQuery
from sandbox.lwa import TOKEN_PATH, Principal, TokenStore, token_endpoint
from sandbox.messages import REPORT_FINISHED, report_finished
from sandbox.notifications import NotificationsApi
from sandbox.ratelimit import RateLimiter
from sandbox.reports import ReportStore, SimReport
from sandbox.reports_api import ReportsApi
from sandbox.schedules import SchedulesApi
from sandbox.settings import DocumentOverride, Faults, SimulatorConfig
from sandbox.swagger import find_operation
from sandbox.ticker import Ticker
from sandbox.wsgi import (
    ApiError,
    Call,
    Request,
    Response,
    error_body,
    invalid_input,
    json_response,
    new_request_id,
    not_found,
)

__all__ = ["DocumentOverride", "Faults", "Simulator", "SimulatorConfig"]

log = logging.getLogger("sandbox")

GRANTLESS = frozenset(
    {
        "getDestinations",
        "createDestination",
        "getDestination",
        "deleteDestination",
        "getSubscriptionById",
        "deleteSubscriptionById",
    }
)
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
QUOTA_EXCEEDED = error_body(
    "QuotaExceeded", "You exceeded your quota for the requested resource.", ""
)
_SERVER_ERRORS = (
    (500, "InternalFailure", "We encountered an internal error. Please try again."),
    (503, "ServiceUnavailable", "Service temporarily unavailable. Please try again later."),
)


class Simulator:
    """A WSGI callable. Flip `faults` from tests; read `notifications` and `violations`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.faults = Faults()
        self.notifications: list[dict[str, Any]] = []  # every REPORT_PROCESSING_FINISHED sent
        self.violations: list[str] = []  # our own answers that broke Amazon's models
        self.callback_errors: list[BaseException] = []
        # Per operation: calls that reached the rate limiter, and those it answered 429.
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._clock = self.config.clock
        self._tokens = TokenStore(self._clock, self.config.token_ttl_seconds)
        self._limiter = RateLimiter(self.config.rate_limit, self._clock)
        self._reports = ReportStore(self.config.processing_seconds)
        self._documents = Documents(self.config, self.faults, self._reports)
        self._notifications = NotificationsApi()
        reports = ReportsApi(
            self._reports,
            self._documents,
            self.faults,
            created=self._report_created,
            finished=self._deliver,
            vendors=self.config.vendor_marketplaces(),
        )
        self._vendor_ids = frozenset(self.config.vendor_marketplaces())
        self._handlers: dict[str, Callable[[Call], Response]] = {
            **reports.handlers(),
            **self._notifications.handlers(),
            **SchedulesApi().handlers(),
            **self._kiosk_api().handlers(),
        }
        self._server_errors_sent = 0
        self._lock = threading.Lock()
        interval = min(0.25, max(0.01, self.config.processing_seconds / 10))
        self._ticker = Ticker(self.tick, self._pending, interval)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = self.handle(Request.from_environ(environ, self.config.base_url))
        if response.header("x-amzn-RequestId") is None:
            response.headers.append(("x-amzn-RequestId", new_request_id()))
        start_response(response.status_line, response.headers)
        return response.body

    def handle(self, request: Request) -> Response:
        if request.path == TOKEN_PATH:
            return token_endpoint(request, self.config, self.faults, self._tokens)
        if request.path.startswith(PREFIX):
            return self._documents.download(request, self._clock())
        if request.path.startswith(KIOSK_PREFIX):
            return self._kiosk_documents.download(request, self._clock())
        found = find_operation(request.method, request.path)
        if found is None:
            return json_response(404, error_body("NotFound", "Resource not found."))
        operation_id = found[0].operation_id
        response = self._api(request, operation_id)
        if self.config.validate_responses:
            try:
                validate_response(operation_id, response.status, response.payload)
            except ContractViolation as violation:
                self.violations.append(str(violation))
                raise
        return response

    def _api(self, request: Request, operation_id: str) -> Response:
        self.tick()
        if self.faults.take("server_errors"):
            with self._lock:
                status, code, message = _SERVER_ERRORS[self._server_errors_sent % 2]
                self._server_errors_sent += 1
            return json_response(status, error_body(code, message))
        if self.faults.take("throttle_storm"):
            return json_response(429, QUOTA_EXCEEDED)
        principal, reason = self._tokens.resolve(request.header("x-amz-access-token"))
        if principal is None or not _may_call(principal, operation_id):
            details = reason or "This operation needs a different kind of access token."
            message = "Access to requested resource is denied."
            return json_response(403, error_body("Unauthorized", message, details))
        allowed = self._limiter.acquire(operation_id, principal.caller)
        with self._lock:
            self.calls[operation_id] += 1
            self.throttled[operation_id] += not allowed
        if not allowed:
            return json_response(429, QUOTA_EXCEEDED)
        try:
            response = self._dispatch(request, operation_id, principal)
        except ContractViolation as violation:
            response = invalid_input(violation.problem).response()
        except ApiError as error:
            response = error.response()
        if 200 <= response.status < 300 or response.status in (400, 404):
            response.set_header("x-amzn-RateLimit-Limit", self._limiter.header(operation_id))
        return response

    def _dispatch(self, request: Request, operation_id: str, principal: Principal) -> Response:
        body = None
        if request.oversized:
            raise invalid_input("The request body is too large.")
        if request.body.strip():
            if "json" not in (request.header("content-type") or ""):
                raise ApiError(415, "UnsupportedMediaType", "Send the body as application/json.")
            try:
                body = json.loads(request.body)
            except ValueError:
                raise invalid_input("body: not valid JSON") from None
        params = validate_request(operation_id, request.method, request.path, request.query, body)
        handler = self._handlers.get(operation_id)
        if handler is None:
            raise not_found(f"{operation_id} is not available in this simulator.")
        call = Call(
            operation=operation_id,
            params=params,
            body=body,
            seller_id=principal.seller_id,
            client_id=principal.client_id,
            now=self._clock(),
            base_url=request.base_url,
        )
        return handler(call)

    def tick(self) -> None:
        """Move reports along the clock and deliver notifications for those that finished.

        A background thread calls this while reports are pending; every API request calls it
        too, so a test driving a manual clock sees transitions as soon as it asks.
        """
        for report in self._reports.advance(self._clock()):
            self._deliver(report)
        for query in self._queries.advance(self._clock()):
            self._deliver_query(query)

    def generate(
        self, seller_id: str, report_type: str, marketplace_ids: tuple[str, ...], count: int
    ) -> list[str]:
        """Reports Amazon creates by itself (schedules, settlements): they finish after the
        processing time and are notified like any other. Returns their ids."""
        now = self._clock()
        ids = []
        for _ in range(count):
            report = SimReport(
                seller_id=seller_id,
                report_id="",
                report_type=report_type,
                marketplace_ids=marketplace_ids,
                data_start=now - 86400,
                data_end=now,
                created=now,
                outcome="DONE",
                vendor=seller_id in self._vendor_ids,
            )
            ids.append(self._reports.create(report).report_id)
        self._report_created()
        return ids

    def close(self) -> None:
        """Stop the background thread; the simulator still answers requests afterwards."""
        self._ticker.close()

    def destination_of(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The destination (e.g. `{"sqs": {"arn": ...}}` in `resource`) a message is for."""
        return self._notifications.destination_of(message["notificationMetadata"]["subscriptionId"])

    def _report_created(self) -> None:
        self.tick()
        self._ticker.poke()

    def _deliver(self, report: SimReport) -> None:
        subscription_id = self._notifications.subscription_for(report.seller_id, REPORT_FINISHED)
        if subscription_id is None:
            return
        message = report_finished(
            report,
            subscription_id=subscription_id,
            application_id=self.config.application_id,
            now=self._clock(),
        )
        try:
            validate_notification(message)
        except ContractViolation as violation:
            self.violations.append(str(violation))
        with self._lock:
            self.notifications.append(message)
        self._send(message, f"report {report.report_id}")

    def _send(self, message: dict[str, Any], what: str) -> None:
        """Hand a message, of either type, to `config.on_report_finished` (SqsDelivery sends it
        to its subscription's destination queue)."""
        callback = self.config.on_report_finished
        if callback is None:
            return
        try:
            callback(message)
        except Exception as error:  # a broken consumer must not stop the simulator
            log.exception("on_report_finished failed for %s", what)
            self.callback_errors.append(error)

    # --- Data Kiosk ------------------------------------------------------------------------

    def _kiosk_api(self) -> DataKioskApi:
        """Build the Data Kiosk API; tests flip `kiosk_switches` and read `kiosk_notifications`."""
        config = self.config
        self.kiosk_switches = KioskSwitches()
        # Every DATA_KIOSK_QUERY_PROCESSING_FINISHED message sent to a subscription.
        self.kiosk_notifications: list[dict[str, Any]] = []
        self._queries = QueryStore(config.processing_seconds, config.kiosk_concurrency)
        self._kiosk_documents = KioskDocuments(
            self._queries, config.url_ttl_seconds, config.kiosk_rows, config.vendor_marketplaces()
        )
        return DataKioskApi(
            self._queries,
            self._kiosk_documents,
            self.kiosk_switches,
            pages=config.kiosk_pages,
            created=self._report_created,
            finished=self._deliver_query,
        )

    def _deliver_query(self, query: SimQuery) -> None:
        subscription_id = self._notifications.subscription_for(query.partner_id, QUERY_FINISHED)
        if subscription_id is None:
            return
        message = query_finished(
            query,
            subscription_id=subscription_id,
            application_id=self.config.application_id,
            now=self._clock(),
        )
        try:
            validate_query_notification(message)
        except ContractViolation as violation:
            self.violations.append(str(violation))
        with self._lock:
            self.kiosk_notifications.append(message)
        # Delivered as REPORT_PROCESSING_FINISHED is: SqsDelivery finds the queue by the
        # message's subscriptionId, whatever its type.
        self._send(message, f"query {query.query_id}")

    def kiosk_pending(self) -> bool:
        """Whether a Data Kiosk query is still IN_QUEUE or IN_PROGRESS (its notification is to
        come)."""
        return self._queries.pending()

    def kiosk_queries(self, partner_id: str) -> list[SimQuery]:
        """Every Data Kiosk query of a partner, for tests to check what ran when."""
        return self._queries.of_partner(partner_id)

    def _pending(self) -> bool:
        return self._reports.pending() or self._queries.pending()


def _may_call(principal: Principal, operation_id: str) -> bool:
    if operation_id in GRANTLESS:
        return principal.scope == NOTIFICATIONS_SCOPE
    return principal.seller_id is not None
