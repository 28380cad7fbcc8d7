"""Report schedules: stored and listed, never run (the pipeline schedules with EventBridge)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from sandbox.reports import check_marketplaces
from sandbox.wsgi import Call, Response, json_response, not_found


class SchedulesApi:
    def __init__(self) -> None:
        self._schedules: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def handlers(self) -> dict[str, Callable[[Call], Response]]:
        return {
            "getReportSchedules": self.get_report_schedules,
            "createReportSchedule": self.create_report_schedule,
            "getReportSchedule": self.get_report_schedule,
            "cancelReportSchedule": self.cancel_report_schedule,
        }

    def get_report_schedules(self, call: Call) -> Response:
        types = set(call.params["reportTypes"])
        with self._lock:
            found = [
                s
                for (seller, _), s in self._schedules.items()
                if seller == call.seller and s["reportType"] in types
            ]
        return json_response(200, {"reportSchedules": found})

    def create_report_schedule(self, call: Call) -> Response:
        body = call.body
        # Amazon keeps one schedule per report type and marketplaces: a new one replaces it.
        marketplaces = list(check_marketplaces(body["marketplaceIds"]))
        schedule = {
            "reportScheduleId": str(uuid.uuid4().int)[:11],
            "reportType": body["reportType"],
            "marketplaceIds": marketplaces,
            "period": body["period"],
        }
        if body.get("reportOptions"):
            schedule["reportOptions"] = body["reportOptions"]
        if body.get("nextReportCreationTime"):
            schedule["nextReportCreationTime"] = body["nextReportCreationTime"]
        with self._lock:
            for key, existing in list(self._schedules.items()):
                same = (existing["reportType"], existing["marketplaceIds"]) == (
                    schedule["reportType"],
                    marketplaces,
                )
                if key[0] == call.seller and same:
                    del self._schedules[key]
            self._schedules[(call.seller, schedule["reportScheduleId"])] = schedule
        return json_response(201, {"reportScheduleId": schedule["reportScheduleId"]})

    def _schedule(self, call: Call) -> dict[str, Any]:
        schedule_id = call.params["reportScheduleId"]
        with self._lock:
            found = self._schedules.get((call.seller, schedule_id))
        if found is None:
            raise not_found(f"Report schedule {schedule_id} not found")
        return found

    def get_report_schedule(self, call: Call) -> Response:
        return json_response(200, self._schedule(call))

    def cancel_report_schedule(self, call: Call) -> Response:
        self._schedule(call)
        with self._lock:
            self._schedules.pop((call.seller, call.params["reportScheduleId"]), None)
        return json_response(200, None)
