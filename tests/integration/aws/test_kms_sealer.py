"""KmsSealer against moto over HTTP: round trips bound to stack and purpose."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from adapters.kms_sealer import MAX_PLAINTEXT_BYTES, KmsSealer
from domain.errors import ConfigError, SealError

TOKEN = "Atza|IwEBIaccess-token-" + "x" * 400
URL = "https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Signature=" + "a" * 1500


@pytest.fixture
def sealer(aws: Callable[[str], Any], kms_key_arn: str) -> KmsSealer:
    return KmsSealer(aws("kms"), kms_key_arn, stack="dev")


@pytest.mark.parametrize("plaintext", [TOKEN, URL, "é日本"])
def test_a_sealed_value_unseals_to_itself_and_hides_its_plaintext(
    sealer: KmsSealer, plaintext: str
) -> None:
    sealed = sealer.seal(plaintext, "access-token")

    assert plaintext not in sealed
    assert "Atza|" not in sealed
    assert "X-Amz-Signature" not in sealed
    assert base64.b64decode(sealed, validate=True)
    assert sealer.unseal(sealed, "access-token") == plaintext


def test_a_value_sealed_for_one_purpose_cannot_be_unsealed_as_another(sealer: KmsSealer) -> None:
    sealed = sealer.seal(TOKEN, "access-token")

    with pytest.raises(SealError, match="as document-url for stack dev"):
        sealer.unseal(sealed, "document-url")


def test_a_value_sealed_by_another_stack_cannot_be_unsealed(
    aws: Callable[[str], Any], kms_key_arn: str, sealer: KmsSealer
) -> None:
    sealed = KmsSealer(aws("kms"), kms_key_arn, stack="prod").seal(TOKEN, "access-token")

    with pytest.raises(SealError):
        sealer.unseal(sealed, "access-token")


def test_text_that_is_not_sealed_is_refused(sealer: KmsSealer) -> None:
    with pytest.raises(SealError):
        sealer.unseal("not base64 at all!", "access-token")


def test_values_over_the_kms_limit_are_refused_before_calling_kms(sealer: KmsSealer) -> None:
    assert sealer.seal("x" * MAX_PLAINTEXT_BYTES, "document-url")
    with pytest.raises(SealError, match="4097 bytes for document-url"):
        sealer.seal("x" * (MAX_PLAINTEXT_BYTES + 1), "document-url")


def test_an_unknown_key_is_a_config_error(aws: Callable[[str], Any]) -> None:
    with pytest.raises(ConfigError, match="alias/missing"):
        KmsSealer(aws("kms"), "alias/missing", stack="dev").seal(TOKEN, "access-token")
