"""authenticate: the seller's LWA access token leaves the function sealed, and only sealed."""

import pytest

from domain.authenticating import ACCESS_TOKEN
from domain.errors import InvalidGrantError
from handlers import authenticate
from tests.unit.handlers.conftest import SELLER, TOKEN, assert_fields, leaks
from wiring.payloads import PayloadError


def test_the_token_comes_back_sealed_for_its_purpose(world, context, captured):
    result = authenticate.lambda_handler({"sellerId": SELLER}, context)

    assert_fields(result, ["sealedToken"])
    assert world.sealer.unseal(result["sealedToken"], ACCESS_TOKEN) == TOKEN
    assert world.lwa.calls == [SELLER]
    assert leaks(result, text=captured.text()) == []


def test_a_revoked_refresh_token_fails_with_its_class_name(world, context, captured):
    with pytest.raises(InvalidGrantError):
        authenticate.lambda_handler({"sellerId": "AUNKNOWNSELLER"}, context)

    failure = [line for line in captured.logs() if line.get("errorType")]
    assert failure[0]["sellerId"] == "AUNKNOWNSELLER"
    assert failure[0]["function_request_id"] == context.aws_request_id
    assert "InvalidGrantError" in failure[0]["message"]


def test_an_event_without_a_seller_is_refused(world, context):
    with pytest.raises(PayloadError, match="sellerId"):
        authenticate.lambda_handler({}, context)
