"""LocalCloud: moto server + simulator + provisioned stack + real handlers, in one process."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from localcloud.dispatch import Dispatcher, routed
from localcloud.stack import REGION, Stack, StackSpec, provision
from sandbox.server import RunningServer, serve
from sandbox.settings import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
)
from sandbox.simulator import Simulator, SimulatorConfig
from sandbox.sqs_delivery import SqsDelivery

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
DEMO_SPEC = StackSpec(
    name="local",
    region="NA",
    app_client_id=DEMO_CLIENT_ID,
    app_client_secret=DEMO_CLIENT_SECRET,
    sellers=({"name": "demo", "sellerId": DEMO_SELLER_ID, "marketplaces": ["ATVPDKIKX0DER"]},),
    refresh_tokens={DEMO_SELLER_ID: DEMO_REFRESH_TOKEN},
    reports=(
        {"type": "GET_MERCHANT_LISTINGS_ALL_DATA"},
        {"type": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "window": "P7D"},
        {"type": "GET_SALES_AND_TRAFFIC_REPORT", "window": "P7D"},
    ),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Execution:
    arn: str
    name: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None


class LocalCloud:
    """Everything `pulumi up` would run, on loopback. Use as a context manager."""

    def __init__(
        self, spec: StackSpec = DEMO_SPEC, simulator: SimulatorConfig | None = None
    ) -> None:
        self.spec = spec
        self._sim_config = simulator or SimulatorConfig(processing_seconds=0.2)
        self._exit = ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self.dispatcher = Dispatcher(prefix=f"spapi-lake-{spec.name}-")

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.close()

    def _setenv(self, **values: str) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _start(self) -> None:
        from moto.server import ThreadedMotoServer

        # One access-log line per AWS call drowns everything else out.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = _free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()
        self._exit.callback(moto.stop)
        self.moto_url = f"http://127.0.0.1:{port}"
        # moto's Step Functions interpreter calls Lambda at localhost:$MOTO_PORT.
        self._setenv(
            MOTO_PORT=str(port),
            AWS_ENDPOINT_URL=self.moto_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
            AWS_SESSION_TOKEN="testing",  # noqa: S106
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
        )
        import boto3
        import httpx

        httpx.post(
            f"{self.moto_url}/moto-api/config",
            json={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
            },
        ).raise_for_status()
        self.session = boto3.session.Session(region_name=REGION)
        delivery = SqsDelivery(lambda region: self.session.client("sqs", region_name=region))
        self.simulator = Simulator(replace(self._sim_config, on_report_finished=delivery))
        delivery.attach(self.simulator)
        self._exit.callback(self.simulator.close)
        self.sim_server: RunningServer = serve(self.simulator)
        self._exit.callback(self.sim_server.stop)
        self.stack: Stack = provision(self.session, self.spec)
        self._setenv(**self.handler_environment())
        self._exit.enter_context(routed(self.dispatcher))
        from wiring import runtime

        # Handlers build their container once per process: rebuild it for this stack.
        self._exit.callback(runtime.reset)
        runtime.reset()

    def close(self) -> None:
        self._exit.close()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def handler_environment(self) -> dict[str, str]:
        """What each function's environment holds: names and ARNs, never a secret."""
        stack = self.stack
        return {
            "SPAPI_LAKE_STACK": self.spec.name,
            "SPAPI_LAKE_REGION": self.spec.region,
            "SPAPI_LAKE_ENDPOINT": self.sim_server.url,
            "SPAPI_LAKE_LWA_ENDPOINT": f"{self.sim_server.url}/auth/o2/token",
            "SPAPI_LAKE_SETTINGS_PATH": stack.settings_path,
            "SPAPI_LAKE_APP_SECRET_ID": stack.app_secret_id,
            "SPAPI_LAKE_SELLER_SECRET_PREFIX": stack.seller_secret_prefix,
            "SPAPI_LAKE_KMS_KEY_ID": stack.key_arn,
            "SPAPI_LAKE_BUCKET": stack.bucket,
            "SPAPI_LAKE_PREFIX": "",
            "SPAPI_LAKE_INGEST_STATE_MACHINE_ARN": stack.ingest_report_arn,
            "SPAPI_LAKE_QUEUE_ARN": stack.queue_arn,
            "SPAPI_LAKE_DESTINATION_NAME": f"{stack.prefix}notifications",
            "SPAPI_LAKE_AUTHENTICATE_FUNCTION": f"{stack.prefix}authenticate",
            "SPAPI_LAKE_RECONCILE_HOURS": "24",
        }

    def cold_start(self) -> None:
        """Every function starts afresh, as after a deploy: caches and tokens are gone."""
        from wiring import runtime

        runtime.reset()

    # -- what the deployed stack does --------------------------------------------------------
    def invoke(self, handler: str, event: Any) -> Any:
        """Invoke a function through the Lambda API, as EventBridge or Pulumi would."""
        response = self.session.client("lambda").invoke(
            FunctionName=f"{self.stack.prefix}{handler}", Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{handler} failed: {payload.get('errorType')}: {payload}")
        return payload

    def start(self, machine: str, execution_input: Any, name: str | None = None) -> str:
        arn = (
            self.stack.request_reports_arn
            if machine == "request-reports"
            else (self.stack.ingest_report_arn)
        )
        return str(
            self.session.client("stepfunctions").start_execution(
                stateMachineArn=arn,
                name=name or uuid.uuid4().hex,
                input=json.dumps(execution_input),
            )["executionArn"]
        )

    def wait(self, execution_arn: str, timeout: float = 60) -> Execution:
        sfn = self.session.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while (described := sfn.describe_execution(executionArn=execution_arn))[
            "status"
        ] not in TERMINAL:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{described['name']} still {described['status']}")
            time.sleep(0.05)
        return _execution(described)

    def pump_notifications(self, wait_seconds: int = 1) -> dict[str, int]:
        """Do what the SQS event source mapping does: one batch → process_notification,
        then delete what it did not report as failed (failures come back, then go to the DLQ)."""
        sqs = self.session.client("sqs")
        received = sqs.receive_message(
            QueueUrl=self.stack.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return {"received": 0, "failed": 0}
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self.stack.queue_arn,
                "awsRegion": REGION,
            }
            for m in received
        ]
        result = self.invoke("process_notification", {"Records": records})
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in received:
            if message["MessageId"] not in failed:
                sqs.delete_message(
                    QueueUrl=self.stack.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return {"received": len(received), "failed": len(failed)}

    def executions(self, machine: str = "ingest-report") -> list[Execution]:
        sfn = self.session.client("stepfunctions")
        arn = (
            self.stack.request_reports_arn
            if machine == "request-reports"
            else (self.stack.ingest_report_arn)
        )
        listed = sfn.list_executions(stateMachineArn=arn, maxResults=1000)["executions"]
        return [_execution(sfn.describe_execution(executionArn=e["executionArn"])) for e in listed]

    def settle(self, timeout: float = 60, quiet_rounds: int = 3) -> list[Execution]:
        """Pump notifications and wait until the queue is empty and no ingest is running."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < quiet_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError("notifications or ingests still in flight")
            pumped = self.pump_notifications(wait_seconds=1)
            running = [e for e in self.executions() if e.status == "RUNNING"]
            quiet = quiet + 1 if not pumped["received"] and not running else 0
        return self.executions()

    def objects(self) -> list[dict[str, Any]]:
        s3 = self.session.client("s3")
        listed = s3.list_objects_v2(Bucket=self.stack.bucket).get("Contents", [])
        return [{**o, **s3.head_object(Bucket=self.stack.bucket, Key=o["Key"])} for o in listed]


def _execution(described: Mapping[str, Any]) -> Execution:
    def load(text: str | None) -> Any:
        return json.loads(text) if text else None

    return Execution(
        arn=described["executionArn"],
        name=described["name"],
        status=described["status"],
        input=load(described.get("input")),
        output=load(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
    )
