"""Reconciler: finished reports whose notification never came are ingested, once."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from domain.errors import ConfigError, InvalidGrantError
from domain.lake import manifest_key
from domain.model import Report, ReportStatus
from domain.reconciling import MAX_TYPES_PER_CALL, Reconciler
from tests.fakes import FakeClock, FakeLake, FakeReportsApi, FakeWorkflow

SELLER, OTHER = "A3TH9S8BH6GOGM", "A2OTHERSELLER1"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


@dataclass
class PagedReportsApi(FakeReportsApi):
    """getReports as Amazon answers it: pages of `page_size`, each fetched only when needed, and
    at most ten report types per call."""

    page_size: int = 100
    pages_fetched: int = 0
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    def get_reports(self, seller_id: str, **filters) -> Iterator[Report]:
        types = tuple(filters["report_types"])
        assert 1 <= len(types) <= MAX_TYPES_PER_CALL, "getReports takes 1-10 report types"
        self.calls.append((seller_id, types))
        if seller_id in self.refused:
            raise InvalidGrantError(f"LWA rejected the refresh token for seller {seller_id}")
        found = list(super().get_reports(seller_id, **filters))
        for start in range(0, len(found), self.page_size):
            self.pages_fetched += 1
            yield from found[start : start + self.page_size]


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    lake: FakeLake = field(default_factory=FakeLake)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    reports: PagedReportsApi = field(init=False)

    def __post_init__(self) -> None:
        self.reports = PagedReportsApi(clock=self.clock)

    def reconciler(self) -> Reconciler:
        return Reconciler(self.reports, self.lake, self.workflow, self.clock)

    def report(
        self,
        report_id,
        *,
        status=ReportStatus.DONE,
        age_hours=1.0,
        seller=SELLER,
        report_type=LISTINGS,
    ) -> Report:
        return self.reports.add(
            Report(
                seller_id=seller,
                report_id=report_id,
                report_type=report_type,
                status=status,
                created_time=self.clock.now() - timedelta(hours=age_hours),
                data_start=self.clock.now() - timedelta(days=1),
                document_id=f"amzn1.spdoc.1.4.eu.{report_id}",
            )
        )

    def stored(self, report: Report) -> None:
        self.lake.put_manifest(manifest_key(report), {"outcome": "stored"})


def test_a_done_report_missing_from_the_lake_is_ingested():
    world = World()
    lost = world.report("1")

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert (result.checked, result.started) == (1, 1)
    (started,) = world.workflow.started
    assert (started.seller_id, started.report_id, started.report_type, started.document_id) == (
        SELLER,
        "1",
        LISTINGS,
        lost.document_id,
    )
    assert started.status is ReportStatus.DONE


def test_a_report_whose_manifest_is_in_the_lake_is_left_alone():
    world = World()
    world.stored(world.report("1"))

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert (result.checked, result.in_lake, result.started) == (1, 1, 0)
    assert world.workflow.started == []


def test_an_ingest_already_running_is_not_started_twice():
    world = World()
    world.report("1")
    world.reconciler().run([SELLER], [LISTINGS], hours=24)

    again = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert (again.started, again.already_started) == (0, 1)
    assert len(world.workflow.started) == 1


def test_only_done_reports_within_the_window_are_swept():
    world = World()
    world.report("old", age_hours=30)
    world.report("fatal", status=ReportStatus.FATAL)
    world.report("cancelled", status=ReportStatus.CANCELLED)
    world.report("running", status=ReportStatus.IN_PROGRESS)

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert result.checked == 0
    assert world.workflow.started == []


def test_every_page_is_read():
    world = World()
    for n in range(250):
        world.report(str(n), age_hours=n / 100)
    for n in range(0, 250, 5):
        world.stored(world.reports.reports[(SELLER, str(n))])

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert world.reports.pages_fetched == 3
    assert (result.checked, result.in_lake, result.started) == (250, 50, 200)


def test_more_than_ten_report_types_are_asked_for_in_batches():
    world = World()
    types = [f"GET_TYPE_{n:02d}" for n in range(23)]
    for n, report_type in enumerate(types):
        world.report(str(n), report_type=report_type)

    result = world.reconciler().run([SELLER, OTHER], [*types, types[0]], hours=24)

    batches = [called for seller, called in world.reports.calls if seller == SELLER]
    assert [len(batch) for batch in batches] == [10, 10, 3]
    assert sorted(t for batch in batches for t in batch) == types
    assert len(world.reports.calls) == 6
    assert result.started == 23


def test_a_seller_that_cannot_be_read_does_not_stop_the_others():
    world = World()
    world.reports.refused.add(SELLER)
    world.report("9", seller=OTHER)

    result = world.reconciler().run([SELLER, OTHER], [LISTINGS], hours=24)

    assert [seller for seller, _ in result.failures] == [SELLER]
    assert isinstance(result.failures[0][1], InvalidGrantError)
    assert [s.report_id for s in world.workflow.started] == ["9"]


def test_the_lookback_stops_at_amazons_90_days():
    world = World()
    world.report("1", age_hours=24 * 89)
    world.report("2", age_hours=24 * 91)

    assert world.reconciler().run([SELLER], [LISTINGS], hours=24 * 365).checked == 1


def test_hours_must_be_positive():
    with pytest.raises(ConfigError, match="hours"):
        World().reconciler().run([SELLER], [LISTINGS], hours=0)
