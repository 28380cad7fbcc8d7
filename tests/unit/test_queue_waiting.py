"""Waiting on a notification queue: reports are yielded as their messages arrive."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from domain.errors import ReportTimeoutError, ThrottledError
from domain.ingesting import LocalIngest
from domain.model import Report, ReportRequest, ReportStatus
from domain.queue_waiting import QueuePolicy, QueueWaiter
from domain.requesting import ReportRequester
from tests.fakes import FakeClock, FakeMessageQueue, FakeReportsApi

SELLER = "A3TH9S8BH6GOGM"
MARKETS = ("ATVPDKIKX0DER",)


def _notification(report_id: str, status: str = "DONE", seller: str = SELLER) -> dict[str, Any]:
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": "2026-11-27T12:00:01.000Z",
        "payload": {
            "reportProcessingFinishedNotification": {
                "sellerId": seller,
                "accountId": f"amzn1.merchant.o.{seller}",
                "reportId": report_id,
                "reportType": "GET_X",
                "processingStatus": status,
            }
        },
        "notificationMetadata": {"notificationId": f"n-{report_id}-{status}"},
    }


class World:
    """Reports that finish only when the test says so, and the queue their messages go to."""

    def __init__(self, **policy: Any) -> None:
        self.clock = FakeClock()
        self.api = FakeReportsApi(clock=self.clock, polls_until_done=10**9)
        self.queue = FakeMessageQueue(clock=self.clock)
        self.polled: list[Report] = []
        self.waiter = QueueWaiter(self.queue, self.api, self.clock, QueuePolicy(**policy))
        self.throttled_calls: set[int] = set()
        self._finish_on: dict[int, list[tuple[str, ReportStatus, bool]]] = {}
        self._get_report = self.api.get_report
        self.api.get_report = self._maybe_throttled
        self._receive = self.queue.receive
        self.queue.receive = self._receive_and_finish

    def request(self) -> str:
        return self.api.create_report(ReportRequest(SELLER, "GET_X", MARKETS))

    def finish(self, report_id: str, status: ReportStatus = ReportStatus.DONE) -> str:
        """Amazon finishes the report and sends its notification."""
        self.finish_silently(report_id, status)
        return self.queue.send(_notification(report_id, status.value))

    def finish_silently(self, report_id: str, status: ReportStatus = ReportStatus.DONE) -> None:
        key = (SELLER, report_id)
        self.api.add(replace(self.api.reports[key], status=status))

    def finish_during_receive(
        self,
        number: int,
        report_id: str,
        status: ReportStatus = ReportStatus.DONE,
        *,
        notify: bool = True,
    ) -> None:
        """The report finishes (and is notified) while the waiter's n-th receive is waiting."""
        self._finish_on.setdefault(number, []).append((report_id, status, notify))

    def wait(self, *report_ids: str) -> list[Report]:
        ids = [(SELLER, r) for r in report_ids]
        return list(self.waiter.wait_all(ids, on_poll=self.polled.append))

    def _receive_and_finish(self, wait_seconds: int = 20, max_messages: int = 10):
        for report_id, status, notify in self._finish_on.pop(self.queue.receives + 1, []):
            if notify:
                self.finish(report_id, status)
            else:
                self.finish_silently(report_id, status)
        return self._receive(wait_seconds, max_messages)

    def _maybe_throttled(self, seller_id: str, report_id: str) -> Report:
        if self.api.get_report_calls + 1 in self.throttled_calls:
            self.api.get_report_calls += 1
            raise ThrottledError("getReport", "quota", status=429)
        return self._get_report(seller_id, report_id)


def test_reports_are_yielded_as_their_notifications_arrive():
    world = World()
    first, second = world.request(), world.request()
    world.finish_during_receive(1, second, ReportStatus.CANCELLED)
    world.finish_during_receive(2, first)

    done = world.wait(first, second)

    assert {(r.report_id, r.status) for r in done} == {
        (first, ReportStatus.DONE),
        (second, ReportStatus.CANCELLED),
    }
    assert world.queue.messages == {}, "the run's own messages are deleted"


def test_a_report_notified_while_waiting_costs_one_get_report_more():
    # given a report still in progress when the wait starts, notified during the 3rd long poll
    world = World()
    report_id = world.request()
    world.finish_during_receive(3, report_id)

    # when waiting on the queue
    [report] = world.wait(report_id)

    # then one check up front, one getReport once notified, and nothing in between
    assert report.status is ReportStatus.DONE
    assert [r.status for r in world.polled] == [ReportStatus.IN_PROGRESS, ReportStatus.DONE]
    assert world.clock.slept == [20, 20]
    assert world.queue.messages == {}


def test_a_reused_report_that_finished_long_ago_needs_no_notification():
    world = World()
    report_id = world.request()
    world.finish_silently(report_id)

    [report] = world.wait(report_id)

    assert report.report_id == report_id
    assert world.queue.receives == 0


