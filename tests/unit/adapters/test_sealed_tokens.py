"""SealedAccessTokens: tokens handed in sealed, unsealed once; or asked of authenticate."""

import pytest

from adapters.sealed_tokens import SealedAccessTokens
from domain.authenticating import ACCESS_TOKEN, DOCUMENT_URL
from domain.errors import ConfigError, SealError
from tests.fakes import FakeSealer
from tests.unit.adapters.support import FakeTime

TOKEN = "Atza|seller-access-token-SECRET"


class Authenticate:
    def __init__(self, sealer: FakeSealer) -> None:
        self.sealer = sealer
        self.asked: list[str] = []

    def sealed_token(self, seller_id: str) -> str:
        self.asked.append(seller_id)
        return self.sealer.seal(f"{TOKEN}-{len(self.asked)}", ACCESS_TOKEN)


def test_a_token_handed_in_is_unsealed_once():
    sealer = FakeSealer()
    tokens = SealedAccessTokens(sealer)
    tokens.accept("S1", sealer.seal(TOKEN, ACCESS_TOKEN))

    assert [tokens.for_seller("S1") for _ in range(3)] == [TOKEN] * 3
    assert sealer.unsealed == [ACCESS_TOKEN]


def test_a_new_token_replaces_the_old_one():
    sealer = FakeSealer()
    tokens = SealedAccessTokens(sealer)
    tokens.accept("S1", sealer.seal("Atza|old", ACCESS_TOKEN))
    tokens.for_seller("S1")

    tokens.accept("S1", sealer.seal("Atza|new", ACCESS_TOKEN))

    assert tokens.for_seller("S1") == "Atza|new"


def test_without_a_token_handed_in_nothing_is_sent():
    with pytest.raises(ConfigError, match="no sealed access token for seller S1"):
        SealedAccessTokens(FakeSealer()).for_seller("S1")


def test_a_value_sealed_for_another_purpose_is_refused():
    sealer = FakeSealer()
    tokens = SealedAccessTokens(sealer)
    tokens.accept("S1", sealer.seal("https://example.com/doc", DOCUMENT_URL))

    with pytest.raises(SealError):
        tokens.for_seller("S1")


def test_grantless_tokens_are_not_available_here():
    with pytest.raises(ConfigError, match="only subscribe and authenticate"):
        SealedAccessTokens(FakeSealer()).grantless("sellingpartnerapi::notifications")


def test_with_an_authenticator_a_token_is_asked_for_and_reused_for_a_while():
    sealer, time = FakeSealer(), FakeTime()
    authenticate = Authenticate(sealer)
    tokens = SealedAccessTokens(sealer, authenticate, clock=time.clock, reuse_seconds=50)

    first = tokens.for_seller("S1")
    time.sleep(49)
    assert tokens.for_seller("S1") == first
    time.sleep(1)
    assert tokens.for_seller("S1") != first
    assert authenticate.asked == ["S1", "S1"]


def test_the_repr_shows_no_token():
    sealer = FakeSealer()
    tokens = SealedAccessTokens(sealer)
    tokens.accept("S1", sealer.seal(TOKEN, ACCESS_TOKEN))
    tokens.for_seller("S1")

    assert "Atza" not in repr(tokens)
