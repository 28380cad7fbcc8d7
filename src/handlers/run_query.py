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
    """plan, create (`pace.waiting`: wait for a rate limit or a slot), fetch, summarise; shapes in
    wiring/kiosk_payloads.py, errors (QueryNotReadyError, …) retried by the query machines."""
    return payloads.one_of(event, "action", _ACTIONS)(event)


def _plan(event: Event) -> Event:
    given = event.get("input") or {}
    names, partners = payloads.texts(given, "queries"), payloads.texts(given, "sellerIds")
    planned = container(FUNCTION).query_planner().plan(names, partners)
    observability.log().info(f"planned {len(planned)} Data Kiosk queries")
    return {"pages": [kiosk_payloads.page_to_json(r) for r in planned]}


def _create(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id = payloads.accepted(event, services.access_tokens())
    pace, after = payloads.pace_from_json(event.get("pace")), payloads.optional_text(event, "after")
    observability.keys(sellerId=seller_id, queryId=after)
    if after is not None:
        creation = services.page_creator().after(seller_id, after, pace)
    else:
        request = kiosk_payloads.request_from_json(event.get("request"))
        observability.keys(query=request.name)
        creation = services.page_creator().first(request, pace)
    observability.query_created(creation.query_id)
    return kiosk_payloads.creation_to_json(creation)


def _fetch(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id = payloads.accepted(event, services.access_tokens())
    query_id, pace = payloads.text(event, "queryId"), payloads.pace_from_json(event.get("pace"))
    observability.keys(sellerId=seller_id, queryId=query_id)
    fetched = services.page_fetcher().fetch(seller_id, query_id, pace)
    return kiosk_payloads.fetched_to_json(fetched, services.sealer())


def _summarise(event: Event) -> Event:
    return observability.queries_summarised(kiosk_payloads.summary_of(event.get("results")))


_ACTIONS: dict[str, Callable[[Event], Event]] = {
    "plan": _plan, "create": _create, "fetch": _fetch, "summarise": _summarise,
}  # fmt: skip
