"""The run_query handler's contract with the query workflows (the steps themselves are tested in
tests/unit/test_kiosk_steps.py, and end to end in tests/workflow/test_queries.py)."""

from __future__ import annotations

import pytest

from handlers import run_query
from wiring.payloads import PayloadError


def test_an_unknown_action_is_a_payload_error_naming_the_actions(world, context):
    with pytest.raises(PayloadError, match="one of plan, create, fetch, summarise, not 'place'"):
        run_query.lambda_handler({"action": "place"}, context)


def test_summarise_splits_the_created_pages_from_the_failed(world, context, captured):
    results = [
        {"sellerId": "A1", "request": {"name": "q"}, "queryId": "11"},
        {"sellerId": "A2", "request": {"name": "q"}, "queryId": None, "error": {"error": "X"}},
    ]

    summary = run_query.lambda_handler({"action": "summarise", "results": results}, context)

    assert summary == {"created": results[:1], "failed": results[1:], "failures": 1}
    assert "1 Data Kiosk queries created, 1 failed" in [line["message"] for line in captured.logs()]
    with pytest.raises(PayloadError, match="results must be a list"):
        run_query.lambda_handler({"action": "summarise", "results": None}, context)
