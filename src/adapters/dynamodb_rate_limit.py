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
from dataclasses import dataclass
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
    """One item: the slot after the last reserved one, and the limit it refills at."""

    tat: float
    rate: float
    burst: int
    version: int

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def reserve(self, now: float) -> tuple[float, float]:
        """(the new tat, the moment this caller may call)."""
        tat = max(self.tat, now) + self.interval
        return tat, max(now, tat - self.burst * self.interval)

    def drained(self, now: float) -> float:
        """Amazon says the bucket is empty: the next token is one interval away."""
        return max(self.tat, now + self.burst * self.interval)

    def rerated(self, rate: float, now: float) -> float:
        """The same backlog in tokens, at the new rate."""
        backlog = (self.tat - now) / self.interval
        return now + backlog / rate


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
            allowed = self._reserve(operation, key)
            wait = allowed - self._now()
            if wait > self._max_wait:
                raise RateLimitedError(
                    operation, key, allowed + self._margin, waited_for=seconds_text(wait)
                )
            if wait > 0:
                wait += self._margin
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
        self._update(operation, key, lambda state, now: (state.rerated(rate, now), rate))

    def throttled(self, operation: str, key: str = "") -> None:
        """Record a 429 for everyone: the next caller waits a whole refill interval."""
        self._update(operation, key, lambda state, now: (state.drained(now), state.rate))

    # -- the item ----------------------------------------------------------------------------
    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _bucket(self, operation: str, key: str) -> str:
        return "#".join(part for part in (self._application, key, operation) if part)

    def _reserve(self, operation: str, key: str) -> float:
        allowed = 0.0

        def take(state: BucketState, now: float) -> tuple[float, float]:
            nonlocal allowed
            tat, allowed = state.reserve(now)
            return tat, state.rate

        self._update(operation, key, take)
        return allowed

    def _update(self, operation: str, key: str, change: Any) -> None:
        """Read, change and conditionally write the item until no other caller interferes."""
        bucket = self._bucket(operation, key)
        for _ in range(MAX_CONFLICTS):
            state = self._read(operation, bucket)
            now = self._now()
            tat, rate = change(state, now)
            if self._write(bucket, state, tat, rate):
                self._rates[bucket] = rate
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
        )

    def _write(self, bucket: str, state: BucketState, tat: float, rate: float) -> bool:
        item = {
            "bucket": {"S": bucket},
            "tat": {"N": f"{tat:.6f}"},
            "rate": {"N": repr(rate)},
            "burst": {"N": str(state.burst)},
            "version": {"N": str(state.version + 1)},
            "expires_at": {"N": str(int(max(tat, self._now())) + IDLE_SECONDS)},
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
