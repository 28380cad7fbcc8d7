"""DATA_KIOSK_QUERY_PROCESSING_FINISHED: parsed tolerantly, owned by a partner, dispatched."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.catalog import Catalog
from domain.datakiosk.model import QueryStatus
from domain.datakiosk.notifications import (
    FinishedQuery,
    QueryPartners,
    owner_of,
    parse_query_notification,
)
from domain.dispatching import Disposition, NotificationDispatcher, parse_finished
from domain.errors import ConfigError, MalformedNotificationError
from domain.model import FinishedReport, Report, StoredReport
from tests.fakes import FakeClock, FakeSettings, FakeWorkflow
from tests.unit.test_notifications import OFFICIAL as REPORT_EXAMPLE

TOKEN = "AAMA-EFRSURBSGhKZlpVSWVwOW96aU1xa2p6amVJdGp1YlZxMndOelFXa2hydStrUjZvVmFRRWVINldMNnFUVz"
# Amazon's example (DataKioskQueryProcessingFinishedNotification.json, examples[0]).
OFFICIAL: dict[str, Any] = {
    "notificationVersion": "2023-11-15",
    "notificationType": "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
    "payloadVersion": "2023-11-15",
    "eventTime": "2023-12-23T21:30:13.713Z",
    "payload": {
        "accountId": "amzn1.merchant.o.A21CXK3C4ERTY8",
        "queryId": "54517018502",
        "query": 'query MyQuery{salesAndTrafficByDate(startDate:"2023-05-01" endDate:"2023-06-01"'
        " aggregateBy:DAY){marketplaceId startDate endDate sales{unitsOrdered}traffic{pageViews}}}",
        "processingStatus": "DONE",
        "dataDocumentId": "amzn1.tortuga.3.edbcd0d8-3434-8222-1234-52ad8ade1208.REP4567URI9BMZ",
        "pagination": {"nextToken": TOKEN},
    },
    "notificationMetadata": {
        "applicationId": "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336",
        "subscriptionId": "subscription-id-d0e9e693-c3ad-4373-979f-ed4ec98dd746",
        "publishTime": "2023-12-23T21:30:16.903Z",
        "notificationId": "d0e9e693-c3ad-4373-979f-ed4ec98dd746",
    },
}
SELLER, VENDOR = "A21CXK3C4ERTY8", "amzn1.vg.6213651"


def _with(**payload: Any) -> dict[str, Any]:
    message = copy.deepcopy(OFFICIAL)
    for key, value in payload.items():
        if value is None:
            message["payload"].pop(key, None)
        else:
            message["payload"][key] = value
    return message


def _pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    return value


# --- parsing ---------------------------------------------------------------------------------


def test_amazons_example_parses_into_a_finished_query_of_its_seller():
    finished = parse_query_notification(json.dumps(OFFICIAL))

    assert finished.query_id == "54517018502"
    assert finished.status is QueryStatus.DONE
    assert finished.account_id == "amzn1.merchant.o.A21CXK3C4ERTY8"
    assert finished.owner == SELLER
    assert finished.query == OFFICIAL["payload"]["query"]
    assert finished.data_document_id == OFFICIAL["payload"]["dataDocumentId"]
    assert finished.error_document_id is None
    assert finished.next_token == TOKEN
    assert finished.notification_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    assert finished.event_time == datetime(2023, 12, 23, 21, 30, 13, 713000, tzinfo=UTC)


def test_the_next_token_never_shows_in_a_repr():
    finished = parse_query_notification(OFFICIAL)

    assert TOKEN not in repr(finished)
    assert "54517018502" in repr(finished)


def test_a_vendor_groups_account_id_is_its_partner_id():
    assert parse_query_notification(_with(accountId=VENDOR)).owner == VENDOR


@pytest.mark.parametrize(
    ("account_id", "owner"),
    [
        ("amzn1.merchant.o.A21CXK3C4ERTY8", "A21CXK3C4ERTY8"),
        ("amzn1.vg.6213651", "amzn1.vg.6213651"),
        ("ASELLERWITHOUTPREFIX", "ASELLERWITHOUTPREFIX"),
    ],
)
def test_the_owner_is_the_partner_id_the_account_id_names(account_id, owner):
    assert owner_of(account_id) == owner


def test_pascal_case_keys_parse_the_same():
    assert parse_query_notification(_pascal(OFFICIAL)) == parse_query_notification(OFFICIAL)


@pytest.mark.parametrize("version", ["1.0", "2023-11-15", "2099-01-01"])
def test_any_payload_version_is_accepted(version):
    assert parse_query_notification({**OFFICIAL, "payloadVersion": version}).query_id == (
        "54517018502"
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Amazon's payload examples: DONE without documents, CANCELLED, FATAL with an error one.
        (
            {"dataDocumentId": None, "pagination": None},
            (QueryStatus.DONE, None, None, None),
        ),
        (
            {"processingStatus": "CANCELLED", "dataDocumentId": None, "pagination": None},
            (QueryStatus.CANCELLED, None, None, None),
        ),
        (
            {
                "processingStatus": "FATAL",
                "dataDocumentId": None,
                "pagination": None,
                "errorDocumentId": "amzn1.tortuga.3.err",
            },
            (QueryStatus.FATAL, None, "amzn1.tortuga.3.err", None),
        ),
        (
            {"processingStatus": "done"},
            (QueryStatus.DONE, OFFICIAL["payload"]["dataDocumentId"], None, TOKEN),
        ),
    ],
)
def test_every_terminal_outcome_parses(changes, expected):
    finished = parse_query_notification(_with(**changes))

    assert (
        finished.status,
        finished.data_document_id,
        finished.error_document_id,
        finished.next_token,
    ) == expected


def test_odd_but_harmless_variants_are_tolerated():
    message = _with(queryId=54517018502, query=None, pagination={"nextToken": ""})
    message["eventTime"] = "yesterday"
    del message["notificationMetadata"]

    finished = parse_query_notification(message)

    assert (finished.query_id, finished.query, finished.next_token) == ("54517018502", None, None)
    assert (finished.event_time, finished.notification_id) == (None, None)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({**OFFICIAL, "notificationType": "ANY_OFFER_CHANGED"}, "notificationType"),
        ({**OFFICIAL, "payload": "DONE"}, "no payload object"),
        (_with(queryId=None), "no queryId"),
        (_with(processingStatus="IN_PROGRESS"), "not one of DONE, CANCELLED, FATAL"),
        (_with(processingStatus=None), "no processingStatus"),
        (_with(accountId=None), "no accountId"),
        (_with(accountId="amzn1.merchant.o."), "names no seller"),
        (_with(queryId={"id": 1}), "not a string"),
        (_with(pagination="next"), "pagination is not an object"),
    ],
)
def test_malformed_messages_get_a_clear_one_line_error(body, problem):
    with pytest.raises(MalformedNotificationError, match=problem) as caught:
        parse_query_notification(body)
    assert "\n" not in str(caught.value)


def test_a_token_of_the_wrong_type_is_refused_without_being_echoed():
    secret = {"token": "Atza|not-to-be-logged"}

    with pytest.raises(MalformedNotificationError, match="nextToken") as caught:
        parse_query_notification(_with(pagination={"nextToken": secret}))

    assert "Atza|" not in str(caught.value)


def test_messages_of_both_types_are_routed_on_their_notification_type():
    assert isinstance(parse_finished(json.dumps(OFFICIAL)), FinishedQuery)
    assert isinstance(parse_finished(json.dumps(REPORT_EXAMPLE)), FinishedReport)
    assert isinstance(parse_finished(_pascal(OFFICIAL)), FinishedQuery)


def test_an_unknown_type_names_both_expected_ones():
    with pytest.raises(MalformedNotificationError) as caught:
        parse_finished({**OFFICIAL, "notificationType": "ANY_OFFER_CHANGED"})

    assert "REPORT_PROCESSING_FINISHED" in str(caught.value)
    assert "DATA_KIOSK_QUERY_PROCESSING_FINISHED" in str(caught.value)


# --- which partners run queries --------------------------------------------------------------

SELLERS = [
    {"name": "acme", "sellerId": SELLER, "marketplaces": ["ATVPDKIKX0DER"]},
    {"name": "other", "sellerId": "A2OTHERSELLER1", "marketplaces": ["ATVPDKIKX0DER"]},
]
REPORTS = [{"type": "GET_MERCHANT_LISTINGS_ALL_DATA", "schedule": "cron(0 2 * * ? *)"}]
QUERIES = [{"name": "sales", "partners": [SELLER, "AUNCONFIGURED"], "file": "queries/s.graphql"}]


def _partners(queries: object = QUERIES) -> tuple[QueryPartners, FakeSettings]:
    settings = FakeSettings({"sellers": json.dumps(SELLERS), "reports": json.dumps(REPORTS)})
    if queries is not None:
        settings.values["queries"] = queries if isinstance(queries, str) else json.dumps(queries)
    return QueryPartners(settings, Catalog(settings, "NA")), settings


def test_a_configured_partner_with_a_query_is_accepted():
    partners, _ = _partners()

    assert partners.accepts(SELLER) is True


def test_a_configured_partner_without_a_query_is_not():
    partners, _ = _partners()

    assert partners.accepts("A2OTHERSELLER1") is False


def test_a_partner_named_by_a_query_but_not_configured_is_not():
    partners, _ = _partners()

    assert partners.accepts("AUNCONFIGURED") is False


def test_without_a_queries_setting_no_partner_is_accepted():
    partners, _ = _partners(queries=None)

    assert partners.accepts(SELLER) is False


def test_a_changed_queries_setting_is_read_again():
    partners, settings = _partners()
    assert partners.accepts(SELLER) is True

    settings.values["queries"] = json.dumps([{"name": "sales", "partners": ["A2OTHERSELLER1"]}])

    assert (partners.accepts(SELLER), partners.accepts("A2OTHERSELLER1")) == (False, True)


@pytest.mark.parametrize(
    ("queries", "problem"),
    [
        ("[{", "setting queries is not JSON"),
        ({"name": "sales"}, "expected a list of queries"),
        (["sales"], r"queries\[0\]: expected an object with a name and partners"),
        ([{"partners": [SELLER]}], r"queries\[0\]: expected an object"),
        ([{"name": "sales"}], r"queries\[0\] \(sales\): partners must be a list"),
        ([{"name": "sales", "partners": SELLER}], "partners must be a list"),
        ([{"name": "sales", "partners": [""]}], "partners must be a list"),
    ],
)
def test_a_bad_queries_setting_is_a_one_line_config_error(queries, problem):
    partners, _ = _partners(queries)

    with pytest.raises(ConfigError, match=problem) as caught:
        partners.accepts(SELLER)
    assert "\n" not in str(caught.value)


# --- dispatching ------------------------------------------------------------------------------


class NoRecorder:
    def store(self, report: Report) -> StoredReport:
        raise AssertionError("nothing is recorded in these tests")


def _dispatcher(
    workflow: FakeWorkflow, query_partners: frozenset[str] = frozenset({SELLER, VENDOR})
) -> NotificationDispatcher:
    return NotificationDispatcher(
        workflow,
        NoRecorder(),
        accepts=lambda owner, report_type: True,
        clock=FakeClock(),
        accepts_query=lambda owner: owner in query_partners,
    )


def test_a_mixed_batch_gets_one_disposition_per_message():
    # given a report, a query, the same query again, a malformed message, a query of a partner
    # without queries, and a query whose id is the report's
    workflow = FakeWorkflow()
    batch = [
        ("m1", json.dumps(REPORT_EXAMPLE)),
        ("m2", json.dumps(OFFICIAL)),
        ("m3", json.dumps(OFFICIAL)),
        ("m4", json.dumps({"notificationType": "DATA_KIOSK_QUERY_PROCESSING_FINISHED"})),
        ("m5", json.dumps(_with(accountId="amzn1.merchant.o.AUNCONFIGURED", queryId="7"))),
        ("m6", json.dumps(_with(accountId="amzn1.merchant.o.A3TH9S8BH6GOGM"))),
    ]

    # when the batch is dispatched
    results = _dispatcher(workflow, frozenset({SELLER, "A3TH9S8BH6GOGM"})).dispatch(batch)

    # then each message has its disposition, and one ingest each was started
    assert [r.disposition for r in results] == [
        Disposition.STARTED,
        Disposition.STARTED,
        Disposition.DUPLICATE,
        Disposition.FAILED,
        Disposition.IGNORED,
        Disposition.STARTED,  # same id as the report (54517018502), but a query
    ]
    assert [f.report_id for f in workflow.started] == ["54517018502"]
    assert [(q.owner, q.query_id) for q in workflow.started_queries] == [
        (SELLER, "54517018502"),
        ("A3TH9S8BH6GOGM", "54517018502"),
    ]
    assert isinstance(results[3].error, MalformedNotificationError)
    assert isinstance(results[4].finished, FinishedQuery)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dataDocumentId": None, "pagination": None},
        {"processingStatus": "FATAL", "dataDocumentId": None, "errorDocumentId": "e-1"},
        {"processingStatus": "FATAL", "dataDocumentId": None, "pagination": None},
        {"processingStatus": "CANCELLED", "dataDocumentId": None, "pagination": None},
    ],
)
def test_every_terminal_query_starts_one_ingest(changes):
    workflow = FakeWorkflow()

    [result] = _dispatcher(workflow).dispatch([("m1", json.dumps(_with(**changes)))])

    assert result.disposition is Disposition.STARTED
    assert [q.query_id for q in workflow.started_queries] == ["54517018502"]


def test_a_redelivered_query_notification_is_acknowledged():
    workflow = FakeWorkflow()
    _dispatcher(workflow).dispatch([("m1", json.dumps(OFFICIAL))])

    [again] = _dispatcher(workflow).dispatch([("m2", json.dumps(OFFICIAL))])

    assert again.disposition is Disposition.ALREADY_STARTED
    assert len(workflow.started_queries) == 1


def test_a_vendor_groups_query_is_started_under_its_account_id():
    workflow = FakeWorkflow()

    _dispatcher(workflow).dispatch([("m1", json.dumps(_with(accountId=VENDOR)))])

    assert [q.owner for q in workflow.started_queries] == [VENDOR]


def test_a_failed_start_returns_only_that_query_to_the_queue():
    workflow = FakeWorkflow(failing={"8"})

    results = _dispatcher(workflow).dispatch(
        [("m1", json.dumps(_with(queryId="8"))), ("m2", json.dumps(_with(queryId="9")))]
    )

    assert [r.disposition for r in results] == [Disposition.FAILED, Disposition.STARTED]
    assert [q.query_id for q in workflow.started_queries] == ["9"]


def test_by_default_a_dispatcher_ingests_no_query():
    workflow = FakeWorkflow()
    dispatcher = NotificationDispatcher(workflow, NoRecorder(), lambda o, t: True, FakeClock())

    [result] = dispatcher.dispatch([("m1", json.dumps(OFFICIAL))])

    assert result.disposition is Disposition.IGNORED
    assert workflow.calls == 0
