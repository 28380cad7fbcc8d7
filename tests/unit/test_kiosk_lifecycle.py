"""Data Kiosk query lifecycle: outcomes, pagination, the concurrency guard, waiting, lake keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.datakiosk.lake import (
    PageKey,
    PageLink,
    data_key,
    error_key,
    link_next,
    manifest,
    manifest_key,
    page_key_of,
    query_of,
    stored_key,
)
from domain.datakiosk.lifecycle import (
    Created,
    Interpretation,
    NextPage,
    QueryCreator,
    QueryWaiter,
    Wait,
    interpret,
    next_page,
)
from domain.datakiosk.locking import ProcessCreationLock
from domain.datakiosk.model import (
    KioskDocument,
    QueryNotReadyError,
    QueryOutcome,
    QueryStatus,
    QueryTimeoutError,
)
from domain.errors import SpApiServerError, ThrottledError
from domain.model import Download
from domain.waiting import PollPolicy
from tests.fakes import FakeClock
from tests.kiosk_fakes import PARTNER, SELECTION, T0, TEXT, FakeKioskApi, q

# --- interpreting outcomes ---------------------------------------------------------------


def test_done_with_a_data_document_is_data_and_tells_the_next_page() -> None:
    seen = interpret(q(data_document_id="doc", next_token="tok"))

    assert seen == Interpretation(QueryOutcome.DATA, "doc", "tok")
    assert seen.has_next_page
    assert seen.outcome.ok


def test_done_without_a_document_means_no_data_not_failure() -> None:
    seen = interpret(q())

    assert seen.outcome is QueryOutcome.NO_DATA
    assert seen.document_id is None
    assert not seen.has_next_page
    assert seen.outcome.ok


def test_fatal_points_at_its_error_document() -> None:
    seen = interpret(q(status=QueryStatus.FATAL, error_document_id="err"))

    assert seen == Interpretation(QueryOutcome.FATAL, "err")
    assert not seen.outcome.ok


def test_fatal_without_a_document_and_cancelled() -> None:
    assert interpret(q(status=QueryStatus.FATAL)).outcome is QueryOutcome.FATAL_WITHOUT_DOCUMENT
    cancelled = interpret(q(status=QueryStatus.CANCELLED))
    assert cancelled == Interpretation(QueryOutcome.CANCELLED, None)
    assert cancelled.outcome.ok


@pytest.mark.parametrize("status", [QueryStatus.IN_QUEUE, QueryStatus.IN_PROGRESS])
def test_a_running_query_cannot_be_interpreted(status: QueryStatus) -> None:
    with pytest.raises(QueryNotReadyError, match="query 1 is"):
        interpret(q(status=status))


def test_secrets_and_tokens_stay_out_of_reprs() -> None:
    assert "SECRET" not in repr(KioskDocument("d", "https://s3/d?X-Amz-Signature=SECRET"))
    assert "tok-SECRET" not in repr(q(next_token="tok-SECRET"))
    assert "tok-SECRET" not in repr(interpret(q(data_document_id="d", next_token="tok-SECRET")))


# --- pagination ---------------------------------------------------------------------------


def test_the_next_page_repeats_the_query_text_with_the_token() -> None:
    page = next_page(q("7", data_document_id="d", next_token="tok"))

    assert page == NextPage(PARTNER, TEXT, "tok", previous_query_id="7")


def test_no_next_page_without_a_token_or_when_not_done() -> None:
    assert next_page(q(data_document_id="d")) is None
    assert next_page(q(status=QueryStatus.FATAL, next_token="tok")) is None


# --- the concurrency guard ----------------------------------------------------------------


def test_a_free_slot_creates_the_query() -> None:
    api = FakeKioskApi()

    assert QueryCreator(api, max_in_flight=1, lock=ProcessCreationLock()).create(
        PARTNER, TEXT
    ) == Created("q1")
    assert api.created == [(PARTNER, TEXT, None)]


def test_full_slots_answer_wait_instead_of_failing() -> None:
    api = FakeKioskApi()
    api.add(q("a", QueryStatus.IN_QUEUE))
    api.add(q("b", QueryStatus.IN_PROGRESS))
    api.add(q("c", QueryStatus.DONE))  # terminal: takes no slot
    api.add(q("x", QueryStatus.IN_PROGRESS, partner_id="OTHER"))  # another partner's

    assert QueryCreator(api, max_in_flight=2, lock=ProcessCreationLock()).create(
        PARTNER, TEXT
    ) == Wait(("a", "b"))
    assert api.created == []
    assert QueryCreator(api, max_in_flight=3, lock=ProcessCreationLock()).create(
        PARTNER, TEXT
    ) == Created("q1")


def test_the_next_page_goes_through_the_same_guard() -> None:
    api = FakeKioskApi()
    creator = QueryCreator(api, max_in_flight=1, lock=ProcessCreationLock())

    assert creator.create_next(NextPage(PARTNER, TEXT, "tok", "7")) == Created("q1")
    assert api.created == [(PARTNER, TEXT, "tok")]
    assert isinstance(creator.create_next(NextPage(PARTNER, TEXT, "tok2", "q1")), Wait)


class RefusingLock:
    """Another caller holds every partner's lock."""

    @contextmanager
    def holding(self, partner_id: str) -> Iterator[bool]:
        yield False


