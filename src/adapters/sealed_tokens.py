"""The AccessTokens port for functions that may not read LWA credentials: tokens arrive sealed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from domain.authenticating import ACCESS_TOKEN
from domain.errors import ConfigError
from domain.ports import Sealer

# LwaAccessTokens refreshes a cached token 60 s before it expires (its default margin), so a
# token authenticate hands out lives at least that long: reuse one for less, then ask again.
REUSE_SECONDS = 50.0


class Authenticator(Protocol):
    def sealed_token(self, seller_id: str) -> str: ...


class SealedAccessTokens:
    """Access tokens sealed by the authenticate function (security checklist rules 15 and 27).

    The workflow hands a token in with `accept` before each call. With an `authenticator`
    (reconcile, which runs outside a workflow), a seller without an accepted token gets one by
    asking it. Tokens are unsealed once, on first use, and never logged. Raises ConfigError when
    no token was handed in, SealError when one cannot be unsealed.
    """

    def __init__(
        self,
        sealer: Sealer,
        authenticator: Authenticator | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        reuse_seconds: float = REUSE_SECONDS,
    ) -> None:
        self._sealer = sealer
        self._authenticator = authenticator
        self._clock = clock
        self._reuse = reuse_seconds
        self._sealed: dict[str, str] = {}
        self._asked_at: dict[str, float] = {}
        self._open: dict[str, tuple[str, str]] = {}  # seller -> (sealed, token)

    def accept(self, seller_id: str, sealed: str) -> None:
        """Use `sealed` for this seller's calls until another one is accepted."""
        self._sealed[seller_id] = sealed
        self._asked_at.pop(seller_id, None)

    def for_seller(self, seller_id: str) -> str:
        sealed = self._sealed.get(seller_id)
        asked_at = self._asked_at.get(seller_id)
        stale = asked_at is not None and self._clock() - asked_at >= self._reuse
        if self._authenticator is not None and (sealed is None or stale):
            sealed = self._authenticator.sealed_token(seller_id)
            self._sealed[seller_id], self._asked_at[seller_id] = sealed, self._clock()
        if sealed is None:
            raise ConfigError(
                f"no sealed access token for seller {seller_id}: pass the authenticate step's "
                "sealedToken in the event"
            )
        opened = self._open.get(seller_id)
        if opened is None or opened[0] != sealed:
            opened = (sealed, self._sealer.unseal(sealed, ACCESS_TOKEN))
            self._open[seller_id] = opened
        return opened[1]

    def grantless(self, scope: str) -> str:
        raise ConfigError(
            f"no grantless token ({scope}) here: only subscribe and authenticate read LWA "
            "credentials"
        )

    def __repr__(self) -> str:
        return f"SealedAccessTokens(sellers={sorted(self._sealed)})"
