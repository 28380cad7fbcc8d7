"""The Workflow port on Step Functions: one `ingest-report` execution per seller and report."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code
from domain.model import FinishedReport

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

MAX_NAME = 80
_PLAIN = re.compile(r"[A-Za-z0-9]+")
# The characters CloudWatch logging accepts in execution names (a subset of what SFN allows).
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_DIGEST_CHARS = 16


def execution_name(owner: str, report_id: str) -> str:
    """A deterministic, valid execution name for (owner, reportId), distinct per pair.

    Alphanumeric ids (every real seller and report id) give `<owner>-<reportId>`, readable in
    the console. Anything else, or a name over 80 characters, is cleaned, shortened and suffixed
    with a digest of the exact pair, so that two pairs never share a name.
    """
    readable = f"{owner}-{report_id}"
    if _PLAIN.fullmatch(owner) and _PLAIN.fullmatch(report_id) and len(readable) <= MAX_NAME:
        return readable
    digest = hashlib.sha256(f"{owner}\0{report_id}".encode()).hexdigest()[:_DIGEST_CHARS]
    cleaned = _UNSAFE.sub("_", readable)[: MAX_NAME - _DIGEST_CHARS - 1]
    return f"{cleaned}-{digest}"


class StepFunctionsWorkflow:
    """Starts `ingest-report` executions. Raises ConfigError (machine missing, access denied)
    or AwsServiceError (retry)."""

    def __init__(
        self,
        client: SFNClient,
        state_machine_arn: str,
        start_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._sfn = client
        self._arn = state_machine_arn
        self._start_id = start_id

    def start_ingest(self, finished: FinishedReport) -> bool:
        """True when this call started the ingest; False when one exists for the report."""
        name = execution_name(finished.owner, finished.report_id)
        document = {
            "sellerId": finished.owner,
            "reportId": finished.report_id,
            "reportType": finished.report_type,
            "processingStatus": finished.status.value,
            "reportDocumentId": finished.document_id,
            # Step Functions treats a start with the same name AND input as a running execution
            # as the same call and succeeds silently. A per-call id makes every duplicate differ,
            # so AWS reports it as ExecutionAlreadyExists; the SDK's own retries resend the same
            # body and still count as this one start.
            "startId": self._start_id(),
        }
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(document)
            )
        except ClientError as error:
            if error_code(error) == "ExecutionAlreadyExists":
                return False
            raise aws_error(error, f"Step Functions StartExecution {name}") from error
        except BotoCoreError as error:
            raise aws_error(error, f"Step Functions StartExecution {name}") from error
        return True

    def __repr__(self) -> str:
        return f"StepFunctionsWorkflow({self._arn!r})"
