"""Lambda `run_query`: plan the due Data Kiosk queries, create a page, or fetch a finished one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wiring import kiosk_payloads, observability, payloads
from wiring.runtime import container

FUNCTION = "run_query"
Event = dict[str, Any]


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: Event, context: Any) -> Event:
    """plan (the first pages due), create (a first page, or the page `after` one; `pace.waiting`
    asks the workflow to wait for a rate limit or a slot), fetch (a finished page, its document
    sealed), summarise. Shapes: wiring/kiosk_payloads.py. Raises QueryNotReadyError,
    QueryContextMissingError, QueryDeadlineError, ThrottleDeadlineError, KioskApi errors."""
    return payloads.one_of(event, "action", _ACTIONS)(event)


def _plan(event: Event) -> Event:
    given = event.get("input") or {}
    names, partners = payloads.texts(given, "queries"), payloads.texts(given, "sellerIds")
    planned = container(FUNCTION).query_planner().plan(names, partners)
    return {"pages": [kiosk_payloads.page_to_json(r) for r in planned]}


def _create(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id = kiosk_payloads.accepted(event, services.access_tokens())
    pace, after = payloads.pace_from_json(event.get("pace")), payloads.optional_text(event, "after")
    observability.keys(sellerId=seller_id, queryId=after)
    if after is not None:
        creation = services.page_creator().after(seller_id, after, pace)
    else:
        request = kiosk_payloads.request_from_json(event.get("request"))
        creation = services.page_creator().first(request, pace)
    return kiosk_payloads.creation_to_json(creation)


def _fetch(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id = kiosk_payloads.accepted(event, services.access_tokens())
    query_id, pace = payloads.text(event, "queryId"), payloads.pace_from_json(event.get("pace"))
    observability.keys(sellerId=seller_id, queryId=query_id)
    fetched = services.page_fetcher().fetch(seller_id, query_id, pace)
    return kiosk_payloads.fetched_to_json(fetched, services.sealer())


_ACTIONS: dict[str, Callable[[Event], Event]] = {
    "plan": _plan,
    "create": _create,
    "fetch": _fetch,
    "summarise": lambda event: kiosk_payloads.summary_of(event.get("results")),
}
