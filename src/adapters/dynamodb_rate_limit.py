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

from adapters.aws_errors import aws_error, error_code
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
    version: int = 0
    full_at: float = 0.0

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def reserve(self, now: float) -> tuple[BucketState, float, bool]:
        """(the bucket after taking a token, when that token is there, whether it is a refill:
        a token Amazon's bucket, which began at our first call's arrival, may lack yet)."""
        full_at = now if self.tat <= now else self.full_at
        tat = max(self.tat, now) + self.interval
        slot = tat - self.burst * self.interval
        return replace(self, tat=tat, full_at=full_at), slot, slot > full_at + 1e-6

    def drained(self, now: float) -> BucketState:
        """Amazon says the bucket is empty: the next token is one interval away."""
        return replace(self, tat=max(self.tat, now + self.burst * self.interval))

    def rerated(self, rate: float, now: float) -> BucketState:
        """The same backlog in tokens, at the new rate."""
        backlog = (self.tat - now) / self.interval
        return replace(self, tat=now + backlog / rate, rate=rate)


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
        taken: tuple[float, bool] = (0.0, False)

        def take(state: BucketState, now: float) -> BucketState:
            nonlocal taken
            after, slot, refill = state.reserve(now)
            taken = (slot, refill)
            return after

        self._update(operation, key, take)
        return taken

    def _update(self, operation: str, key: str, change: Any) -> None:
        """Read, change and conditionally write the item until no other caller interferes."""
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
        if not item:
            return BucketState(tat=0.0, rate=rate, burst=burst, version=0)
        return BucketState(
            tat=float(item["tat"]["N"]),
            rate=float(item["rate"]["N"]),
            burst=int(item["burst"]["N"]),
            version=int(item["version"]["N"]),
            full_at=float(item.get("full_at", {"N": "0"})["N"]),
        )

    def _write(self, bucket: str, state: BucketState, changed: BucketState) -> bool:
        """Write `changed` if the item is still `state`; False when another caller won."""
        item = {
            "bucket": {"S": bucket},
            "tat": {"N": f"{changed.tat:.6f}"},
            "rate": {"N": repr(changed.rate)},
            "burst": {"N": str(changed.burst)},
            "full_at": {"N": f"{changed.full_at:.6f}"},
            "version": {"N": str(state.version + 1)},
            "expires_at": {"N": str(int(max(changed.tat, self._now())) + IDLE_SECONDS)},
        }
        condition: dict[str, Any] = (
            {
                "ConditionExpression": "attribute_not_exists(#b)",
                "ExpressionAttributeNames": {"#b": "bucket"},
            }
            if state.version == 0
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(state.version)}},
            }
        )
        try:
            self._db.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise aws_error(error, f"DynamoDB PutItem {self._table}") from error
        except BotoCoreError as error:
            raise aws_error(error, f"DynamoDB PutItem {self._table}") from error
        return True

    def __repr__(self) -> str:
        return f"DynamoDbRateLimiter({self._table!r})"
