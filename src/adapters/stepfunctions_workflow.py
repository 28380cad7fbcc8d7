"""The Workflow port on Step Functions: one `ingest-report` (`ingest-query`) execution per
partner and report (query)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code, translated
from domain.datakiosk.notifications import FinishedQuery
from domain.errors import ConfigError
from domain.model import FinishedReport, Start

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

log = logging.getLogger(__name__)

MAX_NAME = 80
_PLAIN = re.compile(r"[A-Za-z0-9]+")
# The characters CloudWatch logging accepts in execution names (a subset of what SFN allows).
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_DIGEST_CHARS = 16


# A closed execution's name can never be used again: a report whose ingest failed gets a new
# attempt under `<name>-a<N>`, so nothing that failed stays lost.
_RESTARTABLE = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


def execution_name(owner: str, report_id: str, attempt: int = 1) -> str:
    """A deterministic, valid execution name for (owner, reportId, attempt), distinct per triple.

    Alphanumeric ids (every real seller and report id) give `<owner>-<reportId>`, readable in
    the console, and `-a<N>` from the second attempt on. Anything else, or a name over 80
    characters, is cleaned, shortened and suffixed with a digest of the exact pair, so that two
    pairs never share a name.
    """
    suffix = f"-a{attempt}" if attempt > 1 else ""
    room = MAX_NAME - len(suffix)
    readable = f"{owner}-{report_id}"
    if _PLAIN.fullmatch(owner) and _PLAIN.fullmatch(report_id) and len(readable) <= room:
        return readable + suffix
    digest = hashlib.sha256(f"{owner}\0{report_id}".encode()).hexdigest()[:_DIGEST_CHARS]
    cleaned = _UNSAFE.sub("_", readable)[: room - _DIGEST_CHARS - 1]
    return f"{cleaned}-{digest}{suffix}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:…:stateMachine:<machine> → arn:…:execution:<machine>:<name>."""
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{name}"


class StepFunctionsWorkflow:
    """Starts `ingest-report` executions on `state_machine_arn` and `ingest-query` ones on
    `query_state_machine_arn`. Raises ConfigError (machine missing or not configured, access
    denied) or AwsServiceError (retry)."""

    def __init__(
        self,
        client: SFNClient,
        state_machine_arn: str,
        start_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        max_attempts: int = 5,
        query_state_machine_arn: str | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._sfn = client
        self._arn = state_machine_arn
        self._query_arn = query_state_machine_arn
        self._start_id = start_id
        self._max_attempts = max_attempts

    def start_ingest(self, finished: FinishedReport) -> Start:
        """STARTED or RESTARTED when this call started an execution; EXISTS when one is running
        or succeeded, or when `max_attempts` executions have failed (the alarm on failed
        executions has fired for each)."""
        document = {
            "sellerId": finished.owner,
            "reportId": finished.report_id,
            "reportType": finished.report_type,
            "processingStatus": finished.status.value,
            "reportDocumentId": finished.document_id,
        }
        return self._begin(
            self._arn, finished.owner, finished.report_id, document, f"report {finished.report_id}"
        )

    def start_query_ingest(self, finished: FinishedQuery) -> Start:
        """As start_ingest, for a finished query. Its input names the query only: ingest-query
        reads its status, documents and nextToken from getQuery, so that no pagination token
        (nor any other secret) ever sits in an execution's history."""
        if not self._query_arn:
            raise ConfigError("no ingest-query state machine is configured for this function")
        document = {"sellerId": finished.owner, "queryId": finished.query_id}
        return self._begin(
            self._query_arn,
            finished.owner,
            finished.query_id,
            document,
            f"query {finished.query_id}",
        )

    def _begin(
        self, machine: str, owner: str, item_id: str, document: dict[str, Any], what: str
    ) -> Start:
        for attempt in range(1, self._max_attempts + 1):
            name = execution_name(owner, item_id, attempt)
            if self._start(machine, name, document):
                return Start.STARTED if attempt == 1 else Start.RESTARTED
            status = self._status(machine, name)
            if status not in _RESTARTABLE:
                return Start.EXISTS
        log.warning("%s: %d ingest attempts failed; not starting another", what, self._max_attempts)
        return Start.EXISTS

    def _status(self, machine: str, name: str) -> str:
        arn = execution_arn(machine, name)
        with translated(f"Step Functions DescribeExecution {name}"):
            return str(self._sfn.describe_execution(executionArn=arn)["status"])

    def _start(self, machine: str, name: str, document: dict[str, Any]) -> bool:
        # Step Functions treats a start with the same name AND input as a running execution as
        # the same call and succeeds silently. A per-call id makes every duplicate differ, so
        # AWS reports it as ExecutionAlreadyExists; the SDK's own retries resend the same body
        # and still count as this one start.
        body = json.dumps({**document, "startId": self._start_id()})
        try:
            self._sfn.start_execution(stateMachineArn=machine, name=name, input=body)
        except ClientError as error:
            if error_code(error) == "ExecutionAlreadyExists":
                return False
            raise aws_error(error, f"Step Functions StartExecution {name}") from error
        except BotoCoreError as error:
            raise aws_error(error, f"Step Functions StartExecution {name}") from error
        return True

    def __repr__(self) -> str:
        return f"StepFunctionsWorkflow({self._arn!r}, query={self._query_arn!r})"
