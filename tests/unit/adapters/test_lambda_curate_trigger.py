"""LambdaCurateTrigger: the curate function invoked asynchronously, and a refused invoke."""

import json

import pytest
from botocore.exceptions import ClientError

from adapters.lambda_curate_trigger import LambdaCurateTrigger
from domain.errors import AwsServiceError, ConfigError

KEY = "manifests/report_type=GET_MERCHANT_LISTINGS_ALL_DATA/seller_id=S1/dt=2026-11-26/1.json"


class FakeLambda:
    """Answers invoke as the Lambda API does for InvocationType Event: 202, an empty body."""

    def __init__(self, status=202, error=None):
        self.status, self.error = status, error
        self.calls = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return {"StatusCode": self.status}


def test_the_manifest_key_is_sent_without_waiting_for_the_curation():
    client = FakeLambda()

    LambdaCurateTrigger(client, "stack-curate-report").curate(KEY)

    [call] = client.calls
    assert call["FunctionName"] == "stack-curate-report"
    assert call["InvocationType"] == "Event"
    assert json.loads(call["Payload"]) == {"manifestKey": KEY}


def test_an_invocation_lambda_did_not_queue_is_an_aws_service_error():
    with pytest.raises(AwsServiceError, match="not queued"):
        LambdaCurateTrigger(FakeLambda(status=200), "stack-curate-report").curate(KEY)


def test_a_missing_function_is_a_config_error_and_a_throttle_is_retryable():
    def refused(code, status):
        return ClientError(
            {
                "Error": {"Code": code, "Message": "no"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            "Invoke",
        )

    with pytest.raises(ConfigError, match="ResourceNotFoundException"):
        LambdaCurateTrigger(
            FakeLambda(error=refused("ResourceNotFoundException", 404)), "f"
        ).curate(KEY)
    with pytest.raises(AwsServiceError, match="TooManyRequestsException"):
        LambdaCurateTrigger(FakeLambda(error=refused("TooManyRequestsException", 429)), "f").curate(
            KEY
        )
