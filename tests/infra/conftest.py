"""The Pulumi program, run under mocks once per committed stack, as `make synth` runs it."""

from __future__ import annotations

import pytest

from infra.synth import Synth, run, stack_config, stacks

STACKS = stacks()


@pytest.fixture(scope="session")
def synths() -> dict[str, Synth]:
    return {stack: run(stack, stack_config(stack)) for stack in STACKS}


@pytest.fixture(params=STACKS)
def synth(request: pytest.FixtureRequest, synths: dict[str, Synth]) -> Synth:
    return synths[request.param]