def test_messages_for_other_reports_are_left_in_the_queue():
    # given notifications for reports this run did not request, and one for ours
    world = World()
    mine = world.request()
    foreign = world.queue.send(_notification("99999999999"))
    other_seller = world.queue.send(_notification("88888888888", seller="A2OTHERSELLER"))
    world.finish_during_receive(1, mine)

    # when waiting
    [report] = world.wait(mine)

    # then only our message is consumed
    assert report.report_id == mine
    assert set(world.queue.messages) == {foreign, other_seller}
    assert len(world.queue.deleted) == 1


def test_data_kiosk_messages_on_a_shared_queue_are_left_for_the_cloud_without_a_warning(caplog):
    world = World()
    mine = world.request()
    query = world.queue.send(
        {
            "notificationType": "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
            "payload": {
                "accountId": f"amzn1.merchant.o.{SELLER}",
                "queryId": "12345",
                "processingStatus": "DONE",
            },
        }
    )
    world.finish_during_receive(1, mine)

    with caplog.at_level(logging.WARNING, logger="domain.queue_waiting"):
        world.wait(mine)

    assert set(world.queue.messages) == {query}
    assert caplog.records == []


def test_a_duplicate_notification_of_a_yielded_report_is_deleted():
    world = World()
    first, second = world.request(), world.request()
    world.finish_during_receive(1, first)
    world.finish_during_receive(2, first)  # at-least-once delivery: sent twice
    world.finish_during_receive(3, second)

    world.wait(first, second)

    assert world.queue.messages == {}
    assert len(world.queue.deleted) == 3


def test_malformed_messages_are_skipped_with_one_log_line_each(caplog):
    # given two unusable messages, seen again after each visibility timeout
    world = World()
    world.queue.visibility = 5
    report_id = world.request()
    not_json = world.queue.send("not json")
    world.queue.send({"notificationType": "ORDER_CHANGE", "payload": {}})
    world.finish_during_receive(6, report_id)

    # when waiting
    with caplog.at_level(logging.WARNING, logger="domain.queue_waiting"):
        [report] = world.wait(report_id)

    # then they stay for the redrive policy, and each was logged once
    assert report.status is ReportStatus.DONE
    assert not_json in world.queue.messages
    assert len(world.queue.messages) == 2
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings
    assert any(not_json in w and "not JSON" in w for w in warnings)
    assert any("ORDER_CHANGE" in w for w in warnings)


def test_a_throttled_get_report_leaves_the_message_for_a_later_receive():
    # given a report notified during the first long poll, whose getReport is then throttled
    world = World()
    report_id = world.request()
    world.finish_during_receive(1, report_id)
    world.throttled_calls = {2}

    # when waiting
    [report] = world.wait(report_id)

    # then the message came back after its visibility timeout and was handled then
    assert report.status is ReportStatus.DONE
    assert world.queue.messages == {}
    assert world.clock.now() - FakeClock().now() >= timedelta(seconds=30)


def test_a_report_whose_notification_is_lost_is_found_by_the_recheck():
    world = World(recheck=timedelta(minutes=5))
    report_id = world.request()
    world.finish_during_receive(1, report_id, notify=False)

    [report] = world.wait(report_id)

    assert report.status is ReportStatus.DONE
    waited = world.clock.now() - FakeClock().now()
    assert timedelta(minutes=5) <= waited < timedelta(minutes=5, seconds=21)


def test_a_report_that_never_finishes_times_out_with_advice():
    world = World(timeout=timedelta(minutes=30))
    report_id = world.request()

    with pytest.raises(ReportTimeoutError, match=f"{report_id} did not finish.*run again"):
        world.wait(report_id)

    assert world.clock.now() - FakeClock().now() <= timedelta(minutes=31)
    assert max(world.clock.slept) <= 20, "long polls stay within SQS's 20 s"


def test_a_queue_of_only_foreign_messages_is_not_hammered():
    # given a zero visibility timeout, so a foreign message is received again at once
    world = World(timeout=timedelta(minutes=1), idle_pause=1.0)
    world.queue.visibility = 0
    report_id = world.request()
    world.queue.send(_notification("99999999999"))

    with pytest.raises(ReportTimeoutError):
        world.wait(report_id)

    assert 50 <= world.queue.receives <= 61


def test_local_ingest_takes_a_queue_waiter_in_place_of_polling():
    world = World()
    stored: list[str] = []

    class Storer:
        def store(self, report: Report) -> Any:
            stored.append(report.report_id)
            raise ThrottledError("getReportDocument", "quota", status=429)

    ingest = LocalIngest(ReportRequester(world.api, world.clock), world.waiter, Storer())
    world.finish_during_receive(1, "50000000001")

    [result] = ingest.run([ReportRequest(SELLER, "GET_X", MARKETS)])

    assert stored == [result.report_id] == ["50000000001"]
