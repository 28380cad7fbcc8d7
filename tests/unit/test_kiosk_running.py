"""Data Kiosk pages into the lake: storing each outcome, the ledger, starting pages within the
concurrency limit, and a whole query run page by page in one process."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta

import pytest

from domain.datakiosk.definitions import QueryDefinition
from domain.datakiosk.lake import PageKey, PageLink, data_key, error_key, ledger_key, manifest_key
from domain.datakiosk.lifecycle import Created, QueryCreator, QueryWaiter, Wait
from domain.datakiosk.locking import ProcessCreationLock
from domain.datakiosk.model import KioskDocument, QueryOutcome, QueryStatus, QueryTimeoutError
from domain.datakiosk.reusing import stored_pages
from domain.datakiosk.running import PlannedQuery, QueryRunner, QueryStarter, plan_query
from domain.datakiosk.storing import PageContext, PageStorer, QueryLedger
from domain.errors import CorruptDocumentError, DocumentUrlExpiredError
from domain.waiting import PollPolicy
from tests.fakes import FakeClock, FakeDocumentSource, FakeLake, FakeStream
from tests.kiosk_fakes import PARTNER, SELECTION, FakeKioskApi, q

WHERE = PageKey("sales_by_date", PARTNER, date(2026, 11, 1))
CONTEXT = PageContext(WHERE, SELECTION)
ROWS = [{"startDate": "2026-11-01", "sales": {"unitsOrdered": 3}}, {"startDate": "2026-11-02"}]
JSONL = "".join(json.dumps(row) + "\n" for row in ROWS).encode()


def url(document_id: str) -> str:
    return f"https://s3/{document_id}?X-Amz-Signature=SECRET"


class World:
    def __init__(self, pages: int = 1, limit: int = 2) -> None:
        self.api = FakeKioskApi(pages=pages)
        self.source = FakeDocumentSource()
        self.lake = FakeLake()
        self.clock = FakeClock()
        self.ledger = QueryLedger(self.lake)
        self.storer = PageStorer(self.api, self.source, self.lake, self.clock)
        self.starter = QueryStarter(
            QueryCreator(self.api, max_in_flight=limit, lock=ProcessCreationLock()),
            self.ledger,
            self.lake,
        )
        for page in range(1, 6):
            self.serve(f"doc-{page}", JSONL)

    def serve(self, document_id: str, body: bytes, encoding: str | None = "gzip") -> None:
        data = gzip.compress(body) if encoding == "gzip" else body
        stream = FakeStream("application/x-ndjson", [data[:7], data[7:]], content_encoding=encoding)
        self.source.bodies[url(document_id)] = stream

    def runner(self) -> QueryRunner:
        policy = PollPolicy(first_interval=5, factor=1, max_interval=5)
        waiter = QueryWaiter(self.api, self.clock, policy)
        return QueryRunner(self.starter, waiter, self.storer, self.clock, policy)


@pytest.fixture
def world() -> World:
    return World()


# --- storing one page ----------------------------------------------------------------------


def test_a_done_page_is_gunzipped_by_its_content_encoding_and_recorded(world: World) -> None:
    page = q("q1", data_document_id="doc-1")

    stored = world.storer.store(page, CONTEXT)

    assert stored.outcome is QueryOutcome.DATA
    assert stored.data_key == data_key(WHERE, "q1")
    assert world.lake.objects[data_key(WHERE, "q1")] == JSONL
    body = world.lake.manifests[manifest_key(WHERE, "q1")]
    assert (body["outcome"], body["selection"], body["rows"]) == ("stored", SELECTION, 2)
    assert body["compression"] == "GZIP"
    assert body["bytes"] == len(JSONL)
    assert "SECRET" not in json.dumps(body)  # the pre-signed URL is never recorded


def test_an_uncompressed_page_is_stored_as_sent(world: World) -> None:
    world.serve("doc-1", JSONL, encoding=None)

    stored = world.storer.store(q("q1", data_document_id="doc-1"), CONTEXT)

    assert world.lake.objects[data_key(WHERE, "q1")] == JSONL
    assert stored.download is not None
    assert stored.download.compression is None


def test_done_without_a_document_records_no_data_and_downloads_nothing(world: World) -> None:
    stored = world.storer.store(q("q1"), CONTEXT)

    assert (stored.outcome, stored.data_key) == (QueryOutcome.NO_DATA, None)
    assert world.source.opened == []
    assert world.lake.manifests[manifest_key(WHERE, "q1")]["outcome"] == "no-data"


def test_fatal_stores_its_error_document_under_errors(world: World) -> None:
    world.serve("err-1", b'{"errorMessage": "bad query"}')
    fatal = q("q1", QueryStatus.FATAL, error_document_id="err-1")

    stored = world.storer.store(fatal, CONTEXT)

    assert stored.outcome is QueryOutcome.FATAL
    assert world.lake.objects[error_key(WHERE, "q1")] == b'{"errorMessage": "bad query"}'
    assert not stored.outcome.ok


def test_cancelled_is_a_manifest_alone(world: World) -> None:
    stored = world.storer.store(q("q1", QueryStatus.CANCELLED), CONTEXT)

    assert (stored.outcome, stored.data_key) == (QueryOutcome.CANCELLED, None)


def test_a_stored_page_is_not_fetched_again(world: World) -> None:
    page = q("q1", data_document_id="doc-1")
    world.storer.store(page, CONTEXT)

    again = world.storer.store(page, CONTEXT)

    assert again.reused
    assert world.source.opened == [url("doc-1")]


def test_an_expired_url_is_fetched_again_and_a_truncated_body_downloaded_again(
    world: World,
) -> None:
    world.source.expired.add(url("doc-1"))
    calls: list[str] = []

    class Refreshing(FakeKioskApi):
        def get_document(self, partner_id: str, document_id: str) -> KioskDocument:
            calls.append(document_id)
            if len(calls) > 1:
                world.source.expired.discard(url(document_id))
            return super().get_document(partner_id, document_id)

    storer = PageStorer(Refreshing(), world.source, world.lake, world.clock)
    stored = storer.store(q("q1", data_document_id="doc-1"), CONTEXT)

    assert calls == ["doc-1", "doc-1"]
    assert stored.rows == 2


def test_a_truncated_gzip_page_leaves_nothing_once_retries_run_out(world: World) -> None:
    world.source.bodies[url("doc-1")] = FakeStream(
        "application/x-ndjson", [gzip.compress(JSONL)[:-9]], content_encoding="gzip"
    )
    storer = PageStorer(world.api, world.source, world.lake, world.clock, max_download_retries=1)

    with pytest.raises(CorruptDocumentError, match="ends early"):
        storer.store(q("q1", data_document_id="doc-1"), CONTEXT)

    assert world.lake.objects == {}
    assert world.lake.manifests == {}  # no manifest: the page is not in the lake


def test_a_given_document_is_not_refreshed_by_the_storer(world: World) -> None:
    world.source.expired.add(url("doc-1"))

    with pytest.raises(DocumentUrlExpiredError):
        world.storer.store(
            q("q1", data_document_id="doc-1"),
            CONTEXT,
            document=KioskDocument("doc-1", url("doc-1")),
        )


# --- the ledger and starting pages ---------------------------------------------------------


def test_a_created_query_records_its_context_in_the_ledger(world: World) -> None:
    plan = plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7), ["US"])

    admission = world.starter.start(plan)

    assert admission == Created("q1")
    assert world.ledger.context(PARTNER, "q1") == PageContext(WHERE, SELECTION)
    assert ledger_key(PARTNER, "q1") in world.lake.manifests
    [(_, text, token)] = world.api.created
    assert text == 'query{x(startDate:"2026-11-01" endDate:"2026-11-07" ids:["US"]){y}}'
    assert token is None


def test_an_unknown_query_has_no_context(world: World) -> None:
    world.lake.put_manifest(ledger_key(PARTNER, "broken"), {"queryName": "x"})

    assert world.ledger.context(PARTNER, "q404") is None
    assert world.ledger.context(PARTNER, "broken") is None


def test_full_slots_wait_instead_of_creating() -> None:
    world = World(limit=1)
    world.api.add(q("other", QueryStatus.IN_PROGRESS))

    admission = world.starter.start(
        plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7))
    )

    assert admission == Wait(("other",))
    assert world.api.created == []
    assert not any(key.startswith("queries/") for key in world.lake.manifests)


def test_the_next_page_links_the_previous_manifest_and_records_its_place() -> None:
    world = World(pages=2)
    world.starter.start(plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7)))
    first = world.api.get_query(PARTNER, "q1")  # finishes with a token
    world.storer.store(first, CONTEXT)

    admission = world.starter.start_after(first, CONTEXT)

    assert admission == Created("q2")
    assert world.api.created[1][2] == "token-after-1"
    linked = world.lake.manifests[manifest_key(WHERE, "q1")]["pagination"]
    assert (linked["nextQueryId"], linked["nextManifest"]) == ("q2", manifest_key(WHERE, "q2"))
    assert world.ledger.context(PARTNER, "q2") == PageContext(
        WHERE, SELECTION, PageLink(2, "q1", "q1")
    )


def test_the_last_page_has_no_next(world: World) -> None:
    last = q("q1", data_document_id="doc-1")

    assert world.starter.start_after(last, CONTEXT) is None
    assert world.api.created == []


# --- a whole run ---------------------------------------------------------------------------


def definition() -> QueryDefinition:
    text = 'query{x(startDate:"{{startDate}}" endDate:"{{endDate}}" ids:{{marketplaceIds}}){y}}'
    return QueryDefinition(
        name="sales_by_date",
        file="queries/sales_by_date.graphql",
        text=text,
        selection=SELECTION,
        window=timedelta(days=7),
        partners=(PARTNER,),
    )


def test_a_three_page_query_runs_to_its_last_page_in_one_process() -> None:
    world = World(pages=3)
    created: list[str] = []

    pages = world.runner().run(
        plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7)),
        on_created=lambda query_id, context: created.append(query_id),
    )

    assert [p.query.query_id for p in pages] == ["q1", "q2", "q3"] == created
    assert [p.context.link.number for p in pages] == [1, 2, 3]
    assert [p.rows for p in pages] == [2, 2, 2]
    assert [t for _, _, t in world.api.created] == [None, "token-after-1", "token-after-2"]
    bodies = [world.lake.manifests[manifest_key(WHERE, f"q{n}")]["pagination"] for n in (1, 2, 3)]
    assert [b["nextQueryId"] for b in bodies] == ["q2", "q3", None]
    assert [b["previousQueryId"] for b in bodies] == [None, "q1", "q2"]
    assert [b["hasNextPage"] for b in bodies] == [True, True, False]


def test_a_run_waits_for_a_slot_rather_than_failing() -> None:
    world = World(limit=1)
    world.api.add(q("other", QueryStatus.IN_PROGRESS))

    def free_after_two_waits(seconds: float) -> None:
        FakeClock.sleep(world.clock, seconds)
        if len(world.clock.slept) == 2:
            world.api.add(q("other", QueryStatus.DONE))

    world.clock.sleep = free_after_two_waits  # type: ignore[method-assign]

    pages = world.runner().run(
        plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7))
    )

    assert [p.query.query_id for p in pages] == ["q1"]
    assert world.clock.slept[:2] == [5, 5]


def test_a_run_gives_up_when_no_slot_frees_within_the_policy() -> None:
    world = World(limit=1)
    world.api.add(q("other", QueryStatus.IN_PROGRESS))
    policy = PollPolicy(first_interval=60, factor=1, max_interval=60, timeout=timedelta(minutes=5))
    runner = QueryRunner(
        world.starter, QueryWaiter(world.api, world.clock), world.storer, world.clock, policy
    )

    with pytest.raises(QueryTimeoutError, match="no Data Kiosk slot"):
        runner.run(plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7)))

    assert world.api.created == []


def test_a_next_page_already_linked_is_not_created_twice() -> None:
    world = World(pages=2)
    world.starter.start(plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7)))
    first = world.api.get_query(PARTNER, "q1")
    world.storer.store(first, CONTEXT)
    world.starter.start_after(first, CONTEXT)

    again = world.starter.start_after(first, CONTEXT)  # a retried step

    assert again == Created("q2")
    assert len(world.api.created) == 2


# --- reusing a query already in the lake ---------------------------------------------------


def _reuse(world: World, plan: PlannedQuery) -> list[str] | None:
    found = stored_pages(plan, world.api, world.ledger, world.storer, world.lake, world.clock.now())
    return None if found is None else [p.query.query_id for p in found]


def test_an_identical_query_with_every_page_in_the_lake_is_reused() -> None:
    world = World(pages=2)
    plan = plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7))
    world.runner().run(plan)

    assert _reuse(world, plan) == ["q1", "q2"]


def test_other_dates_or_an_incomplete_chain_are_not_reused() -> None:
    world = World(pages=2)
    plan = plan_query(definition(), PARTNER, date(2026, 11, 1), date(2026, 11, 7))
    world.runner().run(plan)
    other = plan_query(definition(), PARTNER, date(2026, 11, 2), date(2026, 11, 8))

    assert _reuse(world, other) is None
    context = world.ledger.context(PARTNER, "q1")
    assert context is not None
    body = world.lake.manifests[manifest_key(context.where, "q1")]
    world.lake.manifests[manifest_key(context.where, "q1")] = {
        **body,
        "pagination": {**body["pagination"], "nextQueryId": None},
    }
    assert _reuse(world, plan) is None  # page 2 is not linked: run again
