"""The Data Kiosk creation lock for a whole deployment: one lease item per partner in DynamoDB.

It lives in the rate-limit table (hash key `bucket`, TTL `expires_at`), beside the partner's
buckets: every function that creates queries already shares that table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from adapters.dynamodb_items import update_if
from adapters.dynamodb_rate_limit import IDLE_SECONDS
from domain.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

# Longer than run_query's 120 s timeout: a holder cannot still be creating when its lease
# lapses, and a holder that died frees the partner after this long.
LEASE_SECONDS = 180.0
RETRY_SECONDS = 0.25


class DynamoDbCreationLock:
    """The CreationLock port: a conditional write takes the partner's lease if it is free or
    lapsed; the holder frees it when the block ends. Another caller retries for
    `patience_seconds` (a holder only counts and creates: two SP-API calls)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        clock: Clock,
        patience_seconds: float = 5.0,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self._db = client
        self._table = table
        self._clock = clock
        self._patience = patience_seconds
        self._lease = lease_seconds

    @contextmanager
    def holding(self, partner_id: str) -> Iterator[bool]:
        key = f"{partner_id}#createQuery-lock"
        holder = uuid.uuid4().hex
        held = self._take_within_patience(key, holder)
        try:
            yield held
        finally:
            if held:
                self._free(key, holder)

    def _take_within_patience(self, key: str, holder: str) -> bool:
        give_up = self._now() + self._patience
        while not self._take(key, holder):
            if self._now() + RETRY_SECONDS > give_up:
                return False
            self._clock.sleep(RETRY_SECONDS)
        return True

    def _take(self, key: str, holder: str) -> bool:
        now = self._now()
        until = now + self._lease
        return self._write(
            key,
            # It expires a day after its lease (TTL), as an idle bucket does.
            "SET holder = :me, lease_until = :until, expires_at = :expires",
            "attribute_not_exists(lease_until) OR lease_until < :now",
            {
                ":me": {"S": holder},
                ":until": {"N": f"{until:.6f}"},
                ":now": {"N": f"{now:.6f}"},
                ":expires": {"N": str(int(until) + IDLE_SECONDS)},
            },
        )

    def _free(self, key: str, holder: str) -> None:
        freed = self._write(
            key,
            "SET lease_until = :zero",
            "holder = :me",
            {":zero": {"N": "0"}, ":me": {"S": holder}},
        )
        if not freed:
            log.warning("the creation lease %s lapsed before its holder freed it", key)

    def _write(self, key: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        """The conditional UpdateItem; False when the condition does not hold."""
        return update_if(self._db, self._table, key, update, condition, values) is not None

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def __repr__(self) -> str:
        return f"DynamoDbCreationLock({self._table!r})"
