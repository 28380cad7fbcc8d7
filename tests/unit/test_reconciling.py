"""Reconciler: finished reports whose notification never came are ingested, once."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from domain.errors import AwsServiceError, ConfigError, InvalidGrantError
from domain.lake import data_key, error_key, manifest_key
from domain.model import FinishedReport, PartnerKind, Report, ReportStatus
from domain.planning import ReportConfig, Seller
from domain.reconciling import CURATE_GRACE, MAX_TYPES_PER_CALL, Reconciler, curatable, sweeps
from tests.fakes import FakeClock, FakeCurateTrigger, FakeLake, FakeReportsApi, FakeWorkflow

SELLER, OTHER = "A3TH9S8BH6GOGM", "A2OTHERSELLER1"
VENDOR, OTHER_VENDOR = "amzn1.vg.6213651", "amzn1.vg.1000001"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
VENDOR_SALES = "GET_VENDOR_SALES_REPORT"
VENDOR_TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
SALES_OPTIONS = (("distributorView", "MANUFACTURING"), ("reportPeriod", "WEEK"),
                 ("sellingProgram", "RETAIL"))  # fmt: skip
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"  # the registry has no table for it


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
    curate: FakeCurateTrigger = field(default_factory=FakeCurateTrigger)
    reports: PagedReportsApi = field(init=False)

    def __post_init__(self) -> None:
        self.reports = PagedReportsApi(clock=self.clock)

    def reconciler(self) -> Reconciler:
        return Reconciler(self.reports, self.lake, self.workflow, self.clock, self.curate)

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


# --- curating stored reports again -----------------------------------------------------------


def stored_document(world: World, report: Report, *, hours_ago: float = 2.0, **extra) -> str:
    """The manifest StoreReport writes for a stored document, `hours_ago` hours ago."""
    key = manifest_key(report)
    ingested = world.clock.now() - timedelta(hours=hours_ago)
    world.lake.put_manifest(
        key,
        {
            "reportType": report.report_type,
            "outcome": "stored",
            "key": data_key(report),
            "ingestedAt": ingested.isoformat().replace("+00:00", "Z"),
            **extra,
        },
    )
    return key


def test_a_stored_report_whose_curation_never_finished_is_curated_again():
    world = World()
    key = stored_document(world, world.report("1"))

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert world.curate.requested == [key]
    assert (result.in_lake, result.curating, result.started) == (1, 1, 0)


def test_a_curated_report_is_left_alone_even_when_a_table_was_refused():
    world = World()
    refused = {"table": "merchant_listings", "key": None, "rows": 0, "refused": "headers"}
    stored_document(world, world.report("1"), curated={"tables": [refused]})

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert world.curate.requested == []
    assert result.curating == 0


def test_a_report_stored_moments_ago_is_left_to_its_own_curate_step():
    world = World()
    just_now = CURATE_GRACE.total_seconds() / 3600 / 2
    stored_document(world, world.report("1"), hours_ago=just_now)

    result = world.reconciler().run([SELLER], [LISTINGS], hours=24)

    assert world.curate.requested == []
    assert result.curating == 0


def test_reports_the_registry_does_not_know_or_without_a_document_are_not_curated():
    world = World()
    stored_document(world, world.report("1", report_type=REIMBURSEMENTS))
    no_data = world.report("2")
    world.lake.put_manifest(
        manifest_key(no_data), {"reportType": LISTINGS, "outcome": "no-data", "key": None}
    )

    result = world.reconciler().run([SELLER], [LISTINGS, REIMBURSEMENTS], hours=24)

    assert world.curate.requested == []
    assert (result.in_lake, result.curating) == (2, 0)


def test_without_a_curate_trigger_nothing_is_curated_and_ingests_still_start():
    world = World()
    stored_document(world, world.report("1"))
    world.report("2")

    result = Reconciler(world.reports, world.lake, world.workflow, world.clock).run(
        [SELLER], [LISTINGS], hours=24
    )

    assert (result.curating, result.started) == (0, 1)


def test_a_refused_curate_invocation_fails_the_sweep_for_the_next_one_to_retry():
    world = World()
    stored_document(world, world.report("1"))
    world.curate.refuse = True

    with pytest.raises(AwsServiceError):
        world.reconciler().run([SELLER], [LISTINGS], hours=24)


def test_only_stored_documents_of_a_registry_type_are_curatable():
    report = World().report("1")

    assert curatable(LISTINGS, "stored", data_key(report))
    assert not curatable(LISTINGS, "no-data", None)
    assert not curatable(LISTINGS, "fatal-with-document", error_key(report))
    assert not curatable(REIMBURSEMENTS, "stored", data_key(report))


# --- vendors ---------------------------------------------------------------------------------


def partners() -> tuple[Seller, ...]:
    return (
        Seller("acme", SELLER, ("ATVPDKIKX0DER",)),
        Seller("acme-vendor", VENDOR, ("ATVPDKIKX0DER",), PartnerKind.VENDOR),
    )


def test_each_partner_is_swept_for_the_types_its_kind_may_request():
    reports = (
        ReportConfig(LISTINGS),
        ReportConfig(VENDOR_SALES, options=SALES_OPTIONS),
        ReportConfig(VENDOR_SALES, options=(("reportPeriod", "DAY"), *SALES_OPTIONS[::2])),
    )

    assert sweeps(partners(), reports) == {SELLER: (LISTINGS,), VENDOR: (VENDOR_SALES,)}


def test_a_report_for_named_partners_is_looked_for_only_with_them():
    vendors = (*partners(), Seller("b", OTHER_VENDOR, ("ATVPDKIKX0DER",), PartnerKind.VENDOR))
    reports = (
        ReportConfig(VENDOR_SALES, options=SALES_OPTIONS),
        ReportConfig(VENDOR_TRAFFIC, options=(("reportPeriod", "WEEK"),), partners=(VENDOR,)),
    )

    found = sweeps(vendors, reports)

    assert found == {VENDOR: (VENDOR_SALES, VENDOR_TRAFFIC), OTHER_VENDOR: (VENDOR_SALES,)}


def test_a_partner_no_configured_type_applies_to_is_not_swept():
    assert sweeps(partners(), (ReportConfig(LISTINGS),)) == {SELLER: (LISTINGS,)}


def test_a_vendor_report_whose_notification_never_came_is_ingested_under_its_account_id():
    world = World()
    lost = world.report("7", seller=VENDOR, report_type=VENDOR_SALES)
    world.report("8", seller=SELLER)

    result = world.reconciler().run_each({VENDOR: [VENDOR_SALES], SELLER: [LISTINGS]}, hours=24)

    assert world.reports.calls == [(VENDOR, (VENDOR_SALES,)), (SELLER, (LISTINGS,))]
    assert (result.checked, result.started) == (2, 2)
    started = {s.report_id: s for s in world.workflow.started}
    assert (started["7"].owner, started["7"].document_id) == (VENDOR, lost.document_id)
    assert f"seller_id={VENDOR}/" in manifest_key(lost)


def test_a_vendor_report_its_notification_started_is_not_started_again():
    world = World()
    world.report("7", seller=VENDOR, report_type=VENDOR_SALES)
    # The notification (accountId, no sellerId) started the ingest first.
    world.workflow.start_ingest(
        FinishedReport("7", VENDOR_SALES, ReportStatus.DONE, account_id=VENDOR)
    )

    result = world.reconciler().run_each({VENDOR: [VENDOR_SALES]}, hours=24)

    assert (result.started, result.already_started) == (0, 1)
    assert len(world.workflow.started) == 1


def test_a_vendor_that_cannot_be_read_does_not_stop_the_sellers():
    world = World()
    world.reports.refused.add(VENDOR)
    world.report("9")

    result = world.reconciler().run_each({VENDOR: [VENDOR_SALES], SELLER: [LISTINGS]}, hours=24)

    assert [partner for partner, _ in result.failures] == [VENDOR]
    assert [s.report_id for s in world.workflow.started] == ["9"]
