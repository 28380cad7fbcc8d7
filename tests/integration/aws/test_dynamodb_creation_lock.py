"""DynamoDbCreationLock against moto over HTTP: one partner's creations, one caller at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.dynamodb_creation_lock import LEASE_SECONDS, DynamoDbCreationLock
from domain.datakiosk.lifecycle import Created, QueryCreator, Wait
from domain.errors import ConfigError
from localcloud.moto_fidelity import atomic_dynamodb
from tests.integration.aws.conftest import RATE_LIMIT_TABLE, SharedClock
from tests.kiosk_fakes import PARTNER, FakeKioskApi, race


def _lock(client: Any, clock: SharedClock, table: str = RATE_LIMIT_TABLE) -> DynamoDbCreationLock:
    return DynamoDbCreationLock(client, table, clock=clock, patience_seconds=2.0)


def test_a_second_caller_waits_briefly_then_is_refused_while_the_first_holds(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    first, second = _lock(dynamodb(), clock), _lock(dynamodb(), clock)

    with first.holding(PARTNER) as held:
        assert held
        with second.holding(PARTNER) as also:
            assert not also
        assert sum(clock.slept) == pytest.approx(2.0, abs=0.3)  # its patience, in small steps
        with second.holding("ANOTHER-PARTNER") as other:
            assert other  # partners do not share a lock

    with second.holding(PARTNER) as after:
        assert after


def test_the_lease_of_a_holder_that_died_lapses(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    dead, survivor = _lock(dynamodb(), clock), _lock(dynamodb(), clock)
    killed = dead.holding(PARTNER)
    assert killed.__enter__()  # and never leaves the block: its Lambda was killed

    with survivor.holding(PARTNER) as held:
        assert not held
    clock.sleep(LEASE_SECONDS)
    with survivor.holding(PARTNER) as held:
        assert held
    del killed


def test_a_lapsed_holder_leaving_late_keeps_the_new_lease(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    slow, fast, third = (_lock(dynamodb(), clock) for _ in range(3))
    slow_block = slow.holding(PARTNER)
    assert slow_block.__enter__()
    clock.sleep(LEASE_SECONDS + 1)

    with fast.holding(PARTNER) as taken:
        assert taken
        slow_block.__exit__(None, None, None)  # the slow holder finishes after its lease
        with third.holding(PARTNER) as intruder:
            assert not intruder  # fast's lease is still held


def test_a_missing_table_is_a_one_line_config_error(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    lock = _lock(dynamodb(), clock, table="spapi-lake-dev-nowhere")

    with (
        pytest.raises(ConfigError, match="ResourceNotFoundException") as raised,
        lock.holding(PARTNER),
    ):
        pass

    assert "spapi-lake-dev-nowhere" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_racing_creators_in_many_containers_never_exceed_the_limit(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    api = FakeKioskApi(count_seconds=0.05)
    creators = [QueryCreator(api, max_in_flight=1, lock=_lock(dynamodb(), clock)) for _ in range(6)]

    with atomic_dynamodb():
        answers = race(creators)

    assert len(api.created) == 1
    assert sum(isinstance(a, Created) for a in answers) == 1
    assert sum(isinstance(a, Wait) for a in answers) == len(creators) - 1
