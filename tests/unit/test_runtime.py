"""A Lambda process's container: the default one, or the one bound to an invocation."""

import threading

import pytest

from domain.errors import ConfigError
from wiring import runtime
from wiring.cloud_config import VARIABLES

STORE_REPORT_ENV = {
    "SPAPI_LAKE_STACK": "spapi-lake-test",
    "SPAPI_LAKE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/test",
    "SPAPI_LAKE_BUCKET": "spapi-lake-test-lake",
}


class Built:
    """Stands in for a CloudContainer: the runtime only hands it out."""

    def __init__(self, config=None):
        self.config = config


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES.values():
        monkeypatch.delenv(name, raising=False)
    for name, value in STORE_REPORT_ENV.items():
        monkeypatch.setenv(name, value)
    yield monkeypatch
    runtime.reset()


def test_a_bound_container_serves_the_invocation_instead_of_the_default():
    default, bound = Built(), Built()
    runtime.use(default)
    try:
        with runtime.bound(bound):
            assert runtime.container("fetch_document") is bound
        assert runtime.container("fetch_document") is default
    finally:
        runtime.reset()


def test_bindings_nest_and_each_ends_with_its_block():
    outer, inner = runtime.Process(built=Built()), runtime.Process(built=Built())

    with runtime.bound(outer):
        with runtime.bound(inner):
            assert runtime.container("store_report") is inner.built
        assert runtime.container("store_report") is outer.built


def test_a_binding_belongs_to_the_thread_that_made_it():
    runtime.use(default := Built())
    seen = []
    try:
        with runtime.bound(Built()):
            other = threading.Thread(target=lambda: seen.append(runtime.container("reconcile")))
            other.start()
            other.join()
    finally:
        runtime.reset()

    assert seen == [default]


def test_a_process_builds_its_container_once_from_the_checked_environment(environment):
    builds = []
    process = runtime.Process(build=lambda config: builds.append(config) or Built(config))

    first = process.container("store_report")
    again = process.container("store_report")

    assert first is again
    assert [config.bucket for config in builds] == ["spapi-lake-test-lake"]


def test_a_process_checks_the_environment_of_each_function_it_runs(environment):
    process = runtime.Process(build=Built)
    process.container("store_report")

    with pytest.raises(ConfigError, match=r"^SPAPI_LAKE_REGION is not set: the fetch_document"):
        process.container("fetch_document")


def test_two_processes_keep_separate_containers(environment):
    one, two = runtime.Process(build=Built), runtime.Process(build=Built)

    with runtime.bound(one):
        first = runtime.container("store_report")
    with runtime.bound(two):
        second = runtime.container("store_report")

    assert first is not second
    assert first is one.built
    assert second is two.built


def test_reset_makes_the_default_process_read_the_environment_again(environment):
    runtime.use(Built())
    runtime.reset()
    environment.delenv("SPAPI_LAKE_BUCKET")

    with pytest.raises(ConfigError, match=r"^SPAPI_LAKE_BUCKET is not set: the store_report"):
        runtime.container("store_report")