def test_while_another_caller_creates_for_the_partner_the_creator_waits_without_calls() -> None:
    api = FakeKioskApi()
    creator = QueryCreator(api, max_in_flight=5, lock=RefusingLock())

    assert creator.create(PARTNER, TEXT) == Wait(())
    assert api.created == []
    assert api.get_queries_calls == 0


def test_the_limit_must_allow_one_query() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        QueryCreator(FakeKioskApi(), max_in_flight=0, lock=ProcessCreationLock())


def test_create_when_free_backs_off_until_a_slot_frees() -> None:
    api = FakeKioskApi()
    api.add(q("busy", QueryStatus.IN_PROGRESS))
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        FakeClock.sleep(clock, seconds)
        if len(clock.slept) == 3:
            api.add(q("busy", QueryStatus.DONE))

    clock.sleep = sleep  # type: ignore[method-assign]
    query_id = QueryCreator(api, max_in_flight=1, lock=ProcessCreationLock()).create_when_free(
        PARTNER, TEXT, None, clock
    )

    assert query_id == "q1"
    assert clock.slept == [45.0, 67.5, 101.25]


def test_create_when_free_gives_up_after_the_timeout() -> None:
    api = FakeKioskApi()
    api.add(q("busy", QueryStatus.IN_PROGRESS))
    policy = PollPolicy(first_interval=10, factor=2, max_interval=60, timeout=timedelta(minutes=2))

    with pytest.raises(QueryTimeoutError, match="1 queries still running"):
        QueryCreator(api, max_in_flight=1, lock=ProcessCreationLock()).create_when_free(
            PARTNER, TEXT, "t", FakeClock(), policy
        )
    assert api.created == []


def test_a_lock_never_freed_by_another_caller_times_out_naming_it() -> None:
    api = FakeKioskApi()
    creator = QueryCreator(api, max_in_flight=1, lock=RefusingLock())
    policy = PollPolicy(first_interval=10, factor=2, max_interval=60, timeout=timedelta(minutes=2))

    with pytest.raises(QueryTimeoutError, match="another caller creating"):
        creator.create_when_free(PARTNER, TEXT, None, FakeClock(), policy)
    assert api.created == []


# --- waiting by polling getQuery ----------------------------------------------------------


def test_the_waiter_polls_with_backoff_until_terminal() -> None:
    api = FakeKioskApi(polls_to_finish=3)
    query_id = api.create_query(PARTNER, TEXT)
    clock = FakeClock()
    polled: list[QueryStatus] = []

    done = QueryWaiter(api, clock).wait_all(
        [(PARTNER, query_id)], on_poll=lambda x: polled.append(x.status)
    )

    assert [x.query_id for x in done] == ["q1"]
    assert polled == [QueryStatus.IN_QUEUE, QueryStatus.IN_QUEUE, QueryStatus.DONE]
    assert clock.slept == [2.0, 3.0]


def test_throttling_while_polling_only_delays_the_next_poll() -> None:
    api = FakeKioskApi()
    query_id = api.create_query(PARTNER, TEXT)
    api.failures = [ThrottledError("getQuery", "slow down"), SpApiServerError("getQuery", "503")]

    assert QueryWaiter(api, FakeClock()).wait(PARTNER, query_id).status is QueryStatus.DONE


def test_the_waiter_yields_queries_as_they_finish_and_times_out_on_the_rest() -> None:
    api = FakeKioskApi()
    first = api.create_query(PARTNER, TEXT)
    api.add(q("stuck", QueryStatus.IN_PROGRESS))
    policy = PollPolicy(timeout=timedelta(minutes=5))
    waiting = QueryWaiter(api, FakeClock(), policy).wait_all([(PARTNER, first), (PARTNER, "stuck")])

    assert next(waiting).query_id == first
    with pytest.raises(QueryTimeoutError, match="stuck"):
        next(waiting)


# --- the lake -----------------------------------------------------------------------------

WHERE = PageKey("sales_by_date", PARTNER, date(2026, 11, 1))
DOWNLOAD = Download("application/x-ndjson", "utf-8", None, False, False, "gzip", 10, 30, 2, "ab")


