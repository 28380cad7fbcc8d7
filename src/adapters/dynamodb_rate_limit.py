"""One token bucket per (selling partner, operation) for a whole deployment, in DynamoDB.

Every Lambda container draws from the same item, as Amazon's own bucket counts every caller. The
bucket is kept as a GCRA "theoretical arrival time" (tat): a caller reserves the next slot with a
conditional write and learns the moment it may call, so callers queue in order and nobody calls
before Amazon has a token for them. 429s become rare instead of being the mechanism.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error
from adapters.dynamodb_items import update_if
from adapters.rate_limit import DEFAULT_LIMITS, FALLBACK_LIMIT, HeldTickets, seconds_text
from domain.errors import AwsServiceError, RateLimitedError
from domain.pacing import Ticket
from domain.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

IDLE_SECONDS = 86_400  # an item unused for a day expires (TTL); it restarts full, as Amazon's
MAX_CONFLICTS = 50  # lost conditional writes in a row before giving up (a retryable error)


@dataclass(frozen=True)
class BucketState:
    """One item: the slot after the last reserved one (tat), the limit it refills at, and when
    it was last full, from which on its tokens are refills."""

    tat: float
    rate: float
    burst: int
    stored: bool = True  # False: no item yet
    full_at: float = 0.0

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def drained(self, now: float) -> BucketState:
        """Amazon says the bucket is empty: the next token is one interval away."""
        return replace(self, tat=max(self.tat, now + self.burst * self.interval))

    def rerated(self, rate: float, now: float) -> BucketState:
        """The same backlog in tokens, at the new rate."""
        backlog = (self.tat - now) / self.interval
        return replace(self, tat=now + backlog / rate, rate=rate)


class _Conflict(Exception):
    """A conditional write lost: the item is not what the caller saw."""


def _number(value: float) -> dict[str, str]:
    return {"N": f"{value:.6f}"}


def _names(update: str) -> dict[str, Any]:
    # `interval` is a DynamoDB reserved word.
    return {"ExpressionAttributeNames": {"#interval": "interval"}} if "#interval" in update else {}


def _state(item: dict[str, Any]) -> BucketState:
    return BucketState(
        tat=float(item["tat"]["N"]),
        rate=float(item["rate"]["N"]),
        burst=int(item["burst"]["N"]),
        full_at=float(item.get("full_at", {"N": "0"})["N"]),
    )


class DynamoDbRateLimiter:
    """The Limiter port over a DynamoDB table whose hash key is `bucket` (string)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        clock: Clock,
        limits: Mapping[str, tuple[float, int]] | None = None,
        fallback: tuple[float, int] = FALLBACK_LIMIT,
        max_wait_seconds: float = 10.0,
        margin_seconds: float = 1.0,
        application: str = "",
    ) -> None:
        self._db = client
        self._table = table
        self._clock = clock
        self._limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._fallback = fallback
        self._max_wait = max_wait_seconds
        # Amazon's bucket starts when our first call arrives, later than our clock says; a call
        # made at the exact slot can beat Amazon's token by the network's jitter.
        self._margin = margin_seconds
        self._application = application
        self._tickets = HeldTickets()
        self._rates: dict[str, float] = {}  # the rate each bucket had when last read
        self._bursts: dict[str, int] = {}

    def holding(self, ticket: Ticket | None) -> AbstractContextManager[None]:
        return self._tickets.holding(ticket)

    def acquire(self, operation: str, key: str = "") -> float:
        """Wait for a token; RateLimitedError (token reserved) beyond `max_wait_seconds`."""
        ticket = self._tickets.take(operation, key)
        if ticket is not None:
            wait = ticket.not_before - self._now()
        else:
            # A refilled token may reach Amazon before Amazon's refill: its bucket's clock
            # starts at our first call's arrival, a little after ours. Keep a margin behind it.
            slot, refill = self._reserve(operation, key)
            not_before = slot + (self._margin if refill else 0.0)
            wait = not_before - self._now()
            if wait > self._max_wait:
                raise RateLimitedError(operation, key, not_before, waited_for=seconds_text(wait))
        if wait > 0:
            self._clock.sleep(wait)
        return max(0.0, wait)

    def adopt(self, operation: str, key: str, header: str | None) -> None:
        """A new `x-amzn-RateLimit-Limit` becomes every caller's rate."""
        try:
            rate = float(header or "")
        except ValueError:
            return
        bucket = self._bucket(operation, key)
        if not math.isfinite(rate) or rate <= 0 or self._rates.get(bucket) == rate:
            return
        log.info("rate limit of %s is now %s/s", operation, rate)
        self._update(operation, key, lambda state, now: state.rerated(rate, now))

    def throttled(self, operation: str, key: str = "") -> None:
        """Record a 429 for everyone: the next caller waits a whole refill interval."""
        self._update(operation, key, lambda state, now: state.drained(now))

    # -- the item ----------------------------------------------------------------------------
    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _bucket(self, operation: str, key: str) -> str:
        return "#".join(part for part in (self._application, key, operation) if part)

    def _reserve(self, operation: str, key: str) -> tuple[float, bool]:
        """(the slot of the reserved token, whether it is a refill). One atomic UpdateItem in
        the common case: callers that race only serialise in DynamoDB, never retry."""
        bucket = self._bucket(operation, key)
        rate, burst = self._limits_of(operation, bucket)
        for _ in range(MAX_CONFLICTS):
            now = self._now()
            try:
                # Tokens are short: the next slot is one interval after the last one reserved.
                # (Values on the right are the item's before the update: it expires a day after
                # its last slot.)
                # The interval is the item's own: a container that has not yet seen a new
                # limit adopted by another must not space the slots by its stale one.
                item = self._update_item(
                    bucket,
                    "SET tat = tat + #interval, expires_at = tat + :idle",
                    "tat > :now",
                    {":now": _number(now), ":idle": {"N": str(IDLE_SECONDS)}},
                )
            except _Conflict:
                try:
                    # The bucket is full (or new): it starts again from now.
                    item = self._update_item(
                        bucket,
                        "SET tat = :tat, full_at = :now, expires_at = :e,"
                        " rate = if_not_exists(rate, :rate), burst = if_not_exists(burst, :burst),"
                        " #interval = if_not_exists(#interval, :t)",
                        "attribute_not_exists(tat) OR tat <= :now",
                        {
                            ":tat": _number(now + 1.0 / rate),
                            ":t": _number(1.0 / rate),
                            ":now": _number(now),
                            ":rate": {"N": repr(rate)},
                            ":burst": {"N": str(burst)},
                            ":e": {"N": str(int(now + 1.0 / rate) + IDLE_SECONDS)},
                        },
                    )
                except _Conflict:
                    continue  # another caller emptied or refilled it in between: look again
                state = _state(item)
                if state.rate != rate:
                    # Another container adopted a new limit we had not seen: one interval of
                    # the bucket's own rate, not ours.
                    fixed = replace(state, tat=now + state.interval)
                    item = self._item(fixed) if self._write(bucket, state, fixed) else item
            state = _state(item)
            self._rates[bucket] = state.rate
            self._bursts[bucket] = state.burst
            slot = state.tat - state.burst * state.interval
            return slot, slot > state.full_at + 1e-6
        raise AwsServiceError(f"rate-limit bucket {bucket}: too many concurrent updates")

    @staticmethod
    def _item(state: BucketState) -> dict[str, Any]:
        return {
            "tat": _number(state.tat),
            "rate": {"N": repr(state.rate)},
            "burst": {"N": str(state.burst)},
            "full_at": _number(state.full_at),
        }

    def _limits_of(self, operation: str, bucket: str) -> tuple[float, int]:
        rate, burst = self._limits.get(operation, self._fallback)
        return self._rates.get(bucket, rate), self._bursts.get(bucket, burst)

    def _update(self, operation: str, key: str, change: Any) -> None:
        """Read, change and conditionally write the item until no other caller interferes
        (adopting a rate, draining after a 429: rare, so read-modify-write is fine)."""
        bucket = self._bucket(operation, key)
        for _ in range(MAX_CONFLICTS):
            state = self._read(operation, bucket)
            changed: BucketState = change(state, self._now())
            if self._write(bucket, state, changed):
                self._rates[bucket] = changed.rate
                return
        raise AwsServiceError(f"rate-limit bucket {bucket}: too many concurrent updates")

    def _read(self, operation: str, bucket: str) -> BucketState:
        try:
            item = self._db.get_item(
                TableName=self._table, Key={"bucket": {"S": bucket}}, ConsistentRead=True
            ).get("Item")
        except (BotoCoreError, ClientError) as error:
            raise aws_error(error, f"DynamoDB GetItem {self._table}") from error
        rate, burst = self._limits.get(operation, self._fallback)
        if not item or "tat" not in item:
            return BucketState(tat=0.0, rate=rate, burst=burst, stored=False)
        return _state(item)

    def _write(self, bucket: str, state: BucketState, changed: BucketState) -> bool:
        """Write `changed` if the item is still `state`; False when another caller won."""
        values = {
            ":tat": _number(changed.tat),
            ":rate": {"N": repr(changed.rate)},
            ":burst": {"N": str(changed.burst)},
            ":full": _number(changed.full_at),
            ":t": _number(changed.interval),
            ":e": {"N": str(int(max(changed.tat, self._now())) + IDLE_SECONDS)},
        }
        if not state.stored:
            condition = "attribute_not_exists(tat)"
        else:
            condition = "tat = :old"
            values[":old"] = _number(state.tat)
        try:
            self._update_item(
                bucket,
                "SET tat = :tat, rate = :rate, burst = :burst, full_at = :full, expires_at = :e,"
                " #interval = :t",
                condition,
                values,
            )
        except _Conflict:
            return False
        return True

    def _update_item(
        self, bucket: str, update: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        item = update_if(self._db, self._table, bucket, update, condition, values, **_names(update))
        if item is None:
            raise _Conflict
        return item

    def __repr__(self) -> str:
        return f"DynamoDbRateLimiter({self._table!r})"
