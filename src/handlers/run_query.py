"""Lambda `run_query`: plan the due Data Kiosk queries, create a page, or fetch a finished one."""

from __future__ import annotations

from typing import Any

from wiring import kiosk_payloads, observability, payloads
from wiring.runtime import container

FUNCTION = "run_query"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "plan", "input": {} | {"queries", "sellerIds"}} → {"pages": [{"sellerId",
    "request"}]}, the first pages due; {"action": "create", "sellerId", "sealedToken", "request"
    | "after", "pace"} → {"queryId" | null, "last", "pace"}: `pace.waiting` asks the workflow to
    wait (a rate limit, or no free Data Kiosk slot) and call again, `last` says `after` was the
    last page; {"action": "fetch", "sellerId", "queryId", "sealedToken", "pace"} → {"query",
    "context", "document", "pace"}. Raises QueryNotReadyError (retried), QueryContextMissingError
    (a query without a recorded context: retried, then left alone), QueryDeadlineError,
    ThrottleDeadlineError and the KioskApi
    errors (ThrottledError and SpApiServerError are retried by the workflow); {"action":
    "summarise", "results"} → {"created", "failed", "failures"} out of the created pages."""
    services = container(FUNCTION)
    action = event.get("action")
    if action == "plan":
        given = event.get("input") or {}
        names, partners = payloads.texts(given, "queries"), payloads.texts(given, "sellerIds")
        planned = services.query_planner().plan(names, partners)
        observability.log().info(f"planned {len(planned)} Data Kiosk queries")
        return {
            "pages": [
                {"sellerId": r.partner_id, "request": kiosk_payloads.request_to_json(r)}
                for r in planned
            ]
        }
    if action == "summarise":
        return _summary(event.get("results"))
    if action not in ("create", "fetch"):
        raise payloads.PayloadError(
            f"action must be 'plan', 'create', 'fetch' or 'summarise', not {action!r}"
        )
    seller_id = payloads.text(event, "sellerId")
    services.access_tokens().accept(seller_id, payloads.text(event, "sealedToken"))
    pace = payloads.pace_from_json(event.get("pace"))
    if action == "fetch":
        query_id = payloads.text(event, "queryId")
        observability.keys(sellerId=seller_id, queryId=query_id)
        fetched = services.page_fetcher().fetch(seller_id, query_id, pace)
        return {
            "query": kiosk_payloads.query_to_json(fetched.query) if fetched.query else None,
            "context": kiosk_payloads.context_to_json(fetched.context),
            "document": kiosk_payloads.document_to_json(fetched.document, services.sealer()),
            "pace": payloads.pace_to_json(fetched.pace),
        }
    creator = services.page_creator()
    after = payloads.optional_text(event, "after")
    if after is not None:
        observability.keys(sellerId=seller_id, queryId=after)
        creation = creator.after(seller_id, after, pace)
    else:
        request = kiosk_payloads.request_from_json(event.get("request"))
        observability.keys(sellerId=seller_id, query=request.name)
        creation = creator.first(request, pace)
    if creation.query_id:
        observability.log().info(f"created Data Kiosk query {creation.query_id}")
    return {
        "queryId": creation.query_id,
        "last": creation.last,
        "pace": payloads.pace_to_json(creation.pace),
    }


def _summary(results: Any) -> dict[str, Any]:
    """The Map's pages split into created and failed (a function: JSONPath cannot filter)."""
    if not isinstance(results, list):
        raise payloads.PayloadError("event field results must be a list")
    created = [r for r in results if isinstance(r, dict) and r.get("queryId")]
    failed = [r for r in results if not (isinstance(r, dict) and r.get("queryId"))]
    observability.log().info(f"{len(created)} Data Kiosk queries created, {len(failed)} failed")
    return {"created": created, "failed": failed, "failures": len(failed)}
