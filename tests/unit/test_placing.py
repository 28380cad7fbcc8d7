"""ReportPlacer: one reuse check per group, then createReport as tokens allow, across waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidGrantError, InvalidRequestError, SpApiServerError
from domain.model import Report, ReportRequest, ReportStatus
from domain.pacing import Pace, Pacer
from domain.placing import Placement, ReportPlacer, groups
from domain.requesting import ReportRequester
from tests.fakes import FakeClock, FakeRateLimits, FakeReportsApi

SELLER, OTHER = "A3TH9S8BH6GOGM", "A2OTHERSELLER1"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
DAY = timedelta(hours=24)


def _request(day: int, seller: str = SELLER, marketplace: str = US) -> ReportRequest:
    start = datetime(2026, 11, day, tzinfo=UTC)
    return ReportRequest(seller, ORDERS, (marketplace,), start, start + timedelta(days=1))


@dataclass
class RejectingReportsApi(FakeReportsApi):
    """Answers createReport for `rejected` marketplaces with a 400, and raises `refusal` (an
    LWA error) for every createReport when set."""

    rejected: set[str] = field(default_factory=set)
    refusal: Exception | None = None

    def create_report(self, request: ReportRequest) -> str:
        if self.refusal is not None:
            raise self.refusal
        if set(request.marketplace_ids) & self.rejected:
            raise InvalidRequestError(
                "createReport", "marketplace not allowed", status=400, request_id="r-400"
            )
        return super().create_report(request)


@dataclass
class World:
    free: dict[str, int] = field(default_factory=dict)
    deadline: timedelta = DAY
    clock: FakeClock = field(default_factory=FakeClock)
    limits: FakeRateLimits = field(init=False)
    api: RejectingReportsApi = field(init=False)
    placer: ReportPlacer = field(init=False)

    def __post_init__(self) -> None:
        self.limits = FakeRateLimits(self.clock, free=self.free)
        self.api = RejectingReportsApi(clock=self.clock, limits=self.limits)
        pacer = Pacer(self.limits, self.clock, self.deadline)
        self.placer = ReportPlacer(ReportRequester(self.api, self.clock), pacer)

    def place_all(self, placement: Placement) -> tuple[Placement, list[Pace]]:
        """Run attempts as the workflow does, waiting each pace out, until the group is done."""
        paces: list[Pace] = []
        pace: Pace | None = None
        for _ in range(20):
            placement, pace = self.placer.place(placement, pace)
            paces.append(pace)
            if not pace.waiting:
                return placement, paces
            self.clock.sleep(pace.wait_seconds)
        raise AssertionError("the group was still waiting after 20 attempts")

    def existing(self, request: ReportRequest, report_id: str) -> Report:
        return self.api.add(
            Report(
                seller_id=request.seller_id,
                report_id=report_id,
                report_type=request.report_type,
                status=ReportStatus.IN_PROGRESS,
                created_time=self.clock.now() - timedelta(minutes=5),
                marketplace_ids=request.marketplace_ids,
                data_start=request.data_start,
                data_end=request.data_end,
            )
        )


def test_groups_are_one_placement_per_seller_and_report_type_in_plan_order() -> None:
    # given a plan that interleaves two sellers and two report types
    listings = ReportRequest(SELLER, LISTINGS, (US,))
    plan = [_request(1), _request(1, seller=OTHER), listings, _request(2), _request(3, OTHER)]

    # when it is grouped
    placements = groups(plan)

    # then each group keeps its requests in plan order, the groups in order of first appearance
    assert [p.pending for p in placements] == [
        (_request(1), _request(2)),
        (_request(1, seller=OTHER), _request(3, OTHER)),
        (listings,),
    ]
    assert all((p.placed, p.failed, p.checked) == ((), (), False) for p in placements)


def test_an_empty_plan_has_no_groups() -> None:
    assert groups([]) == []


def test_a_group_without_rate_limits_is_placed_in_one_attempt() -> None:
    world = World()
    requests = (_request(1), _request(2))

    placement, paces = world.place_all(Placement(pending=requests))

    assert [p.request for p in placement.placed] == list(requests)
    assert placement.complete
    assert world.api.created == list(requests)
    assert [p.waiting for p in paces] == [False]


def test_reports_already_in_flight_are_reused_at_once_and_never_created() -> None:
    # given reports in flight for two of three requests, and one createReport token per minute
    world = World(free={"createReport": 0})
    first, second, third = _request(1), _request(2), _request(3)
    world.existing(first, "40000000001")
    world.existing(third, "40000000003")

    # when the first attempt runs
    placement, pace = world.placer.place(Placement(pending=(first, second, third)), None)

    # then both are settled although createReport had to wait for the third
    assert [(p.request, p.report_id, p.reused) for p in placement.placed] == [
        (first, "40000000001", True),
        (third, "40000000003", True),
    ]
    assert placement.pending == (second,)
    assert placement.checked
    assert pace.waiting
    assert world.api.created == []


def test_the_reuse_check_runs_once_across_attempts() -> None:
    # given a group of three whose creates need two waits
    world = World(free={"createReport": 1})

    # when it is placed to the end
    placement, paces = world.place_all(Placement(pending=(_request(1), _request(2), _request(3))))

    # then getReports was asked once, on the first attempt only
    assert len(paces) == 3
    assert world.api.get_reports_calls == 1
    assert len(placement.placed) == 3


def test_a_group_larger_than_the_burst_is_placed_over_several_attempts_each_once() -> None:
    # given five requests and a createReport burst of two
    world = World(free={"createReport": 2})
    requests = tuple(_request(day) for day in range(1, 6))

    # when the workflow runs the group to the end
    placement, paces = world.place_all(Placement(pending=requests))

    # then every attempt after a wait spent exactly the token it waited for
    tickets = [p.ticket for p in paces if p.ticket is not None]
    assert len(paces) == 4
    assert [p.waiting for p in paces] == [True, True, True, False]
    assert world.limits.honoured == tickets
    assert [t.operation for t in tickets] == ["createReport"] * 3
    # and nothing was created twice, and every request has its own report
    assert world.api.created == list(requests)
    assert [p.request for p in placement.placed] == list(requests)
    assert len({p.report_id for p in placement.placed}) == 5
    assert not any(p.reused for p in placement.placed)
    assert placement.failed == ()


def test_each_attempt_places_what_its_tokens_allow_and_carries_the_rest() -> None:
    world = World(free={"createReport": 2})
    requests = tuple(_request(day) for day in range(1, 6))

    placement, pace = world.placer.place(Placement(pending=requests), None)

    assert [p.request for p in placement.placed] == list(requests[:2])
    assert placement.pending == requests[2:]
    assert pace.wait_seconds == 60
    assert pace.waits == 1


def test_the_waits_count_up_and_the_deadline_stays_from_the_first_attempt() -> None:
    world = World(free={"createReport": 1})
    start = world.clock.now()

    _, paces = world.place_all(Placement(pending=(_request(1), _request(2), _request(3))))

    assert {p.deadline for p in paces} == {start + DAY}
    assert [p.waits for p in paces] == [1, 2, 2]
    assert {p.since for p in paces} == {start}


def test_a_rate_limited_reuse_check_waits_and_runs_on_the_next_attempt() -> None:
    # given getReports has no token to spare
    world = World(free={"getReports": 0})
    request = _request(1)
    world.existing(request, "40000000001")

    # when the first attempt runs
    first, pace = world.placer.place(Placement(pending=(request,)), None)

    # then it only waits: no check, no create
    assert (first.pending, first.placed, first.checked) == ((request,), (), False)
    assert pace.ticket is not None
    assert pace.ticket.operation == "getReports"
    assert world.api.get_reports_calls == 0

    # when the next attempt runs after the wait
    world.clock.sleep(pace.wait_seconds)
    second, after = world.placer.place(first, pace)

    # then the check runs on the reserved token and finds the report
    assert world.limits.honoured == [pace.ticket]
    assert world.api.get_reports_calls == 1
    assert [(p.report_id, p.reused) for p in second.placed] == [("40000000001", True)]
    assert second.complete
    assert not after.waiting
    assert world.api.created == []


def test_past_the_deadline_every_pending_request_is_unplaced() -> None:
    # given a group waiting for a token, whose deadline then passes
    world = World(free={"createReport": 1})
    requests = (_request(1), _request(2), _request(3))
    placement, pace = world.placer.place(Placement(pending=requests), None)
    world.clock.sleep(DAY.total_seconds() + 1)

    # when the next attempt runs
    given_up, after = world.placer.place(placement, pace)

    # then nothing more is created and the rest fail with the deadline
    assert world.api.created == [requests[0]]
    assert world.limits.honoured == []
    assert [p.request for p in given_up.placed] == [requests[0]]
    assert [(f.request, f.error) for f in given_up.failed] == [
        (requests[1], "ThrottleDeadlineError"),
        (requests[2], "ThrottleDeadlineError"),
    ]
    assert all("deadline" in f.cause for f in given_up.failed)
    assert given_up.complete
    assert given_up.checked
    assert not after.waiting
    assert after.deadline == pace.deadline


def test_a_token_due_after_the_deadline_unplaces_the_rest_at_once() -> None:
    # given a deadline of 90 s and one createReport token a minute
    world = World(free={"createReport": 1}, deadline=timedelta(seconds=90))
    requests = (_request(1), _request(2), _request(3))

    # when the group is placed to the end
    placement, paces = world.place_all(Placement(pending=requests))

    # then the third request, whose token comes at 120 s, is given up without waiting for it
    assert [p.request for p in placement.placed] == list(requests[:2])
    assert [(f.request, f.error) for f in placement.failed] == [
        (requests[2], "ThrottleDeadlineError")
    ]
    assert "createReport" in placement.failed[0].cause
    assert len(paces) == 2
    assert not paces[-1].waiting


def test_a_rejected_request_is_recorded_and_the_rest_are_placed() -> None:
    # given Amazon rejects the Canadian request with a 400
    world = World()
    world.api.rejected = {CA}
    requests = (_request(1), _request(1, marketplace=CA), _request(2))

    # when the group is placed
    placement, pace = world.placer.place(Placement(pending=requests), None)

    # then the rejection is kept with its cause, and the others have reports
    assert [p.request for p in placement.placed] == [requests[0], requests[2]]
    assert [(f.request, f.error) for f in placement.failed] == [
        (requests[1], "InvalidRequestError")
    ]
    assert "HTTP 400" in placement.failed[0].cause
    assert "r-400" in placement.failed[0].cause
    assert placement.complete
    assert not pace.waiting


def test_a_refused_refresh_token_stops_the_group() -> None:
    # given LWA refuses the seller's refresh token: every request would fail alike
    world = World()
    world.api.refusal = InvalidGrantError(f"LWA rejected the refresh token for seller {SELLER}")

    # when the group is placed, then the error reaches the workflow
    with pytest.raises(InvalidGrantError):
        world.placer.place(Placement(pending=(_request(1), _request(2))), None)


def test_identical_requests_in_one_attempt_share_one_report() -> None:
    world = World()

    placement, _ = world.placer.place(Placement(pending=(_request(1), _request(1))), None)

    assert world.api.created == [_request(1)]
    assert [p.reused for p in placement.placed] == [False, True]
    assert len({p.report_id for p in placement.placed}) == 1


def test_identical_requests_split_by_a_wait_still_share_one_report() -> None:
    # given a group with a twin request that only gets its turn after a wait
    world = World(free={"createReport": 1})
    requests = (_request(1), _request(2), _request(1))

    # when the group is placed to the end
    placement, _ = world.place_all(Placement(pending=requests))

    # then the twin reuses the first report, as ReportRequester.request_all promises
    assert world.api.created == [_request(1), _request(2)]
    assert placement.placed[2].reused
    assert placement.placed[2].report_id == placement.placed[0].report_id


def test_a_fault_after_progress_keeps_what_was_placed_and_pauses() -> None:
    # given a group of three whose second createReport meets a 503
    world = World()
    failing = world.api.create_report

    def flaky(request):
        if len(world.api.created) == 1 and not getattr(flaky, "failed", False):
            flaky.failed = True
            raise SpApiServerError("createReport", "503", status=503)
        return failing(request)

    world.api.create_report = flaky
    requests = (_request(1), _request(2), _request(3))

    # when the group is placed
    first, pace = world.placer.place(Placement(pending=requests), None)

    # then the first report is kept, the workflow is asked to come back, and nothing repeats
    assert len(first.placed) == 1
    assert pace.waiting
    assert pace.ticket is None
    second, done = world.placer.place(first, pace)
    assert len(second.placed) == 3
    assert not done.waiting
    assert world.api.created == list(requests)


def test_a_fault_before_any_progress_is_raised_for_the_workflow_retry() -> None:
    world = World()

    def down(request):
        raise SpApiServerError("createReport", "503", status=503)

    world.api.create_report = down

    with pytest.raises(SpApiServerError):
        world.placer.place(Placement(pending=(_request(1),)), None)
