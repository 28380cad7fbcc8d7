"""Amazon's published models, loaded once: operations, their parameters, and path routing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODELS = Path(__file__).parent / "models"
REPORTS_MODEL = "reports_2021-06-30.json"
NOTIFICATIONS_MODEL = "notifications.json"
NOTIFICATION_SCHEMA = "ReportProcessingFinishedNotification.json"
DATAKIOSK_MODEL = "dataKiosk_2023-11-15.json"

_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One operation of a Swagger 2.0 model, with what validation needs from it."""

    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, dict[str, Any]]
    definitions: dict[str, Any]

    @property
    def body_parameter(self) -> dict[str, Any] | None:
        return next((p for p in self.parameters if p.get("in") == "body"), None)

    def parameters_in(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p.get("in") == location]


@cache
def load(name: str) -> dict[str, Any]:
    """A model file from sandbox/models, parsed."""
    document: dict[str, Any] = json.loads((MODELS / name).read_text(encoding="utf-8"))
    return document


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")


def _operations_of(model: dict[str, Any]) -> list[Operation]:
    found = []
    for template, item in model["paths"].items():
        shared = item.get("parameters", [])
        for method in _METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            own = spec.get("parameters", [])
            names = {(p["name"], p["in"]) for p in own}
            inherited = [p for p in shared if (p["name"], p["in"]) not in names]
            found.append(
                Operation(
                    operation_id=spec["operationId"],
                    method=method.upper(),
                    template=template,
                    pattern=_pattern(template),
                    parameters=tuple(inherited + own),
                    responses=spec["responses"],
                    definitions=model.get("definitions", {}),
                )
            )
    return found


@cache
def operations() -> dict[str, Operation]:
    """Every operation of the Reports, Notifications and Data Kiosk models, by operationId."""
    ops: dict[str, Operation] = {}
    for name in (REPORTS_MODEL, NOTIFICATIONS_MODEL, DATAKIOSK_MODEL):
        for op in _operations_of(load(name)):
            ops[op.operation_id] = op
    return ops


def operation(operation_id: str) -> Operation:
    try:
        return operations()[operation_id]
    except KeyError:
        raise KeyError(f"no operation {operation_id!r} in the models") from None


def find_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation serving `method path`, with its path parameters; None when none does.

    Literal segments win over parameters, as in
    `/subscriptions/{notificationType}/testNotification` versus `/{subscriptionId}`.
    """
    candidates = []
    for op in operations().values():
        if op.method != method.upper():
            continue
        match = op.pattern.match(path)
        if match:
            candidates.append((op.template.count("{"), op, match.groupdict()))
    if not candidates:
        return None
    _, op, params = min(candidates, key=lambda c: c[0])
    return op, params
