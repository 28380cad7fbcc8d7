"""The Data Kiosk API 2023-11-15 operations, and DATA_KIOSK_QUERY_PROCESSING_FINISHED messages."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft7Validator

from sandbox.contract import FORMATS, ContractViolation, _problem
from sandbox.kiosk_documents import KioskDocuments
from sandbox.kiosk_schema import check
from sandbox.kiosk_store import QueryStore, SimQuery
from sandbox.swagger import load
from sandbox.times import iso_millis, parse
from sandbox.wsgi import Call, Response, invalid_input, json_response, not_found

QUERY_FINISHED = "DATA_KIOSK_QUERY_PROCESSING_FINISHED"
NOTIFICATION_SCHEMA = "DataKioskQueryProcessingFinishedNotification.json"
RETENTION = 90 * 86400
_GRACE = 300


@dataclass
class KioskSwitches:
    """Test switches by dataset name (e.g. analytics_economics_2024_03_15): the queries created
    while a dataset is listed finish FATAL with an error document, or DONE with no document."""

    fatal: set[str] = field(default_factory=set)
    no_data: set[str] = field(default_factory=set)


class DataKioskApi:
    def __init__(
        self,
        store: QueryStore,
        documents: KioskDocuments,
        switches: KioskSwitches,
        *,
        pages: int,
        created: Callable[[], None],
        finished: Callable[[SimQuery], None],
    ) -> None:
        self._store = store
        self._documents = documents
        self._switches = switches
        self._pages_per_query = max(1, pages)
        self._created = created
        self._finished = finished
        self._listings: dict[str, tuple[str, list[str]]] = {}  # getQueries paginationToken
        self._lock = threading.Lock()

    def handlers(self) -> dict[str, Callable[[Call], Response]]:
        return {
            "createQuery": self.create_query,
            "getQueries": self.get_queries,
            "getQuery": self.get_query,
            "cancelQuery": self.cancel_query,
            "getDocument": self.get_document,
        }

    def create_query(self, call: Call) -> Response:
        text: str = call.body["query"]
        checked = check(text)
        page, pages, chain = 0, self._pages_per_query, ""
        token = call.body.get("paginationToken")
        if token is not None:
            previous = self._store.follow(token)
            if previous is None or previous.partner_id != call.seller:
                raise invalid_input("Invalid paginationToken")
            if previous.query != text:
                raise invalid_input("The query must be the same as the one the token came from.")
            page, pages, chain = previous.page + 1, previous.pages, previous.chain
        if checked.dataset in self._switches.fatal:
            outcome = "FATAL"
        elif checked.dataset in self._switches.no_data:
            outcome = "NO_DATA"
        else:
            outcome = "DONE"
        query = SimQuery(
            partner_id=call.seller,
            query_id="",
            query=text,
            dataset=checked.dataset,
            created=call.now,
            outcome=outcome,
            page=page,
            pages=pages,
            chain=chain,
        )
        self._store.create(query)
        self._created()
        return json_response(202, {"queryId": query.query_id})

    def get_query(self, call: Call) -> Response:
        query = self._store.get(call.seller, call.params["queryId"])
        with self._store.lock:
            return json_response(200, query.as_json())

    def cancel_query(self, call: Call) -> Response:
        query = self._store.cancel(call.seller, call.params["queryId"])
        if query is not None:
            self._finished(query)
        return json_response(204, None)

    def get_document(self, call: Call) -> Response:
        document_id = call.params["documentId"]
        query = self._store.by_document(call.seller, document_id)
        if query is None:
            raise not_found(f"Document {document_id} not found")
        url = self._documents.presign(query, document_id, call.base_url, call.now)
        return json_response(200, {"documentId": document_id, "documentUrl": url})

    def get_queries(self, call: Call) -> Response:
        """Newest first; a paginationToken resumes the listing it came from."""
        params = call.params
        token = params.get("paginationToken")
        if token is not None:
            with self._lock:
                listing = self._listings.pop(token, None)
            if listing is None or listing[0] != call.seller:
                raise invalid_input("Invalid paginationToken")
            ids = listing[1]
        else:
            oldest = call.now - RETENTION
            since = parse(params["createdSince"]) if "createdSince" in params else oldest
            until = parse(params["createdUntil"]) if "createdUntil" in params else call.now
            if since < oldest - _GRACE:
                raise invalid_input("createdSince must be within the last 90 days")
            if until < since:
                raise invalid_input("createdUntil must not be earlier than createdSince")
            statuses = set(params.get("processingStatuses", ()))
            with self._store.lock:
                matching = sorted(
                    (
                        q
                        for q in self._store.of_partner(call.seller)
                        if (not statuses or q.status in statuses)
                        and since <= int(q.created) <= until
                    ),
                    key=lambda q: (q.created, int(q.query_id)),
                    reverse=True,
                )
            ids = [q.query_id for q in matching]
        size = params.get("pageSize", 10)
        shown, rest = ids[:size], ids[size:]
        with self._store.lock:
            payload: dict[str, Any] = {
                "queries": [self._store.get(call.seller, i).as_json() for i in shown]
            }
        if rest:
            next_token = secrets.token_urlsafe(32)
            with self._lock:
                self._listings[next_token] = (call.seller, rest)
            payload["pagination"] = {"nextToken": next_token}
        return json_response(200, payload)


def account_id(partner_id: str) -> str:
    """A vendor group id is its own account id; a seller's is its merchant customer id."""
    return partner_id if partner_id.startswith("amzn1.") else f"amzn1.merchant.o.{partner_id}"


def query_finished(
    query: SimQuery, *, subscription_id: str, application_id: str, now: float
) -> dict[str, Any]:
    """The flat payload of DataKioskQueryProcessingFinishedNotification.json."""
    payload: dict[str, Any] = {
        "accountId": account_id(query.partner_id),
        "queryId": query.query_id,
        "query": query.query,
        "processingStatus": query.status,
    }
    if query.data_document_id:
        payload["dataDocumentId"] = query.data_document_id
    if query.error_document_id:
        payload["errorDocumentId"] = query.error_document_id
    if query.next_token:
        payload["pagination"] = {"nextToken": query.next_token}
    moment = query.processing_end or now
    return {
        "notificationVersion": "2023-11-15",
        "notificationType": QUERY_FINISHED,
        "payloadVersion": "2023-11-15",
        "eventTime": iso_millis(moment),
        "payload": payload,
        "notificationMetadata": {
            "applicationId": application_id,
            "subscriptionId": subscription_id,
            "publishTime": iso_millis(max(now, moment)),
            "notificationId": str(uuid.uuid4()),
        },
    }


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(load(NOTIFICATION_SCHEMA), format_checker=FORMATS)


def validate_query_notification(message: Any) -> None:
    """Raise ContractViolation unless a DATA_KIOSK_QUERY_PROCESSING_FINISHED body is valid."""
    problem = _problem(_validator(), message, "message")
    if problem:
        raise ContractViolation(QUERY_FINISHED, problem)
