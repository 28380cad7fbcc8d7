"""Data Kiosk adapter: requests as the model wants them, responses parsed into domain types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.rate_limit import DEFAULT_LIMITS
from adapters.spapi_datakiosk import SpApiKioskApi
from domain.datakiosk.model import QueryStatus
from domain.errors import (
    AccessDeniedError,
    AccessTokenExpiredError,
    InvalidRequestError,
    ReportNotFoundError,
    SpApiError,
    SpApiServerError,
)
from tests.unit.adapters.support import (
    SELLER_TOKEN,
    FakeTime,
    Script,
    StubTokens,
    assert_no_secret,
    make_client,
    reply,
    sp_error,
)

PARTNER = "amzn1.vg.6213651"
URL = "https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Signature=SECRET"
TEXT = 'query{analytics_salesAndTraffic_2024_04_24{salesAndTrafficByDate(startDate:"2026-11-01" endDate:"2026-11-02" aggregateBy:DAY){startDate}}}'  # noqa: E501
QUERY = {
    "queryId": "54517018502",
    "query": TEXT,
    "createdTime": "2026-11-27T03:35:13.214Z",
    "processingStatus": "DONE",
    "processingStartTime": "2026-11-27T03:35:20+00:00",
    "processingEndTime": "2026-11-27T03:36:00Z",
    "dataDocumentId": "amzn1.tortuga.3.edbc.REP45",
    "pagination": {"nextToken": "AAMA-EFRSURBSGhK"},
    "somethingNew": True,
}


def api(script: Script, tokens: StubTokens | None = None, page_size: int = 2) -> SpApiKioskApi:
    return SpApiKioskApi(make_client(script, tokens=tokens), page_size=page_size)


def test_amazons_default_rates_are_in_the_limiter_table() -> None:
    assert DEFAULT_LIMITS["createQuery"] == (0.0167, 15)
    assert DEFAULT_LIMITS["getQueries"] == (0.0222, 10)
    assert DEFAULT_LIMITS["getQuery"] == (2.0, 15)
    assert DEFAULT_LIMITS["cancelQuery"] == (0.0222, 10)
    assert DEFAULT_LIMITS["getDocument"] == (0.0167, 15)


def test_create_query_posts_the_query_and_returns_the_id() -> None:
    script = Script([reply(202, {"queryId": "123"})])
    tokens = StubTokens()

    assert api(script, tokens).create_query(PARTNER, TEXT) == "123"
    assert script.requests[0].method == "POST"
    assert script.requests[0].url.path == "/dataKiosk/2023-11-15/queries"
    assert script.requests[0].headers["x-amz-access-token"] == SELLER_TOKEN
    assert script.body() == {"query": TEXT}
    assert tokens.sellers == [PARTNER]


def test_the_next_page_is_created_with_the_pagination_token() -> None:
    script = Script([reply(202, {"queryId": "124"})])

    assert api(script).create_query(PARTNER, TEXT, "tok==") == "124"
    assert script.body() == {"query": TEXT, "paginationToken": "tok=="}


def test_a_create_response_without_an_id_is_an_error() -> None:
    with pytest.raises(SpApiError, match="createQuery"):
        api(Script([reply(202, {"payload": {"queryId": "1"}})])).create_query(PARTNER, TEXT)


def test_an_invalid_query_is_amazons_400_as_invalid_request() -> None:
    script = Script([sp_error(400, "InvalidInput", "Query is not valid", request_id="rid-1")])

    with pytest.raises(InvalidRequestError) as caught:
        api(script).create_query(PARTNER, "query{nope}")

    assert caught.value.operation == "createQuery"
    assert caught.value.code == "InvalidInput"
    assert caught.value.request_id == "rid-1"


def test_get_query_parses_every_field_and_ignores_unknown_ones() -> None:
    script = Script([reply(200, QUERY)])

    query = api(script).get_query(PARTNER, "54517018502")

    assert script.requests[0].url.path == "/dataKiosk/2023-11-15/queries/54517018502"
    assert query.partner_id == PARTNER
    assert query.query_id == "54517018502"
    assert query.query == TEXT
    assert query.status is QueryStatus.DONE
    assert query.created_time == datetime(2026, 11, 27, 3, 35, 13, 214000, tzinfo=UTC)
    assert query.processing_start == datetime(2026, 11, 27, 3, 35, 20, tzinfo=UTC)
    assert query.processing_end == datetime(2026, 11, 27, 3, 36, tzinfo=UTC)
    assert query.data_document_id == "amzn1.tortuga.3.edbc.REP45"
    assert query.error_document_id is None
    assert query.next_token == "AAMA-EFRSURBSGhK"


def test_get_query_tolerates_missing_optional_fields() -> None:
    minimal = {k: QUERY[k] for k in ("queryId", "query", "createdTime")}
    script = Script([reply(200, {**minimal, "processingStatus": "FATAL", "errorDocumentId": "e"})])

    query = api(script).get_query(PARTNER, "54517018502")

    assert query.status is QueryStatus.FATAL
    assert query.error_document_id == "e"
    assert query.data_document_id is None
    assert query.next_token is None
    assert query.processing_start is None


@pytest.mark.parametrize(
    "body",
    [
        {"queryId": "1"},
        {**QUERY, "processingStatus": "DONE-ISH"},
        {**QUERY, "createdTime": None},
        {**QUERY, "pagination": "tok"},
        None,
    ],
)
def test_a_query_without_its_required_fields_is_an_error_naming_the_operation(
    body: object,
) -> None:
    with pytest.raises(SpApiError, match="getQuery"):
        api(Script([reply(200, body)])).get_query(PARTNER, "1")


def test_get_queries_follows_pagination_repeating_the_other_parameters() -> None:
    second, third = {**QUERY, "queryId": "2"}, {**QUERY, "queryId": "3"}
    script = Script(
        [
            reply(200, {"queries": [QUERY, second], "pagination": {"nextToken": "page 2/t=="}}),
            reply(200, {"queries": [third]}),
        ]
    )

    queries = api(script).get_queries(
        PARTNER,
        statuses=[QueryStatus.IN_QUEUE, QueryStatus.IN_PROGRESS],
        created_since=datetime(2026, 11, 1, tzinfo=UTC),
        created_until=datetime(2026, 11, 27, 12),  # naive: taken as UTC
    )

    assert [x.query_id for x in queries] == ["54517018502", "2", "3"]
    first = {
        "processingStatuses": "IN_QUEUE,IN_PROGRESS",
        "pageSize": "2",
        "createdSince": "2026-11-01T00:00:00Z",
        "createdUntil": "2026-11-27T12:00:00Z",
    }
    assert script.query(0) == first
    assert script.query(1) == {**first, "paginationToken": "page 2/t=="}
    assert all(r.url.path == "/dataKiosk/2023-11-15/queries" for r in script.requests)


def test_get_queries_sends_only_the_page_size_by_default_and_is_lazy() -> None:
    script = Script([reply(200, {"queries": [QUERY], "pagination": {"nextToken": "more"}})])

    queries = api(script, page_size=100).get_queries(PARTNER)
    assert script.calls == 0
    next(iter(queries))

    assert script.calls == 1
    assert script.query(0) == {"pageSize": "100"}


def test_an_empty_list_ends_at_once() -> None:
    script = Script([reply(200, {"queries": []})])

    assert list(api(script).get_queries(PARTNER)) == []
    assert script.calls == 1


def test_a_page_size_outside_the_model_is_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        api(Script([]), page_size=101)


def test_cancel_query_deletes_it_and_accepts_the_empty_204() -> None:
    script = Script([reply(204)])

    api(script).cancel_query(PARTNER, "54517018502")

    assert script.requests[0].method == "DELETE"
    assert script.requests[0].url.path == "/dataKiosk/2023-11-15/queries/54517018502"


def test_get_document_keeps_the_url_out_of_repr() -> None:
    script = Script([reply(200, {"documentId": "amzn1.tortuga.3.doc", "documentUrl": URL})])

    document = api(script).get_document(PARTNER, "amzn1.tortuga.3.doc")

    assert script.requests[0].url.path == "/dataKiosk/2023-11-15/documents/amzn1.tortuga.3.doc"
    assert document.url == URL
    assert document.document_id == "amzn1.tortuga.3.doc"
    assert "SECRET" not in repr(document)


def test_a_document_response_without_url_fails_without_echoing_the_body() -> None:
    script = Script([reply(200, {"documentId": "d", "url": URL})])

    with pytest.raises(SpApiError) as caught:
        api(script).get_document(PARTNER, "d")

    assert_no_secret(caught.value, "SECRET")


def test_an_empty_document_id_is_refused_before_calling() -> None:
    script = Script([reply(200, {"documentId": "d", "documentUrl": URL})])

    with pytest.raises(InvalidRequestError):
        api(script).get_document(PARTNER, "")
    assert script.calls == 0


def test_ids_are_escaped_in_the_path() -> None:
    script = Script([reply(200, QUERY)])

    api(script).get_query(PARTNER, "a/b c")

    assert script.requests[0].url.raw_path == b"/dataKiosk/2023-11-15/queries/a%2Fb%20c"


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, AccessDeniedError), (404, ReportNotFoundError), (503, SpApiServerError)],
)
def test_errors_become_domain_errors(status: int, error: type[SpApiError]) -> None:
    script = Script([sp_error(status, "Code", f"{SELLER_TOKEN} said no")])

    with pytest.raises(error) as caught:
        api(script).get_document(PARTNER, "d")

    assert caught.value.operation == "getDocument"
    assert_no_secret(caught.value, SELLER_TOKEN)


@pytest.mark.parametrize("operation", ["createQuery", "getDocument"])
def test_access_denied_names_the_roles_data_kiosk_needs(operation: str) -> None:
    script = Script([sp_error(403, "Unauthorized", "Access to requested resource is denied.")])
    kiosk = api(script)
    call = {
        "createQuery": lambda: kiosk.create_query(PARTNER, TEXT),
        "getDocument": lambda: kiosk.get_document(PARTNER, "d"),
    }[operation]

    with pytest.raises(AccessDeniedError) as caught:
        call()

    message = str(caught.value)
    assert caught.value.operation == operation
    assert caught.value.status == 403
    assert "Brand Analytics" in message
    assert "Selling Partner Insights" in message
    assert "\n" not in message


def test_an_expired_token_is_not_taken_for_a_missing_role() -> None:
    denied = {
        "code": "Unauthorized",
        "message": "Access to requested resource is denied.",
        "details": "The access token you provided has expired.",
    }
    script = Script([reply(403, {"errors": [denied]})])

    with pytest.raises(AccessTokenExpiredError) as caught:
        api(script).get_query(PARTNER, "1")

    assert "Brand Analytics" not in str(caught.value)


def test_throttling_waits_for_the_next_token_and_retries() -> None:
    time = FakeTime()
    script = Script([sp_error(429, "QuotaExceeded", "slow down"), reply(200, QUERY)])
    kiosk = SpApiKioskApi(make_client(script, time=time))

    assert kiosk.get_query(PARTNER, "54517018502").status is QueryStatus.DONE
    assert script.calls == 2
    assert time.slept  # the limiter waited before the second attempt
