"""Restarts: a report whose ingest failed gets a new attempt, from a notification or a sweep."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from domain.dispatching import Disposition, NotificationDispatcher
from domain.lake import manifest_key
from domain.model import Outcome, Report, ReportStatus, StoredReport
from domain.reconciling import Reconciler
from tests.fakes import FakeClock, FakeLake, FakeReportsApi, FakeWorkflow

SELLER = "A3TH9S8BH6GOGM"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


def _notification(report_id: str) -> str:
    return json.dumps(
        {
            "notificationType": "REPORT_PROCESSING_FINISHED",
            "eventTime": "2026-11-27T11:00:00Z",
            "payload": {
                "reportProcessingFinishedNotification": {
                    "sellerId": SELLER,
                    "reportId": report_id,
                    "reportType": LISTINGS,
                    "processingStatus": "DONE",
                    "reportDocumentId": f"amzn1.spdoc.1.4.na.{report_id}",
                }
            },
        }
    )


@dataclass
class ListRecorder:
    stored: list[Report] = field(default_factory=list)

    def store(self, report: Report) -> StoredReport:
        self.stored.append(report)
        return StoredReport(report, Outcome.FAILED_WITHOUT_DOCUMENT, manifest_key(report))


def _dispatcher(workflow: FakeWorkflow) -> NotificationDispatcher:
    return NotificationDispatcher(workflow, ListRecorder(), lambda _o, _t: True, FakeClock())


def test_a_notification_for_a_report_whose_ingest_failed_restarts_it() -> None:
    # given the last ingest of report 1 failed
    workflow = FakeWorkflow(failed_executions={(SELLER, "50000000001")})

    # when its notification is delivered again
    [dispatched] = _dispatcher(workflow).dispatch([("m-1", _notification("50000000001"))])

    # then a new attempt was started, and it says so
    assert dispatched.disposition is Disposition.RESTARTED
    assert [f.report_id for f in workflow.started] == ["50000000001"]
    assert dispatched.error is None


def test_a_notification_for_a_report_with_a_live_ingest_is_already_started() -> None:
    # given an ingest of report 1 is running or succeeded
    workflow = FakeWorkflow()
    _dispatcher(workflow).dispatch([("m-1", _notification("50000000001"))])

    # when SQS delivers the notification again
    [dispatched] = _dispatcher(workflow).dispatch([("m-2", _notification("50000000001"))])

    # then nothing new is started
    assert dispatched.disposition is Disposition.ALREADY_STARTED
    assert len(workflow.started) == 1


def test_a_batch_tells_first_starts_restarts_and_redeliveries_apart() -> None:
    workflow = FakeWorkflow(failed_executions={(SELLER, "50000000002")})
    _dispatcher(workflow).dispatch([("m-0", _notification("50000000003"))])

    dispatched = _dispatcher(workflow).dispatch(
        [
            ("m-1", _notification("50000000001")),
            ("m-2", _notification("50000000002")),
            ("m-3", _notification("50000000003")),
            ("m-4", _notification("50000000002")),
        ]
    )

    assert [d.disposition for d in dispatched] == [
        Disposition.STARTED,
        Disposition.RESTARTED,
        Disposition.ALREADY_STARTED,
        Disposition.DUPLICATE,
    ]
    assert workflow.calls == 4  # the duplicate in the batch never reached the workflow


def test_a_sweep_counts_restarted_reports_among_the_started() -> None:
    # given three DONE reports missing from the lake, the ingest of one of which failed,
    # and a fourth already in the lake
    clock = FakeClock()
    reports, lake = FakeReportsApi(clock=clock), FakeLake()
    for n in range(1, 5):
        reports.add(
            Report(
                seller_id=SELLER,
                report_id=f"5000000000{n}",
                report_type=LISTINGS,
                status=ReportStatus.DONE,
                created_time=clock.now() - timedelta(hours=1),
                document_id=f"amzn1.spdoc.1.4.na.{n}",
            )
        )
    lake.put_manifest(manifest_key(reports.reports[(SELLER, "50000000004")]), {})
    workflow = FakeWorkflow(failed_executions={(SELLER, "50000000002")})

    # when the reconciler sweeps the last day
    result = Reconciler(reports, lake, workflow, clock).run([SELLER], [LISTINGS], hours=24)

    # then the restart is one of the started ingests, and counted on its own too
    assert (result.checked, result.in_lake) == (4, 1)
    assert (result.started, result.restarted, result.already_started) == (3, 1, 0)


def test_a_second_sweep_restarts_nothing_and_counts_nothing_restarted() -> None:
    clock = FakeClock()
    reports, lake = FakeReportsApi(clock=clock), FakeLake()
    reports.add(
        Report(
            seller_id=SELLER,
            report_id="50000000001",
            report_type=LISTINGS,
            status=ReportStatus.DONE,
            created_time=clock.now() - timedelta(hours=1),
            document_id="amzn1.spdoc.1.4.na.1",
        )
    )
    workflow = FakeWorkflow(failed_executions={(SELLER, "50000000001")})
    reconciler = Reconciler(reports, lake, workflow, clock)
    reconciler.run([SELLER], [LISTINGS], hours=24)

    again = reconciler.run([SELLER], [LISTINGS], hours=24)

    assert (again.started, again.restarted, again.already_started) == (0, 0, 1)
