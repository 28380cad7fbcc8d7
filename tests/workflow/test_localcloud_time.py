"""LocalCloud's time scale: simulated time runs `time_scale` times faster for the simulator,
the functions' clocks and the state machines' Wait states and Retry intervals alike."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from localcloud.cloud import DEMO_SPEC, LocalCloud
from wiring import runtime

SCALE = 60.0
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud(replace(DEMO_SPEC, name="clock"), time_scale=SCALE) as running:
        yield running


@pytest.fixture
def override(cloud):
    yield cloud.dispatcher.overrides
    cloud.dispatcher.overrides.clear()


def _run(cloud, name, states, execution_input):
    iam = cloud.session.client("iam")
    role = iam.get_role(RoleName=f"{cloud.stack.prefix}role")["Role"]["Arn"]
    definition = {"StartAt": next(iter(states)), "States": states}
    arn = cloud.session.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    started_simulated, started_real = cloud.clock(), time.monotonic()
    execution = cloud.wait(cloud.start(arn, execution_input), timeout=60)
    assert execution.status == "SUCCEEDED", execution.cause
    return cloud.clock() - started_simulated, time.monotonic() - started_real


@pytest.mark.parametrize(
    ("wait", "execution_input"),
    [
        ({"Seconds": 120}, {}),
        ({"SecondsPath": "$.seconds"}, {"seconds": 120}),
    ],
    ids=["Seconds", "SecondsPath"],
)
def test_a_wait_state_lasts_its_simulated_seconds(cloud, wait, execution_input):
    states = {"Pause": {"Type": "Wait", **wait, "End": True}}

    simulated, real = _run(cloud, f"wait-{next(iter(wait))}", states, execution_input)

    assert simulated >= 120
    assert real < 120 / 2  # generous: about 120 / SCALE


def test_a_wait_until_a_timestamp_ends_when_simulated_time_reaches_it(cloud):
    until = datetime.fromtimestamp(cloud.clock() + 120, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    states = {"Pause": {"Type": "Wait", "TimestampPath": "$.until", "End": True}}

    _run(cloud, "wait-until", states, {"until": until})

    reached = datetime.fromisoformat(until.replace("Z", "+00:00")).timestamp()
    assert cloud.clock() >= reached


def test_retry_intervals_last_their_simulated_seconds(cloud, override):
    # Given a task failing twice, retried after 30 s and then 60 s (BackoffRate 2)
    called_at = []

    def flaky(event, context):
        called_at.append(cloud.clock())
        if len(called_at) < 3:
            raise RuntimeError("not yet")
        return {}

    override["reconcile"] = flaky
    function = cloud.session.client("lambda").get_function(
        FunctionName=f"{cloud.stack.prefix}reconcile"
    )["Configuration"]["FunctionArn"]
    retry = {"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 30, "BackoffRate": 2.0}
    states = {
        "Flaky": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload": {}},
            "Retry": [{**retry, "MaxAttempts": 2}],
            "End": True,
        }
    }

    # When it runs
    _, real = _run(cloud, "flaky", states, {})

    # Then the attempts are the intervals apart in simulated time, in a fraction of real time
    first, second, third = called_at
    assert second - first >= 30
    assert third - second >= 60
    assert real < 90 / 2


def test_the_simulator_and_every_function_share_the_scaled_clock(cloud, override):
    override["authenticate"] = lambda event, context: {
        "now": runtime.container("authenticate").clock().now().timestamp()
    }
    before = cloud.clock()

    seen = cloud.invoke("authenticate", {})["now"]

    assert cloud.simulator.config.clock is cloud.clock
    assert before <= seen <= cloud.clock()
    # 1 s of real time later, a minute has passed on the shared clock
    time.sleep(1)
    assert cloud.clock() - seen >= SCALE
