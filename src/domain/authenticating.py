"""Authenticating: a seller's LWA access token, sealed to cross workflow state as ciphertext."""

from __future__ import annotations

from domain.ports import AccessTokens, Sealer

# Sealer purposes: part of the encryption context, so a value sealed for one cannot open as other.
ACCESS_TOKEN = "lwa-access-token"  # noqa: S105 - a label, not a secret
DOCUMENT_URL = "document-url"


class Authenticator:
    """The only use case that reads LWA credentials (through AccessTokens). Raises
    InvalidGrantError, InvalidClientError (never retry), SpApiServerError (retry), SealError."""

    def __init__(self, tokens: AccessTokens, sealer: Sealer) -> None:
        self._tokens = tokens
        self._sealer = sealer

    def sealed_token(self, seller_id: str) -> str:
        return self._sealer.seal(self._tokens.for_seller(seller_id), ACCESS_TOKEN)
