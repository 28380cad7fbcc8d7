"""DATA_KIOSK_QUERY_PROCESSING_FINISHED: parsed tolerantly, owned by a partner, and taken only
for the partners a stack runs queries for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from domain.datakiosk.model import QueryStatus
from domain.errors import ConfigError, MalformedNotificationError
from domain.notifications import decode, event_time, notification_id, text_field

if TYPE_CHECKING:  # domain.ports names FinishedQuery: imported here, they would be a cycle
    from domain.catalog import Catalog
    from domain.ports import Settings

QUERY_FINISHED = "DATA_KIOSK_QUERY_PROCESSING_FINISHED"
QUERIES = "queries"  # the setting naming the queries a stack runs, and for whom
# The schema's processingStatus enum: a notification only ever tells of a terminal query.
_TERMINAL = {s.value: s for s in (QueryStatus.DONE, QueryStatus.CANCELLED, QueryStatus.FATAL)}
# Inferred, not documented: the schema calls accountId "the merchant customer identifier or
# vendor group identifier" (examples amzn1.merchant.o.A21CXK3C4ERTY8, amzn1.vg.6213651), and
# REPORT_PROCESSING_FINISHED pairs sellerId X with accountId amzn1.merchant.o.X; so a seller's
# id is taken to be what follows this prefix. Our simulator sends the same (sandbox.datakiosk).
MERCHANT_PREFIX = "amzn1.merchant.o."


def owner_of(account_id: str) -> str:
    """The partner id an accountId belongs to: a seller id, or a vendor group's own id."""
    if account_id.startswith(MERCHANT_PREFIX):
        return account_id[len(MERCHANT_PREFIX) :]
    return account_id


@dataclass(frozen=True, kw_only=True)
class FinishedQuery:
    """A DATA_KIOSK_QUERY_PROCESSING_FINISHED notification, normalised. `next_token` (more pages
    follow) goes to createQuery only, never into a log or a workflow's state."""

    query_id: str
    account_id: str
    status: QueryStatus
    query: str | None = None
    data_document_id: str | None = None
    error_document_id: str | None = None
    next_token: str | None = field(default=None, repr=False)
    notification_id: str | None = None
    event_time: datetime | None = None

    @property
    def owner(self) -> str:
        """The partner id (seller id or vendor group id) the query was run for."""
        return owner_of(self.account_id)


def _next_token(payload: Mapping[str, Any]) -> str | None:
    pagination = payload.get("pagination")
    if pagination is None:
        return None
    if not isinstance(pagination, Mapping):
        raise MalformedNotificationError("notification field pagination is not an object")
    token = pagination.get("nextToken")
    if token is None or token == "":
        return None
    if not isinstance(token, str):
        # The value is never echoed: it is a pagination secret.
        raise MalformedNotificationError("notification field pagination.nextToken is not a string")
    return token


def parse_query_notification(body: str | bytes | Mapping[str, Any]) -> FinishedQuery:
    """Normalise one SQS body; raises MalformedNotificationError naming what is wrong. The
    payload is flat (not nested under a named key, unlike REPORT_PROCESSING_FINISHED); any
    payloadVersion is accepted, and keys in PascalCase too."""
    message = decode(body)
    kind = message.get("notificationType")
    if kind != QUERY_FINISHED:
        raise MalformedNotificationError(
            f"notificationType is {kind!r}, expected {QUERY_FINISHED}: check the subscription"
        )
    payload = message.get("payload")
    if not isinstance(payload, Mapping):
        raise MalformedNotificationError("notification has no payload object")
    status_text = str(text_field(payload, "processingStatus", required=True, kind=QUERY_FINISHED))
    status = _TERMINAL.get(status_text.upper())
    if status is None:
        raise MalformedNotificationError(
            f"processingStatus {status_text!r} is not one of DONE, CANCELLED, FATAL"
        )
    account_id = str(text_field(payload, "accountId", required=True, kind=QUERY_FINISHED))
    if not owner_of(account_id):
        raise MalformedNotificationError(f"accountId {account_id!r} names no seller")
    return FinishedQuery(
        query_id=str(text_field(payload, "queryId", required=True, kind=QUERY_FINISHED)),
        account_id=account_id,
        status=status,
        query=text_field(payload, "query", required=False),
        data_document_id=text_field(payload, "dataDocumentId", required=False),
        error_document_id=text_field(payload, "errorDocumentId", required=False),
        next_token=_next_token(payload),
        notification_id=notification_id(message),
        event_time=event_time(text_field(message, "eventTime", required=False)),
    )


class QueryPartners:
    """The partners a stack runs Data Kiosk queries for: configured (the Catalog's `sellers`)
    and named in the `partners` of an entry of the setting `queries` (a JSON list of objects
    with at least `name` and `partners`, the partner ids); an absent setting means none.
    Raises ConfigError naming the setting or entry."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self._settings = settings
        self._catalog = catalog
        self._parsed: tuple[str, frozenset[str]] | None = None

    def accepts(self, owner: str) -> bool:
        """Whether a finished query of this partner (FinishedQuery.owner) is the stack's."""
        return owner in self.partners() and any(
            partner.seller_id == owner for partner in self._catalog.sellers()
        )

    def partners(self) -> frozenset[str]:
        text = self._settings.get_all().get(QUERIES)
        if text is None:
            return frozenset()
        # Consulted once per notification: parse again only when the setting changes.
        if self._parsed is None or self._parsed[0] != text:
            self._parsed = (text, _partners_of(text))
        return self._parsed[1]


def _partners_of(text: str) -> frozenset[str]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"setting {QUERIES} is not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(raw, list):
        raise ConfigError(f"setting {QUERIES}: expected a list of queries")
    found: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"setting {QUERIES}[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}: expected an object with a name and partners")
        partners = entry.get("partners")
        if not _ids(partners):
            raise ConfigError(f"{where} ({entry['name']}): partners must be a list of partner ids")
        found.update(partners)
    return frozenset(found)


def _ids(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)
