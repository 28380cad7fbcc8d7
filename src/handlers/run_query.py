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
    """One action per call, as the query workflows name it:

    - {"action": "plan", "input": {} | {"queries", "sellerIds"}} → {"pages": [{"sellerId",
      "request"}]}: the first pages due.
    - {"action": "create", "sellerId", "sealedToken", "request" | "after", "pace"} →
      {"queryId" | null, "last", "pace"}: `pace.waiting` asks the workflow to wait (a rate
      limit, or no free Data Kiosk slot) and call again; `last` says `after` was the last page.
    - {"action": "fetch", "sellerId", "queryId", "sealedToken", "pace"} → {"query", "context",
      "document", "pace"}.
    - {"action": "summarise", "results"} → {"created", "failed", "failures"}.

    Raises QueryNotReadyError (retried), QueryContextMissingError (a query without a recorded
    context: retried, then left alone), QueryDeadlineError, ThrottleDeadlineError and the
    KioskApi errors (ThrottledError and SpApiServerError are retried by the workflow)."""
    action = _ACTIONS.get(str(event.get("action")))
    if action is None:
        raise payloads.PayloadError(
            f"action must be one of {', '.join(_ACTIONS)}, not {event.get('action')!r}"
        )
    return action(event)


def _plan(event: Event) -> Event:
    given = event.get("input") or {}
    names, partners = payloads.texts(given, "queries"), payloads.texts(given, "sellerIds")
    planned = container(FUNCTION).query_planner().plan(names, partners)
    observability.log().info(f"planned {len(planned)} Data Kiosk queries")
    pages = [
        {"sellerId": r.partner_id, "request": kiosk_payloads.request_to_json(r)} for r in planned
    ]
    return {"pages": pages}


def _authenticated(event: Event) -> str:
    seller_id = payloads.text(event, "sellerId")
    container(FUNCTION).access_tokens().accept(seller_id, payloads.text(event, "sealedToken"))
    return seller_id


def _create(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id, pace = _authenticated(event), payloads.pace_from_json(event.get("pace"))
    after = payloads.optional_text(event, "after")
    if after is not None:
        observability.keys(sellerId=seller_id, queryId=after)
        creation = services.page_creator().after(seller_id, after, pace)
    else:
        request = kiosk_payloads.request_from_json(event.get("request"))
        observability.keys(sellerId=seller_id, query=request.name)
        creation = services.page_creator().first(request, pace)
    if creation.query_id:
        observability.log().info(f"created Data Kiosk query {creation.query_id}")
    return {
        "queryId": creation.query_id,
        "last": creation.last,
        "pace": payloads.pace_to_json(creation.pace),
    }


def _fetch(event: Event) -> Event:
    services = container(FUNCTION)
    seller_id, query_id = _authenticated(event), payloads.text(event, "queryId")
    observability.keys(sellerId=seller_id, queryId=query_id)
    fetched = services.page_fetcher().fetch(
        seller_id, query_id, payloads.pace_from_json(event.get("pace"))
    )
    return {
        "query": kiosk_payloads.query_to_json(fetched.query) if fetched.query else None,
        "context": kiosk_payloads.context_to_json(fetched.context),
        "document": kiosk_payloads.document_to_json(fetched.document, services.sealer()),
        "pace": payloads.pace_to_json(fetched.pace),
    }


def _summarise(event: Event) -> Event:
    """The Map's pages split into created and failed (a function: JSONPath cannot filter)."""
    results = event.get("results")
    if not isinstance(results, list):
        raise payloads.PayloadError("event field results must be a list")
    created = [r for r in results if isinstance(r, dict) and r.get("queryId")]
    failed = [r for r in results if not (isinstance(r, dict) and r.get("queryId"))]
    observability.log().info(f"{len(created)} Data Kiosk queries created, {len(failed)} failed")
    return {"created": created, "failed": failed, "failures": len(failed)}


_ACTIONS: dict[str, Callable[[Event], Event]] = {
    "plan": _plan,
    "create": _create,
    "fetch": _fetch,
    "summarise": _summarise,
}
