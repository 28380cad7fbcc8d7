"""Check requests and responses against Amazon's models; usable standalone in contract tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator, FormatChecker
from jsonschema.exceptions import best_match

from sandbox.swagger import NOTIFICATION_SCHEMA, Operation, find_operation, load, operation

__all__ = [
    "ContractViolation",
    "find_operation",
    "validate_notification",
    "validate_request",
    "validate_response",
]


class ContractViolation(ValueError):
    """A request or response does not fit Amazon's model; the message names the problem."""

    def __init__(self, operation_id: str, problem: str) -> None:
        self.operation_id = operation_id
        self.problem = problem
        super().__init__(f"{operation_id}: {problem}")


FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # Amazon accepts any ISO 8601 date-time ("Z" or an offset), which fromisoformat parses.
    return not isinstance(value, str) or bool(datetime.fromisoformat(value))


@cache
def _validator(operation_id: str, kind: str, key: str) -> Draft4Validator:
    op = operation(operation_id)
    if kind == "response":
        schema = op.responses[key]["schema"]
    elif kind == "body":
        schema = (op.body_parameter or {})["schema"]
    else:
        schema = next(p for p in op.parameters if p["name"] == key)
        schema = {k: v for k, v in schema.items() if k not in ("name", "in", "required")}
    return Draft4Validator({**schema, "definitions": op.definitions}, format_checker=FORMATS)


def _problem(validator: Draft4Validator | Draft7Validator, instance: Any, where: str) -> str | None:
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
    return f"{where}{path}: {message}"


def _coerce(param: dict[str, Any], raw: str) -> Any:
    kind = param.get("type")
    name = param["name"]
    if kind == "array":
        item = param.get("items", {})
        separator = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(param.get("collectionFormat", ""))
        return [_coerce({**item, "name": name}, v) for v in raw.split(separator or ",")]
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name}: {raw!r} is not an integer") from None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{name}: {raw!r} is not a number") from None
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError(f"{name}: {raw!r} is not a boolean (true or false)")
        return raw == "true"
    return raw


def _query_values(query: Mapping[str, Sequence[str] | str]) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in query.items()}


def _check_parameters(
    op: Operation, path_params: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    known = {p["name"] for p in op.parameters_in("query")}
    unknown = sorted(set(query) - known)
    if unknown:
        raise ContractViolation(
            op.operation_id, f"unknown query parameter(s): {', '.join(unknown)}"
        )
    values: dict[str, Any] = {}
    for param in op.parameters_in("path") + op.parameters_in("query"):
        name = param["name"]
        raws = [path_params[name]] if name in path_params else query.get(name, [])
        if not raws:
            if param.get("required"):
                raise ContractViolation(op.operation_id, f"{name}: required parameter missing")
            continue
        if len(raws) > 1 and param.get("collectionFormat") != "multi":
            raise ContractViolation(
                op.operation_id, f"{name}: given {len(raws)} times; send one comma-separated value"
            )
        try:
            if param.get("collectionFormat") == "multi":
                value: Any = [_coerce(param["items"] | {"name": name}, r) for r in raws]
            else:
                value = _coerce(param, raws[0])
        except ValueError as error:
            raise ContractViolation(op.operation_id, str(error)) from None
        problem = _problem(_validator(op.operation_id, "param", name), value, name)
        if problem:
            raise ContractViolation(op.operation_id, problem)
        values[name] = value
    return values


def _documented_rules(op: Operation, values: dict[str, Any]) -> None:
    # Rules the model states only in prose, which Amazon enforces all the same.
    if op.operation_id == "getReports":
        if "nextToken" in values and len(values) > 1:
            raise ContractViolation(op.operation_id, "nextToken must be the only parameter")
        if "nextToken" not in values and "reportTypes" not in values:
            raise ContractViolation(op.operation_id, "either reportTypes or nextToken is required")


def _parse(operation_id: str, body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8")
    if isinstance(body, str):
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise ContractViolation(operation_id, "body: not valid JSON") from None
    return body


def validate_request(
    operation_id: str,
    method: str,
    path: str,
    query: Mapping[str, Sequence[str] | str],
    body: Any = None,
) -> dict[str, Any]:
    """Raise ContractViolation unless the request fits the model; return the typed parameters.

    `path` is the concrete path (`/reports/2021-06-30/reports/123`); `query` maps each name to
    its raw values as sent; `body` is parsed JSON, or bytes/str of JSON, or None.
    """
    op = operation(operation_id)
    found = find_operation(method, path)
    if found is None or found[0].operation_id != operation_id:
        raise ContractViolation(operation_id, f"{method} {path} is not {op.method} {op.template}")
    values = _check_parameters(op, found[1], _query_values(query))
    _documented_rules(op, values)
    body_param = op.body_parameter
    body = _parse(operation_id, body)
    if body_param is None:
        if body is not None:
            raise ContractViolation(operation_id, "body: this operation takes no body")
    elif body is None:
        if body_param.get("required"):
            raise ContractViolation(operation_id, "body: required but missing")
    else:
        problem = _problem(_validator(operation_id, "body", ""), body, "body")
        if problem:
            raise ContractViolation(operation_id, problem)
    return values


def validate_response(operation_id: str, status: int, body: Any) -> None:
    """Raise ContractViolation unless `status` is documented and `body` fits its schema."""
    op = operation(operation_id)
    key = str(status) if str(status) in op.responses else "default"
    if key not in op.responses:
        raise ContractViolation(operation_id, f"status {status} is not a documented response")
    body = _parse(operation_id, body)
    if "schema" not in op.responses[key]:
        if body is not None:
            raise ContractViolation(operation_id, f"status {status} documents no body")
        return
    problem = _problem(_validator(operation_id, "response", key), body, f"response {status}")
    if problem:
        raise ContractViolation(operation_id, problem)


@cache
def _notification_validator() -> Draft7Validator:
    return Draft7Validator(load(NOTIFICATION_SCHEMA), format_checker=FORMATS)


def validate_notification(message: Any) -> None:
    """Raise ContractViolation unless a REPORT_PROCESSING_FINISHED SQS body fits its schema."""
    problem = _problem(_notification_validator(), _parse("notification", message), "message")
    if problem:
        raise ContractViolation("REPORT_PROCESSING_FINISHED", problem)
