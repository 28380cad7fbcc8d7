"""LocalCloud: moto server + simulator + provisioned stack + real handlers, in one process."""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import time
import uuid
from contextlib import ExitStack
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from localcloud.dispatch import Dispatcher, routed
from localcloud.event_source import QueueEventSource
from localcloud.executions import Execution, described, wait
from localcloud.moto_fidelity import (
    atomic_dynamodb,
    parsed_definitions_once,
    parsed_json_paths_once,
    shared_lambda_client,
)
from localcloud.stack import REGION, Stack, StackSpec, provision
from localcloud.timing import scaled_waits
from sandbox.clock import ScaledClock
from sandbox.server import RunningServer, serve
from sandbox.settings import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
    DEMO_VENDOR_ID,
    DEMO_VENDOR_MARKETPLACE,
    DEMO_VENDOR_REFRESH_TOKEN,
)
from sandbox.simulator import Simulator, SimulatorConfig
from sandbox.sqs_delivery import SqsDelivery

if TYPE_CHECKING:
    from wiring.cloud_config import CloudConfig
    from wiring.cloud_container import CloudContainer

__all__ = ["DEMO_SPEC", "DEMO_VENDOR", "DEMO_VENDOR_SALES", "Execution", "LocalCloud"]

# A vendor group beside the seller: configured by its account id, the id its notifications
# carry as accountId and its reports land under (seller_id=amzn1.vg.…).
DEMO_VENDOR = {
    "name": "demo-vendor",
    "kind": "vendor",
    "accountId": DEMO_VENDOR_ID,
    "marketplaces": [DEMO_VENDOR_MARKETPLACE],
}
# The vendor's weekly sales: the planner snaps the window to whole weeks (Sunday..Saturday)
# Amazon already has. Vendor types go to vendors only, seller types to sellers only.
DEMO_VENDOR_SALES = {
    "type": "GET_VENDOR_SALES_REPORT",
    "window": "P14D",
    "options": {
        "reportPeriod": "WEEK",
        "distributorView": "MANUFACTURING",
        "sellingProgram": "RETAIL",
    },
}
DEMO_SPEC = StackSpec(
    name="local",
    region="NA",
    app_client_id=DEMO_CLIENT_ID,
    app_client_secret=DEMO_CLIENT_SECRET,
    sellers=(
        {"name": "demo", "sellerId": DEMO_SELLER_ID, "marketplaces": ["ATVPDKIKX0DER"]},
        DEMO_VENDOR,
    ),
    refresh_tokens={DEMO_SELLER_ID: DEMO_REFRESH_TOKEN, DEMO_VENDOR_ID: DEMO_VENDOR_REFRESH_TOKEN},
    reports=(
        {"type": "GET_MERCHANT_LISTINGS_ALL_DATA"},
        {"type": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "window": "P7D"},
        {"type": "GET_SALES_AND_TRAFFIC_REPORT", "window": "P7D"},
        DEMO_VENDOR_SALES,
    ),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Botocore service models as parsed once in this process, for every execution environment.
_PARSED_MODELS: dict[Any, Any] = {}


def environment_session() -> Any:
    """A new boto3 session, as each execution environment has, reading the service models this
    process has already parsed: a cold start re-reading them from disk is real Lambda's cost,
    not one this 2-core machine should pay hundreds of times a burst."""
    import boto3
    import botocore.loaders
    import botocore.session

    loader = botocore.loaders.create_loader()
    # The cache that instance_cache documents (`_cache`), shared: models parse once.
    loader._cache = _PARSED_MODELS  # type: ignore[attr-defined]
    inner = botocore.session.get_session()
    inner.register_component("data_loader", loader)
    return boto3.session.Session(botocore_session=inner)


class LocalCloud:
    """Everything `pulumi up` would run, on loopback. Use as a context manager.

    Each function runs in a pool of execution environments as large as its reserved concurrency
    (`dispatcher.stats()`). `time_scale` makes simulated time run that many times faster than
    real time for the simulator, the functions' clocks and the state machines' waits and retry
    intervals. `poll_queue` runs the SQS event source mapping in the background; without it,
    `pump_notifications` and `settle` deliver batches when called.
    """

    def __init__(
        self,
        spec: StackSpec = DEMO_SPEC,
        simulator: SimulatorConfig | None = None,
        *,
        time_scale: float = 1.0,
        poll_queue: bool = False,
    ) -> None:
        self.spec = spec
        self._sim_config = simulator or SimulatorConfig(processing_seconds=0.2)
        self.clock = ScaledClock(time_scale)
        self._poll_queue = poll_queue
        self._exit = ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self.dispatcher = Dispatcher(prefix=f"spapi-lake-{spec.name}-", build=self._build)

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
        from moto.core.config import default_user_config

        # The config is the process's: put it back, so a later test's moto stays moto.
        saved = copy.deepcopy(default_user_config)
        self._exit.callback(default_user_config.update, saved)
        httpx.post(
            f"{self.moto_url}/moto-api/config",
            json={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
            },
        ).raise_for_status()
        self.session = boto3.session.Session(region_name=REGION)
        delivery = SqsDelivery(lambda region: self.session.client("sqs", region_name=region))
        sim_config = replace(self._sim_config, on_report_finished=delivery)
        if sim_config.clock is time.time:  # a test's own clock (a ManualClock) stays
            sim_config = replace(sim_config, clock=self.clock)
        self.simulator = Simulator(sim_config)
        delivery.attach(self.simulator)
        self._exit.callback(self.simulator.close)
        self.sim_server: RunningServer = serve(self.simulator)
        self._exit.callback(self.sim_server.stop)
        self.stack: Stack = provision(self.session, self.spec)
        self._setenv(**self.handler_environment())
        self._exit.enter_context(routed(self.dispatcher))
        self._exit.enter_context(scaled_waits(self.clock))
        self._exit.enter_context(atomic_dynamodb())
        self._exit.enter_context(shared_lambda_client())
        self._exit.enter_context(parsed_json_paths_once())
        self._exit.enter_context(parsed_definitions_once())
        from wiring import runtime

        # Handlers build their container once per process: rebuild it for this stack.
        self._exit.callback(runtime.reset)
        runtime.reset()
        self.event_source = QueueEventSource(
            self.session.client("sqs"),
            self._lambda,
            queue_url=self.stack.queue_url,
            queue_arn=self.stack.queue_arn,
            function_name=f"{self.stack.prefix}process_notification",
        )
        self._exit.callback(self.event_source.stop)
        if self._poll_queue:
            self.event_source.start()

    def _build(self, config: CloudConfig) -> CloudContainer:
        """A new execution environment's container: its own clients and caches, our clock."""
        from dependency_injector import providers

        from wiring import runtime

        built = runtime.build(config)
        built.clock.override(providers.Object(self.clock))
        built.session.override(providers.Singleton(environment_session))
        return built

    @property
    def _lambda(self) -> Any:
        # No SDK retries: callers see what Lambda answered (TooManyRequestsException included).
        from botocore.config import Config

        return self.session.client("lambda", config=Config(retries={"total_max_attempts": 1}))

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
            "SPAPI_LAKE_QUERY_STATE_MACHINE_ARN": stack.ingest_query_arn,
            "SPAPI_LAKE_QUEUE_ARN": stack.queue_arn,
            "SPAPI_LAKE_DESTINATION_NAME": f"{stack.prefix}notifications",
            "SPAPI_LAKE_AUTHENTICATE_FUNCTION": f"{stack.prefix}authenticate",
            "SPAPI_LAKE_CURATE_FUNCTION": f"{stack.prefix}curate_report",
            # Every function shares this process (and a small machine): DuckDB takes less.
            "SPAPI_LAKE_CURATE_MEMORY_MB": "512",
            "SPAPI_LAKE_CURATE_THREADS": "1",
            "SPAPI_LAKE_RECONCILE_HOURS": "24",
            "SPAPI_LAKE_RATE_LIMIT_TABLE": stack.rate_limit_table,
            "SPAPI_LAKE_THROTTLE_DEADLINE_HOURS": "24",
            "SPAPI_LAKE_MAX_INGEST_ATTEMPTS": "5",
            # A call's delay from its reservation to Amazon is real time: while hundreds of
            # executions start on this 2-core machine, a seller's first call arrived up to 2.2 s
            # (measured) after its reservation, and Amazon's refills start at that arrival. In
            # simulated seconds that is `scale` times longer, so the margin grows with it; 4 s
            # leaves room (at 2 s, a run of `make load` (b) got 5 429s in 305 calls).
            "SPAPI_LAKE_RATE_LIMIT_MARGIN_SECONDS": f"{min(600.0, 1.0 + 4.0 * self.clock.scale):g}",
        }

    def cold_start(self) -> None:
        """Every function starts afresh, as after a deploy: caches and tokens are gone."""
        from wiring import runtime

        runtime.reset()
        self.dispatcher.cold_start()

    # -- what the deployed stack does --------------------------------------------------------
    def invoke(self, handler: str, event: Any) -> Any:
        """Invoke a function through the Lambda API, as EventBridge or Pulumi would. Over the
        function's reserved concurrency, botocore raises TooManyRequestsException."""
        response = self._lambda.invoke(
            FunctionName=f"{self.stack.prefix}{handler}", Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{handler} failed: {payload.get('errorType')}: {payload}")
        return payload

    def machine_arn(self, machine: str) -> str:
        """The stack's state machine of that name (`request-reports`, `ingest-report`,
        `request-queries`, `ingest-query`), or any state machine's ARN."""
        if machine.startswith("arn:"):
            return machine
        return {
            "request-reports": self.stack.request_reports_arn,
            "request-queries": self.stack.request_queries_arn,
            "ingest-query": self.stack.ingest_query_arn,
        }.get(machine, self.stack.ingest_report_arn)

    def start(self, machine: str, execution_input: Any, name: str | None = None) -> str:
        return str(
            self.session.client("stepfunctions").start_execution(
                stateMachineArn=self.machine_arn(machine),
                name=name or uuid.uuid4().hex,
                input=json.dumps(execution_input),
            )["executionArn"]
        )

    def wait(self, execution_arn: str, timeout: float = 60) -> Execution:
        return wait(self.session.client("stepfunctions"), execution_arn, timeout)

    def pump_notifications(self, wait_seconds: int = 1) -> dict[str, int]:
        """Do what the SQS event source mapping does, once: one batch → process_notification,
        then delete what it did not report as failed (failures come back, then go to the DLQ)."""
        return self.event_source.poll_once(wait_seconds)

    def executions(self, machine: str = "ingest-report") -> list[Execution]:
        sfn = self.session.client("stepfunctions")
        arn = self.machine_arn(machine)
        listed = sfn.list_executions(stateMachineArn=arn, maxResults=1000)["executions"]
        return [described(sfn.describe_execution(executionArn=e["executionArn"])) for e in listed]

    def settle(self, timeout: float = 60, quiet_rounds: int = 3) -> list[Execution]:
        """Deliver notifications (or let the poller) until the queue is empty, no batch or
        asynchronous invocation is in flight, no execution of any state machine is running and
        no Data Kiosk query is still processing at the simulator (its page's notification, and
        the next page, are to come), `quiet_rounds` times in a row. Returns the ingest-report
        executions."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < quiet_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError("notifications or ingests still in flight")
            if self.event_source.running:
                time.sleep(0.2)
                busy = self.event_source.in_flight or self._queued()
            else:
                busy = self.pump_notifications(wait_seconds=1)["received"]
            busy = busy or self.dispatcher.in_flight()  # reconcile's curations, say
            busy = busy or self.simulator.kiosk_pending()
            quiet = quiet + 1 if not busy and not self._running() else 0
        return self.executions()

    def _running(self) -> bool:
        sfn = self.session.client("stepfunctions")
        arns = (
            self.stack.ingest_report_arn,
            self.stack.ingest_query_arn,
            self.stack.request_queries_arn,
        )
        return any(
            sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)[
                "executions"
            ]
            for arn in arns
        )

    def _queued(self) -> int:
        attributes = self.session.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.queue_url, AttributeNames=["All"]
        )["Attributes"]
        return sum(
            int(attributes.get(name, 0))
            for name in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )

    def objects(self) -> list[dict[str, Any]]:
        s3 = self.session.client("s3")
        listed = s3.list_objects_v2(Bucket=self.stack.bucket).get("Contents", [])
        return [{**o, **s3.head_object(Bucket=self.stack.bucket, Key=o["Key"])} for o in listed]
