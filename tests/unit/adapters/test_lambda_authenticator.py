"""LambdaAuthenticator: the authenticate function's sealed token, and its errors by class."""

import io
import json

import pytest
from botocore.exceptions import ClientError

from adapters.lambda_authenticator import LambdaAuthenticator
from domain.errors import AwsServiceError, ConfigError, InvalidGrantError, ThrottledError


class FakeLambda:
    """Answers invoke the way the Lambda API does: a payload, and FunctionError on failure."""

    def __init__(self, payload, function_error=None, error=None):
        self.payload, self.function_error, self.error = payload, function_error, error
        self.calls = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        answer = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        if self.function_error:
            answer["FunctionError"] = self.function_error
        return answer


def test_the_sealed_token_is_returned():
    client = FakeLambda({"sealedToken": "c2VhbGVk"})

    assert LambdaAuthenticator(client, "stack-authenticate").sealed_token("S1") == "c2VhbGVk"
    assert client.calls == [
        {"FunctionName": "stack-authenticate", "Payload": b'{"sellerId": "S1"}'}
    ]


@pytest.mark.parametrize(
    ("error_type", "raised"),
    [("InvalidGrantError", InvalidGrantError), ("ThrottledError", ThrottledError)],
)
def test_an_error_raised_by_the_function_is_raised_again_by_name(error_type, raised):
    client = FakeLambda({"errorType": error_type, "errorMessage": "refused"}, "Unhandled")

    with pytest.raises(raised, match="refused"):
        LambdaAuthenticator(client, "stack-authenticate").sealed_token("S1")


def test_an_unknown_error_is_an_aws_service_error():
    client = FakeLambda(
        {"errorType": "Runtime.ImportModuleError", "errorMessage": "x"}, "Unhandled"
    )

    with pytest.raises(AwsServiceError, match=r"Runtime\.ImportModuleError"):
        LambdaAuthenticator(client, "stack-authenticate").sealed_token("S1")


def test_a_missing_function_is_a_config_error():
    missing = ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Function not found"}}, "Invoke"
    )

    with pytest.raises(ConfigError, match="stack-authenticate"):
        LambdaAuthenticator(FakeLambda(None, error=missing), "stack-authenticate").sealed_token(
            "S1"
        )


def test_an_answer_without_a_token_is_an_error():
    with pytest.raises(AwsServiceError, match="no sealedToken"):
        LambdaAuthenticator(FakeLambda({"other": 1}), "stack-authenticate").sealed_token("S1")
