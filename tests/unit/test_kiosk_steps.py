"""Data Kiosk's workflow steps: the stack's queries from settings, planning, creating a page
within the slots and the rate limit (waiting, never failing for load), fetching a finished
page, and reconciling pages whose notification never came."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from domain.catalog import Catalog
from domain.datakiosk.catalog import QueryCatalog, query_settings
from domain.datakiosk.definitions import QueryDefinition
from domain.datakiosk.lake import PageKey, link_next, manifest_key
from domain.datakiosk.lifecycle import QueryCreator
from domain.datakiosk.locking import ProcessCreationLock
from domain.datakiosk.model import QueryNotReadyError, QueryStatus
from domain.datakiosk.reconciling import QueryReconciler
from domain.datakiosk.running import QueryStarter
from domain.datakiosk.stepping import (
    SLOT_WAIT_SECONDS,
    PageCreator,
    PageFetcher,
    PageRequest,
    QueryPlanner,
)
from domain.datakiosk.storing import PageContext, PageStorer, QueryLedger
from domain.errors import (
    ConfigError,
    QueryContextMissingError,
    QueryDeadlineError,
    SpApiServerError,
)
from domain.pacing import Pacer
from tests.fakes import (
    FakeClock,
    FakeDocumentSource,
    FakeLake,
    FakeRateLimits,
    FakeSettings,
    FakeWorkflow,
)
from tests.kiosk_fakes import PARTNER, SELECTION, FakeKioskApi, q

OTHER = "A2OTHERSELLER"
TEXT = 'query{x(startDate:"{{startDate}}" endDate:"{{endDate}}" m:{{marketplaceIds}}){y}}'
REPORTS = json.dumps([{"type": "GET_MERCHANT_LISTINGS_ALL_DATA"}])
SELLERS = [
    {"name": "one", "sellerId": PARTNER, "marketplaces": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]},
    {"name": "two", "sellerId": OTHER, "marketplaces": ["ATVPDKIKX0DER"]},
]


def definition(name: str = "by_date", partners: tuple[str, ...] = (PARTNER, OTHER), days: int = 3):
    return QueryDefinition(
        name=name,
        file=f"queries/{name}.graphql",
        text=TEXT,
        selection=SELECTION,
        window=timedelta(days=days),
        partners=partners,
        schedule="cron(0 3 * * ? *)",
    )


def settings(*definitions: QueryDefinition, concurrency: int = 2) -> FakeSettings:
    values = {"sellers": json.dumps(SELLERS), "reports": REPORTS}
    values.update(query_settings(definitions, concurrency))
    return FakeSettings(values)


class LimitedKioskApi(FakeKioskApi):
    """createQuery under the shared rate limit, as the DynamoDB limiter gates it."""

    def __init__(self, limits: FakeRateLimits, pages: int = 1) -> None:
        super().__init__(pages=pages)
        self.limits = limits

    def create_query(self, partner_id: str, query: str, pagination_token: str | None = None) -> str:
        self.limits.gate("createQuery", partner_id)
        return super().create_query(partner_id, query, pagination_token)


class World:
    def __init__(self, *definitions: QueryDefinition, concurrency: int = 2, pages: int = 1):
        self.clock = FakeClock()
        self.limits = FakeRateLimits(self.clock, free={"createQuery": 10})
        self.api = LimitedKioskApi(self.limits, pages=pages)
        self.lake = FakeLake()
        self.settings = settings(*(definitions or (definition(),)), concurrency=concurrency)
        self.catalog = QueryCatalog(self.settings, Catalog(self.settings, "NA"))
        self.ledger = QueryLedger(self.lake)
        self.pacer = Pacer(self.limits, self.clock, timedelta(hours=1))
        creator = QueryCreator(
            self.api, max_in_flight=self.catalog.concurrency(), lock=ProcessCreationLock()
        )
        starter = QueryStarter(creator, self.ledger, self.lake)
        self.creator = PageCreator(starter, self.api, self.ledger, self.catalog, self.pacer)
        self.fetcher = PageFetcher(self.api, self.ledger, self.pacer)
        self.workflow = FakeWorkflow()
        self.reconciler = QueryReconciler(
            self.api, self.ledger, self.lake, self.workflow, self.clock
        )

    def store(self, query_id: str) -> None:
        """The page in the lake, as StorePage leaves it (no document needed for no-data)."""
        query = self.api.get_query(PARTNER, query_id)
        context = self.ledger.context(PARTNER, query_id)
        assert context is not None
        storer = PageStorer(self.api, FakeDocumentSource(), self.lake, self.clock)
        storer.store(query.__class__(**{**query.__dict__, "data_document_id": None}), context)


REQUEST = PageRequest(PARTNER, "by_date", date(2026, 11, 24), date(2026, 11, 26))


# --- settings and planning ---------------------------------------------------------------


def test_the_queries_round_trip_through_settings() -> None:
    world = World(definition("by_date"), definition("econ", partners=(OTHER,), days=7))

    found = world.catalog.definitions()

    assert [(d.name, d.partners, d.window.days, d.text) for d in found] == [
        ("by_date", (PARTNER, OTHER), 3, TEXT),
        ("econ", (OTHER,), 7, TEXT),
    ]
    assert found[0].selection == SELECTION
    assert world.catalog.runs_queries(OTHER)
    assert world.catalog.concurrency() == 2


def test_a_stack_without_queries_has_none_and_the_default_concurrency() -> None:
    bare = FakeSettings({"sellers": json.dumps(SELLERS), "reports": REPORTS})
    catalog = QueryCatalog(bare, Catalog(bare, "NA"))

    assert catalog.definitions() == ()
    assert catalog.concurrency() == 2
    assert not catalog.runs_queries(PARTNER)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"query-text/by_date": ""}, "query-text/by_date is missing"),
        ({"queries": "[{"}, "not JSON"),
        ({"queryConcurrency": "0"}, "queryConcurrency='0' is not a whole number of at least 1"),
    ],
)
def test_broken_settings_are_one_line(change: dict[str, str], message: str) -> None:
    world = World()
    world.settings.values.update(change)

    with pytest.raises(ConfigError, match=message):
        world.catalog.concurrency() if "Concurrency" in message else world.catalog.definitions()


def test_the_planner_plans_each_query_for_each_of_its_partners_over_its_window() -> None:
    world = World(definition("by_date"), definition("econ", partners=(OTHER,), days=7))
    planner = QueryPlanner(world.catalog, world.clock)  # now: 2026-11-27 12:00 UTC

    every = planner.plan()
    econ_only = planner.plan(["econ"])
    one_partner = planner.plan(partner_ids=[PARTNER])

    assert every == [
        PageRequest(PARTNER, "by_date", date(2026, 11, 24), date(2026, 11, 26)),
        PageRequest(OTHER, "by_date", date(2026, 11, 24), date(2026, 11, 26)),
        PageRequest(OTHER, "econ", date(2026, 11, 20), date(2026, 11, 26)),
    ]
    assert econ_only == every[2:]
    assert one_partner == every[:1]
    with pytest.raises(ConfigError, match="query nope is not configured; configured: by_date"):
        QueryPlanner(World().catalog, world.clock).plan(["nope"])


# --- creating pages ------------------------------------------------------------------------


def test_a_first_page_is_created_with_its_dates_and_the_partners_marketplaces() -> None:
    world = World()

    creation = world.creator.first(REQUEST, None)

    assert creation.query_id == "q1"
    assert not creation.pace.waiting
    [(_, text, token)] = world.api.created
    assert text == (
        'query{x(startDate:"2026-11-24" endDate:"2026-11-26" '
        'm:["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]){y}}'
    )
    assert token is None
    context = world.ledger.context(PARTNER, "q1")
    assert context == PageContext(PageKey("by_date", PARTNER, date(2026, 11, 24)), SELECTION)


def test_a_full_partner_waits_a_while_instead_of_failing_then_creates() -> None:
    world = World(concurrency=1)
    world.api.add(q("running", QueryStatus.IN_PROGRESS))

    waiting = world.creator.first(REQUEST, None)
    world.api.add(q("running", QueryStatus.DONE))
    created = world.creator.first(REQUEST, waiting.pace)

    assert (waiting.query_id, waiting.pace.wait_seconds) == (None, SLOT_WAIT_SECONDS)
    assert waiting.pace.ticket is None
    assert created.query_id == "q1"
    assert created.pace.deadline == waiting.pace.deadline  # one deadline for the whole step


def test_a_partner_still_full_at_the_deadline_fails_the_step() -> None:
    world = World(concurrency=1)
    world.api.add(q("running", QueryStatus.IN_PROGRESS))
    waiting = world.creator.first(REQUEST, None)
    world.clock.sleep(2 * 3600)

    with pytest.raises(QueryDeadlineError, match="no Data Kiosk slot freed up"):
        world.creator.first(REQUEST, waiting.pace)


def test_a_rate_limited_create_hands_its_wait_and_ticket_to_the_workflow() -> None:
    world = World()
    world.limits.free["createQuery"] = 0

    limited = world.creator.first(REQUEST, None)
    world.clock.sleep(limited.pace.wait_seconds)
    created = world.creator.first(REQUEST, limited.pace)

    assert limited.query_id is None
    assert limited.pace.waiting
    assert limited.pace.ticket is not None
    assert limited.pace.ticket.operation == "createQuery"
    assert created.query_id == "q1"
    assert world.limits.honoured == [limited.pace.ticket]  # no second token taken


def test_the_next_page_is_created_from_the_finished_page_and_the_last_has_none() -> None:
    world = World(pages=2)
    world.creator.first(REQUEST, None)
    world.api.get_query(PARTNER, "q1")  # finishes, with a token
    world.store("q1")

    second = world.creator.after(PARTNER, "q1", None)
    world.api.get_query(PARTNER, "q2")
    last = world.creator.after(PARTNER, "q2", None)
    unknown = world.creator.after(PARTNER, "not-ours", None)

    assert (second.query_id, second.last) == ("q2", False)
    assert world.api.created[1][2] == "token-after-1"
    assert (last.query_id, last.last) == (None, True)
    assert (unknown.query_id, unknown.last) == (None, True)
    assert len(world.api.created) == 2


# --- fetching ------------------------------------------------------------------------------


def test_a_finished_page_is_fetched_with_its_document_and_context() -> None:
    world = World()
    world.creator.first(REQUEST, None)
    world.api.get_query(PARTNER, "q1")

    fetched = world.fetcher.fetch(PARTNER, "q1", None)

    assert fetched.query is not None
    assert fetched.query.status is QueryStatus.DONE
    assert fetched.document is not None
    assert fetched.document.document_id == "doc-1"
    assert fetched.context == world.ledger.context(PARTNER, "q1")


def test_a_query_without_a_recorded_context_is_refused_for_the_workflow_to_retry() -> None:
    world = World()
    world.api.add(q("foreign", data_document_id="doc-9"))

    with pytest.raises(QueryContextMissingError, match=r"query foreign of .* no context"):
        world.fetcher.fetch(PARTNER, "foreign", None)


def test_a_query_still_running_is_not_ready() -> None:
    world = World()
    world.creator.first(REQUEST, None)
    world.api.polls_to_finish = 5

    with pytest.raises(QueryNotReadyError, match="q1 is IN_QUEUE"):
        world.fetcher.fetch(PARTNER, "q1", None)


# --- reconciling ---------------------------------------------------------------------------


def test_reconcile_starts_an_ingest_for_a_finished_page_missing_from_the_lake() -> None:
    world = World()
    world.creator.first(REQUEST, None)
    world.api.get_query(PARTNER, "q1")
    world.api.add(q("foreign", data_document_id="doc-9"))

    swept = world.reconciler.run([PARTNER], hours=24)
    again = world.reconciler.run([PARTNER], hours=24)

    assert (swept.checked, swept.started, swept.not_ours) == (2, 1, 1)
    [started] = world.workflow.started_queries
    assert (started.owner, started.query_id) == (PARTNER, "q1")
    assert again.already_started == 1  # the workflow refuses a second ingest


def test_reconcile_leaves_stored_pages_but_restarts_one_whose_next_page_was_never_created() -> None:
    world = World(pages=2)
    world.creator.first(REQUEST, None)
    world.api.get_query(PARTNER, "q1")
    world.store("q1")

    stalled = world.reconciler.run([PARTNER], hours=24)
    context = world.ledger.context(PARTNER, "q1")
    assert context is not None
    key = manifest_key(context.where, "q1")
    world.lake.manifests[key] = link_next(world.lake.manifests[key], "q2")
    linked = QueryReconciler(world.api, world.ledger, world.lake, FakeWorkflow(), world.clock).run(
        [PARTNER], hours=24
    )

    assert stalled.started == 1
    assert (linked.started, linked.in_lake) == (0, 1)


def test_one_partner_failing_does_not_stop_the_sweep() -> None:
    world = World()

    class Failing(FakeKioskApi):
        def get_queries(self, partner_id: str, **kw: object):  # type: ignore[override]
            if partner_id == OTHER:
                raise SpApiServerError("getQueries", "HTTP 503")
            return super().get_queries(partner_id)

    reconciler = QueryReconciler(Failing(), world.ledger, world.lake, world.workflow, world.clock)
    swept = reconciler.run([OTHER, PARTNER], hours=24)

    assert [partner for partner, _ in swept.failures] == [OTHER]
    with pytest.raises(ConfigError, match="hours must be positive"):
        reconciler.run([PARTNER], hours=0)


def test_the_query_settings_are_what_a_deployment_writes() -> None:
    written = query_settings([definition()], concurrency=3)

    assert json.loads(written["queries"]) == [
        {
            "name": "by_date",
            "partners": [PARTNER, OTHER],
            "selection": SELECTION,
            "window": "P3D",
            "schedule": "cron(0 3 * * ? *)",
        }
    ]
    assert written["query-text/by_date"] == TEXT
    assert written["queryConcurrency"] == "3"


class RecordingTrigger:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def curate(self, manifest_key: str) -> None:
        self.keys.append(manifest_key)


def test_reconcile_curates_again_a_stored_page_its_execution_failed_to_curate() -> None:
    world = World()
    world.creator.first(REQUEST, None)
    done = world.api.get_query(PARTNER, "q1")
    context = world.ledger.context(PARTNER, "q1")
    assert context is not None
    key = manifest_key(context.where, "q1")
    stored = {"outcome": "stored", "key": "raw/x.jsonl", "selection": SELECTION}
    world.lake.manifests[key] = {
        **stored,
        "ingestedAt": "2026-11-27T11:30:00Z",
        "pagination": {"hasNextPage": False},
    }
    trigger = RecordingTrigger()
    reconciler = QueryReconciler(
        world.api, world.ledger, world.lake, world.workflow, world.clock, trigger
    )

    recent = reconciler.run([PARTNER], hours=24)  # 30 minutes ago: its execution may still run
    world.clock.sleep(3600)
    late = reconciler.run([PARTNER], hours=24)
    world.lake.manifests[key]["curated"] = {"tables": []}
    curated = reconciler.run([PARTNER], hours=24)

    assert done.status is QueryStatus.DONE
    assert (recent.curating, late.curating, curated.curating) == (0, 1, 0)
    assert trigger.keys == [key]
    assert world.workflow.started_queries == []