def test_keys_follow_the_layout() -> None:
    assert data_key(WHERE, "q1") == (
        f"raw/query=sales_by_date/seller_id={PARTNER}/dt=2026-11-01/q1.jsonl"
    )
    assert error_key(WHERE, "q1") == (
        f"errors/query=sales_by_date/seller_id={PARTNER}/dt=2026-11-01/q1.json"
    )
    assert manifest_key(WHERE, "q1") == (
        f"manifests/query=sales_by_date/seller_id={PARTNER}/dt=2026-11-01/q1.json"
    )
    assert stored_key(WHERE, "q1", QueryOutcome.DATA) == data_key(WHERE, "q1")
    assert stored_key(WHERE, "q1", QueryOutcome.FATAL) == error_key(WHERE, "q1")
    assert stored_key(WHERE, "q1", QueryOutcome.NO_DATA) is None
    assert stored_key(WHERE, "q1", QueryOutcome.CANCELLED) is None


@pytest.mark.parametrize("name", ["", "a/b", "../x", "a b", "x=y"])
def test_names_that_would_break_a_key_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not usable"):
        PageKey(name, PARTNER, date(2026, 11, 1))


def test_a_manifest_describes_the_page_and_round_trips() -> None:
    page = q("q1", data_document_id="doc-1", next_token="tok", processing_start=T0)

    body = manifest(
        WHERE,
        page,
        QueryOutcome.DATA,
        selection=SELECTION,
        link=PageLink(),
        download=DOWNLOAD,
        ingested_at=T0,
    )

    assert body["key"] == data_key(WHERE, "q1")
    assert body["outcome"] == "stored"
    assert body["queryName"] == "sales_by_date"
    assert body["createdTime"] == "2026-11-27T12:00:00Z"
    assert body["rows"] == 2
    assert body["compression"] == "gzip"
    assert body["pagination"] == {
        "page": 1,
        "firstQueryId": "q1",
        "previousQueryId": None,
        "previousManifest": None,
        "hasNextPage": True,
        "nextQueryId": None,
        "nextManifest": None,
    }
    assert "tok" not in str(body)  # the token is not stored
    assert page_key_of(body) == WHERE
    assert query_of(body) == replace(page, next_token=None)


def test_no_data_and_fatal_manifests() -> None:
    empty = manifest(
        WHERE,
        q("q1"),
        QueryOutcome.NO_DATA,
        selection=SELECTION,
        link=PageLink(),
        download=None,
        ingested_at=T0,
    )
    fatal = manifest(
        WHERE,
        q("q2", QueryStatus.FATAL, error_document_id="err"),
        QueryOutcome.FATAL,
        selection=SELECTION,
        link=PageLink(),
        download=None,
        ingested_at=T0,
    )

    assert (empty["key"], empty["outcome"], empty["dataDocumentId"]) == (None, "no-data", None)
    assert "rows" not in empty
    assert (fatal["key"], fatal["errorDocumentId"]) == (error_key(WHERE, "q2"), "err")


def test_two_pages_end_to_end_are_created_waited_for_and_linked() -> None:
    """create -> wait -> interpret -> next page -> ... with manifests linked both ways."""
    api = FakeKioskApi(pages=2, polls_to_finish=2)
    creator, waiter = (
        QueryCreator(api, max_in_flight=1, lock=ProcessCreationLock()),
        QueryWaiter(api, FakeClock()),
    )
    admission = creator.create(PARTNER, TEXT)
    link, bodies = PageLink(), {}
    while isinstance(admission, Created):
        done = waiter.wait(PARTNER, admission.query_id)
        seen = interpret(done)
        assert seen.outcome is QueryOutcome.DATA
        bodies[done.query_id] = manifest(
            WHERE,
            done,
            seen.outcome,
            selection=SELECTION,
            link=link,
            download=DOWNLOAD,
            ingested_at=T0,
        )
        following = next_page(done)
        if following is None:
            break
        admission = creator.create_next(following)
        assert isinstance(admission, Created)
        bodies[done.query_id] = link_next(bodies[done.query_id], admission.query_id)
        link = link.after(done.query_id)

    assert api.created == [(PARTNER, TEXT, None), (PARTNER, TEXT, "token-after-1")]
    first, second = bodies["q1"]["pagination"], bodies["q2"]["pagination"]
    assert first["nextQueryId"] == "q2"
    assert first["nextManifest"] == manifest_key(WHERE, "q2")
    assert (second["page"], second["firstQueryId"], second["previousQueryId"]) == (2, "q1", "q1")
    assert second["previousManifest"] == manifest_key(WHERE, "q1")
    assert second["hasNextPage"] is False
    assert bodies["q2"]["key"] == data_key(WHERE, "q2")
