"""Lambda `create_report`: plan the due report requests, or place one group of them."""

from __future__ import annotations

from typing import Any

from domain.placing import groups
from wiring import observability, payloads
from wiring.runtime import container

FUNCTION = "create_report"


@observability.lambda_entry(FUNCTION)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "plan", "input": {} | {"sellerIds", "reportTypes"}} → {"groups": [placement]},
    one placement per seller and report type; {"action": "place", "sellerId", "placement",
    "pace", "sealedToken"} → {"sellerId", "placement", "pace"}: `pace.waiting` asks the workflow
    to wait `pace.waitSeconds` and place the rest; {"action": "summarise", "results"} → the
    groups' {"reports", "failures", "unplaced"}, flattened. Raises InvalidGrantError,
    InvalidClientError and SpApiServerError (retried by the workflow)."""
    services = container(FUNCTION)
    action = event.get("action")
    if action == "plan":
        given = event.get("input") or {}
        sellers, types = payloads.texts(given, "sellerIds"), payloads.texts(given, "reportTypes")
        planned = services.planner().plan(sellers, types)
        observability.log().info(f"planned {len(planned)} report requests")
        return {"groups": [_group(placement) for placement in groups(planned)]}
    if action == "summarise":
        summary = payloads.summary_of(event.get("results"))
        observability.log().info(
            f"{len(summary['reports'])} reports placed, {summary['unplaced']} requests unplaced"
        )
        return summary
    if action != "place":
        raise payloads.PayloadError(
            f"action must be 'plan', 'place' or 'summarise', not {action!r}"
        )
    seller_id = payloads.accepted(event, services.access_tokens())
    observability.keys(sellerId=seller_id)
    placement, pace = services.placer().place(
        payloads.placement_from_json(event.get("placement")),
        payloads.pace_from_json(event.get("pace")),
    )
    observability.placed(placement, pace, services.clock().now())
    return {
        "sellerId": seller_id,
        "placement": payloads.placement_to_json(placement),
        "pace": payloads.pace_to_json(pace),
    }


def _group(placement: Any) -> dict[str, Any]:
    first = placement.pending[0]
    return {"sellerId": first.seller_id, "reportType": first.report_type,
            "placement": payloads.placement_to_json(placement)}  # fmt: skip
