"""DynamoDbRateLimiter against moto over HTTP: one bucket shared by every Lambda container."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from adapters.dynamodb_rate_limit import IDLE_SECONDS, DynamoDbRateLimiter
from domain.errors import ConfigError, RateLimitedError
from domain.pacing import Ticket
from localcloud.moto_fidelity import atomic_dynamodb
from tests.integration.aws.conftest import RATE_LIMIT_TABLE as TABLE
from tests.integration.aws.conftest import SharedClock, count_calls

SELLER = "A3TH9S8BH6GOGM"
MINUTE = 1 / 60
# createReport's published limit, and a fast one whose waits fit in a function.
LIMITS = {"createReport": (MINUTE, 15), "getReports": (MINUTE, 10), "getReport": (2.0, 15)}
MARGIN = 1.0


def _limiter(client: Any, clock: SharedClock, table: str = TABLE) -> DynamoDbRateLimiter:
    return DynamoDbRateLimiter(
        client, table, clock=clock, limits=LIMITS, max_wait_seconds=10.0, margin_seconds=MARGIN
    )


def _item(client: Any, operation: str) -> dict[str, Any]:
    found = client.get_item(TableName=TABLE, Key={"bucket": {"S": f"{SELLER}#{operation}"}})
    return {name: next(iter(value.values())) for name, value in found["Item"].items()}


def _within_amazons_bucket(times: Sequence[float], rate: float, burst: int) -> bool:
    """Whether Amazon's bucket (full at the first call) admits every call: no window holds more
    calls than the burst plus what refills within it."""
    ordered = sorted(times)
    return all(
        j - i + 1 <= burst + (ordered[j] - ordered[i]) * rate + 1e-6
        for i in range(len(ordered))
        for j in range(i, len(ordered))
    )


def test_a_fresh_bucket_allows_the_burst_then_spaces_calls_at_the_rate(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a fresh bucket of 15 at 2 per second, and no safety margin
    limiter = DynamoDbRateLimiter(dynamodb(), TABLE, clock=clock, limits=LIMITS, margin_seconds=0.0)
    start = clock.epoch()

    # when 20 calls are made one after another
    times = []
    for _ in range(20):
        limiter.acquire("getReport", SELLER)
        times.append(clock.epoch() - start)

    # then the first 15 go at once and each later one half a second after the last
    assert times[:15] == [0.0] * 15
    assert times[15:] == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5])
    assert clock.slept == pytest.approx([0.5] * 5)


def test_two_containers_sharing_the_table_stay_within_amazons_bucket(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given two Lambda containers, and createReport's limit of 15 then one a minute
    containers = [_limiter(dynamodb(), clock), _limiter(dynamodb(), clock)]
    start = clock.epoch()
    times: list[float] = []
    tickets: list[Ticket] = []

    # when 30 calls alternate between them, each long wait handed to the workflow, whose next
    # attempt may run in the other container
    for n in range(30):
        try:
            containers[n % 2].acquire("createReport", SELLER)
        except RateLimitedError as limited:
            ticket = Ticket("createReport", SELLER, limited.not_before)
            tickets.append(ticket)
            clock.sleep(ticket.not_before - clock.epoch())  # the workflow's Wait state
            with containers[(n + 1) % 2].holding(ticket):
                containers[(n + 1) % 2].acquire("createReport", SELLER)
        times.append(clock.epoch() - start)

    # then the first 15 went at once, and every later call waited its own minute
    assert times[:15] == [0.0] * 15
    assert len(tickets) == 15
    gaps = [later - earlier for earlier, later in itertools.pairwise(times[14:])]
    assert all(gap >= 60 - 1e-6 for gap in gaps), gaps
    assert _within_amazons_bucket(times, MINUTE, 15)
    # and the 15 tickets were spent without reserving a slot again: 30 slots in all
    assert float(_item(dynamodb(), "createReport")["tat"]) - start == pytest.approx(30 * 60)


def test_concurrent_containers_never_share_a_slot(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given 30 calls at the same moment, from threads of two containers
    clients = [dynamodb(), dynamodb()]
    containers = [_limiter(client, clock) for client in clients]
    writes = [count_calls(client, "UpdateItem") for client in clients]
    start = clock.epoch()
    barrier = threading.Barrier(30)
    results: list[float | RateLimitedError] = []
    lock = threading.Lock()

    def call(limiter: DynamoDbRateLimiter) -> None:
        barrier.wait()
        try:
            outcome: float | RateLimitedError = limiter.acquire("createReport", SELLER)
        except RateLimitedError as limited:
            outcome = limited
        with lock:
            results.append(outcome)

    # when they all race for the bucket
    threads = [threading.Thread(target=call, args=(containers[n % 2],)) for n in range(30)]
    with _atomic_moto_requests():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # then 15 went at once, and each of the others holds its own slot a minute after the last
    free = [r for r in results if not isinstance(r, RateLimitedError)]
    slots = sorted(r.not_before - start for r in results if isinstance(r, RateLimitedError))
    assert free == [0.0] * 15
    assert slots == pytest.approx([60 * k + MARGIN for k in range(1, 16)])
    assert float(_item(dynamodb(), "createReport")["tat"]) - start == pytest.approx(30 * 60)
    # each slot cost one atomic update, besides the race to start the empty bucket (a caller
    # that lost it tries once more): never a read-modify-write loop
    assert 30 <= sum(len(w) for w in writes) <= 3 * 30


def test_a_racing_caller_takes_the_slot_before_and_the_other_the_next(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a bucket with its burst spent
    client = dynamodb()
    first, second = _limiter(client, clock), _limiter(dynamodb(), clock)
    for _ in range(15):
        first.acquire("createReport", SELLER)
    start = clock.epoch()
    interloper: list[float] = []

    def write_in_between(**_: Any) -> None:
        # Just before the first container's update reaches DynamoDB, the second one's does.
        if not interloper:
            try:
                second.acquire("createReport", SELLER)
            except RateLimitedError as limited:
                interloper.append(limited.not_before - start)

    client.meta.events.register("before-call.dynamodb.UpdateItem", write_in_between)
    writes = count_calls(client, "UpdateItem")

    # when the first container reserves a slot
    with pytest.raises(RateLimitedError) as raised:
        first.acquire("createReport", SELLER)

    # then it reserved the slot after the interloper's, in one atomic update
    assert interloper == [pytest.approx(60 + MARGIN)]
    assert raised.value.not_before - start == pytest.approx(120 + MARGIN)
    assert len(writes) == 1


def test_a_long_wait_reserves_the_slot_and_the_ticket_spends_it(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a spent burst
    limiter = _limiter(dynamodb(), clock)
    for _ in range(15):
        limiter.acquire("createReport", SELLER)
    start = clock.epoch()

    # when the next call would wait a minute
    with pytest.raises(RateLimitedError) as raised:
        limiter.acquire("createReport", SELLER)

    # then it is refused with its slot reserved, a minute (and the margin) away
    limited = raised.value
    assert (limited.operation, limited.key) == ("createReport", SELLER)
    assert limited.not_before - start == pytest.approx(60 + MARGIN)
    reserved = _item(dynamodb(), "createReport")

    # when the next attempt, a while later, calls with the ticket in hand
    clock.sleep(45)
    other = _limiter(dynamodb(), clock)
    with other.holding(Ticket("createReport", SELLER, limited.not_before)):
        waited = other.acquire("createReport", SELLER)

    # then it waited for its own slot and reserved no other
    assert waited == pytest.approx(60 + MARGIN - 45)
    assert clock.epoch() - start == pytest.approx(60 + MARGIN)
    assert _item(dynamodb(), "createReport") == reserved

    # and the next caller's slot comes after it
    with pytest.raises(RateLimitedError) as after:
        limiter.acquire("createReport", SELLER)
    assert after.value.not_before - start == pytest.approx(120 + MARGIN)


def test_a_ticket_is_spent_once(dynamodb: Callable[[], Any], clock: SharedClock) -> None:
    limiter = _limiter(dynamodb(), clock)
    for _ in range(15):
        limiter.acquire("createReport", SELLER)
    with pytest.raises(RateLimitedError) as raised:
        limiter.acquire("createReport", SELLER)
    clock.sleep(raised.value.not_before - clock.epoch())

    with limiter.holding(Ticket("createReport", SELLER, raised.value.not_before)):
        limiter.acquire("createReport", SELLER)
        with pytest.raises(RateLimitedError):
            limiter.acquire("createReport", SELLER)


def test_a_new_limit_from_amazon_is_seen_by_the_other_container(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given getReports at one a minute, burst 10
    seen, other = _limiter(dynamodb(), clock), _limiter(dynamodb(), clock)

    # when one container reads x-amzn-RateLimit-Limit: 0.5 from a response
    seen.adopt("getReports", SELLER, "0.5")

    # then the other spaces its calls at two seconds, instead of refusing a minute's wait
    waits = [other.acquire("getReports", SELLER) for _ in range(11)]
    assert waits == [0.0] * 10 + [pytest.approx(2.0 + MARGIN)]
    assert float(_item(dynamodb(), "getReports")["rate"]) == 0.5


def test_a_malformed_limit_header_changes_nothing(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    limiter = _limiter(dynamodb(), clock)
    limiter.acquire("getReports", SELLER)
    before = _item(dynamodb(), "getReports")

    for header in (None, "", "fast", "0", "-1", "inf", "nan"):
        limiter.adopt("getReports", SELLER, header)

    assert _item(dynamodb(), "getReports") == before


def test_a_429_drains_the_bucket_for_the_other_container_too(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a fresh getReports bucket, which would let 10 calls go at once
    throttled, other = _limiter(dynamodb(), clock), _limiter(dynamodb(), clock)
    start = clock.epoch()

    # when one container gets a 429
    throttled.throttled("getReports", SELLER)

    # then the other's next call waits a whole refill interval
    with pytest.raises(RateLimitedError) as raised:
        other.acquire("getReports", SELLER)
    assert raised.value.not_before - start == pytest.approx(60 + MARGIN)


def test_every_item_expires_a_day_after_its_last_slot(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a bucket with slots reserved into the future
    limiter = _limiter(dynamodb(), clock)
    for _ in range(15):
        limiter.acquire("createReport", SELLER)
    with pytest.raises(RateLimitedError):
        limiter.acquire("createReport", SELLER)

    # when the item is read
    item = _item(dynamodb(), "createReport")

    # then DynamoDB's TTL removes it only a day after its backlog is gone
    expires_at, tat = float(item["expires_at"]), float(item["tat"])
    assert tat - 60 + IDLE_SECONDS <= expires_at <= tat + IDLE_SECONDS
    assert expires_at > clock.epoch() + IDLE_SECONDS
    ttl = dynamodb().describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_a_missing_table_is_a_one_line_config_error(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    limiter = _limiter(dynamodb(), clock, table="spapi-lake-dev-nowhere")

    with pytest.raises(ConfigError, match="ResourceNotFoundException") as raised:
        limiter.acquire("createReport", SELLER)

    message = str(raised.value)
    assert "spapi-lake-dev-nowhere" in message
    assert "\n" not in message


@contextmanager
def _atomic_moto_requests() -> Iterator[None]:
    # moto checks a write's condition and stores the item without a lock, where DynamoDB is
    # atomic: LocalCloud's lock makes it so, and the race under test is only the limiter's.
    with atomic_dynamodb():
        yield


def test_a_container_with_a_stale_limit_spaces_slots_by_the_bucket_s_own(
    dynamodb: Callable[[], Any], clock: SharedClock
) -> None:
    # given a container that knows getReports' default (one per 45 s) from its first call
    stale, adopter = _limiter(dynamodb(), clock), _limiter(dynamodb(), clock)
    stale.acquire("getReports", SELLER)

    # when another container adopts Amazon's new limit, 0.5/s, and the stale one goes on
    adopter.adopt("getReports", SELLER, "0.5")
    waits = [stale.acquire("getReports", SELLER) for _ in range(10)]

    # then its slots are two seconds apart, not 45: the interval is the item's, not its own
    assert waits[:9] == [0.0] * 9
    assert waits[9] == pytest.approx(2.0 + MARGIN)
