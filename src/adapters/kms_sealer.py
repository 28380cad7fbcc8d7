"""The Sealer port on KMS: short secrets encrypted under the stack key, bound to their purpose."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code, translated
from domain.errors import SealError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# KMS Encrypt takes at most 4096 bytes of plaintext. LWA access tokens (~400-700 bytes) and
# SP-API pre-signed document URLs (~1-2 KB) fit with room to spare, so sealing is one direct
# Encrypt call. Envelope encryption (GenerateDataKey + AES-GCM) would lift the limit but needs a
# crypto library in the Lambda package for values we never expect; above the limit we fail
# loudly instead of silently changing format.
MAX_PLAINTEXT_BYTES = 4096
# KMS answers these when the ciphertext, its key or its encryption context do not match.
_NOT_OURS = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class KmsSealer:
    """Seals with `kms:Encrypt` under `key_id` and the encryption context {stack, purpose}, so a
    value sealed for one purpose (or stack) cannot be unsealed as another. Sealed text is
    base64. Raises SealError (never retry), ConfigError (key or permissions), AwsServiceError."""

    def __init__(self, client: KMSClient, key_id: str, stack: str) -> None:
        self._kms = client
        self._key_id = key_id
        self._stack = stack

    def _context(self, purpose: str) -> dict[str, str]:
        return {"stack": self._stack, "purpose": purpose}

    def seal(self, plaintext: str, purpose: str) -> str:
        data = plaintext.encode("utf-8")
        if len(data) > MAX_PLAINTEXT_BYTES:
            raise SealError(
                f"cannot seal {len(data)} bytes for {purpose}: KMS encrypts at most "
                f"{MAX_PLAINTEXT_BYTES} bytes directly"
            )
        with translated(f"KMS Encrypt for {purpose} with {self._key_id}"):
            sealed = self._kms.encrypt(
                KeyId=self._key_id, Plaintext=data, EncryptionContext=self._context(purpose)
            )
        return base64.b64encode(sealed["CiphertextBlob"]).decode("ascii")

    def unseal(self, sealed: str, purpose: str) -> str:
        refused = SealError(
            f"cannot unseal a value as {purpose} for stack {self._stack}: it was sealed for "
            "another purpose, stack or key, or it was altered"
        )
        try:
            blob = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError):
            raise refused from None
        try:
            # KeyId pins the expected key: a blob sealed under any other key is refused.
            opened = self._kms.decrypt(
                CiphertextBlob=blob, KeyId=self._key_id, EncryptionContext=self._context(purpose)
            )
        except ClientError as error:
            if error_code(error) in _NOT_OURS:
                raise refused from error
            raise aws_error(error, f"KMS Decrypt for {purpose} with {self._key_id}") from error
        except BotoCoreError as error:
            raise aws_error(error, f"KMS Decrypt for {purpose} with {self._key_id}") from error
        return opened["Plaintext"].decode("utf-8")

    def __repr__(self) -> str:
        return f"KmsSealer(key={self._key_id!r}, stack={self._stack!r})"
