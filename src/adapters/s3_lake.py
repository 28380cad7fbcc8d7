"""The Lake port on S3: streamed multipart uploads under SSE-KMS, aborted on any failure."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code, translated
from domain.errors import ConfigError
from domain.lake import MANIFESTS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger(__name__)

MIB = 1 << 20
MIN_PART_SIZE = 5 * MIB  # S3 rejects smaller parts, except the last one
DEFAULT_PART_SIZE = 8 * MIB
# Every part carries a CRC32 that S3 checks, and Complete repeats them (as s3transfer does).
CHECKSUM: Final = "CRC32"
# HEAD answers a bare 404 for a missing key (or bucket); GET says NoSuchKey or NoSuchBucket.
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def _missing(error: BotoCoreError | ClientError) -> bool:
    return isinstance(error, ClientError) and error_code(error) in _MISSING


class S3Lake:
    """Objects at `s3://bucket/prefix/<key>`. Memory stays at about one part per upload, and
    nothing touches local disk. Raises AwsServiceError (retry) or ConfigError (fix the role,
    bucket or key)."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        kms_key_id: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ConfigError(f"S3 part size {part_size} is below S3's minimum of {MIN_PART_SIZE}")
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix.strip("/")
        self._part_size = part_size
        # Without a key id, send no SSE headers: "aws:kms" alone would pick the AWS-managed
        # aws/s3 key, while the bucket's default encryption names the stack's own key.
        self._sse: dict[str, Any] = {}
        if kms_key_id:
            self._sse = {
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": kms_key_id,
                "BucketKeyEnabled": True,
            }

    def _object_key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def uri(self, key: str) -> str:
        return f"s3://{self._bucket}/{self._object_key(key)}"

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        target = {"Bucket": self._bucket, "Key": self._object_key(key)}
        create = {"ContentType": content_type, "ChecksumAlgorithm": CHECKSUM, **self._sse}
        upload = _Upload(self._s3, self.uri(key), target, create)
        # One buffer for the whole upload: a full part is sent straight from it, then refilled.
        buffer = bytearray(self._part_size)
        view = memoryview(buffer)
        filled = total = 0
        try:
            for chunk in chunks:
                data = memoryview(chunk).cast("B")
                total += len(data)
                while data:
                    take = min(self._part_size - filled, len(data))
                    view[filled : filled + take] = data[:take]
                    filled, data = filled + take, data[take:]
                    if filled == self._part_size:
                        upload.send(buffer)
                        filled = 0
            if upload.started:
                if filled:
                    upload.send(bytes(view[:filled]))
                upload.complete()
            else:
                self._put_object(key, bytes(view[:filled]), content_type)
        except BaseException:
            # Whatever failed (the source, S3, an interrupt), no part may outlive the upload.
            upload.abort()
            raise
        return total

    def _put_object(self, key: str, body: bytes, content_type: str) -> None:
        with translated(f"S3 PutObject {self.uri(key)}"):
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._object_key(key),
                Body=body,
                ContentType=content_type,
                ChecksumAlgorithm=CHECKSUM,
                **self._sse,
            )

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=self._object_key(key))
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                return False
            raise aws_error(error, f"S3 HeadObject {self.uri(key)}") from error
        return True

    def put_manifest(self, key: str, body: dict[str, Any]) -> None:
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        self._put_object(key, text.encode(), "application/json")

    def get_manifest(self, key: str) -> dict[str, Any] | None:
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._object_key(key))
            body = json.loads(found["Body"].read())
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                return None
            raise aws_error(error, f"S3 GetObject {self.uri(key)}") from error
        return body if isinstance(body, dict) else None

    def fetch_to(self, key: str, path: Path) -> int:
        # Ranged GETs in parallel, written straight to the file: memory stays at a few parts.
        # Imported here: s3transfer would lengthen every cold start that never downloads.
        from boto3.s3.transfer import TransferConfig

        transfer = TransferConfig(
            multipart_chunksize=self._part_size, max_concurrency=4, use_threads=True
        )
        try:
            self._s3.download_file(self._bucket, self._object_key(key), str(path), Config=transfer)
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                raise FileNotFoundError(f"no object at {self.uri(key)}") from None
            raise aws_error(error, f"S3 GetObject {self.uri(key)}") from error
        return path.stat().st_size

    def put_file(self, key: str, path: Path, content_type: str) -> int:
        # The streamed multipart upload of `put`: one part in memory, aborted on failure.
        return self.put(key, _file_chunks(path, self._part_size), content_type)

    def list_manifests(
        self, report_type: str | None = None, *, queries: bool = False
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        top = MANIFESTS if report_type is None else f"{MANIFESTS}/report_type={report_type}"
        # Data Kiosk pages: every folder manifests/query=<name>/ shares this prefix.
        prefix = f"{top}/query=" if queries else f"{top}/"
        start = len(self._object_key(""))
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._object_key(prefix)
        )
        for key in self._listed(pages, f"S3 ListObjectsV2 {self.uri(top)}/", start):
            if not key.endswith(".json"):
                continue
            try:
                body = self.get_manifest(key)
            except ValueError:  # not JSON: a broken manifest is nothing to curate
                continue
            if body is not None:
                yield key, body

    @staticmethod
    def _listed(pages: Iterable[Any], what: str, start: int) -> Iterator[str]:
        """Lake keys page by page (S3 lists in key order); memory holds one page."""
        iterator = iter(pages)
        while True:
            with translated(what):
                page = next(iterator, None)
            if page is None:
                return
            yield from (found["Key"][start:] for found in page.get("Contents", []))

    def __repr__(self) -> str:
        return f"S3Lake({self.uri('')!r})"


def _file_chunks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb", buffering=0) as file:
        while chunk := file.read(size):
            yield chunk


class _Upload:
    """One multipart upload, created lazily by its first part, then completed or aborted."""

    def __init__(self, s3: S3Client, where: str, target: dict[str, Any], create: dict[str, Any]):
        self._s3, self._where, self._target, self._create = s3, where, target, create
        self._id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []

    @property
    def started(self) -> bool:
        return self._id is not None

    def send(self, body: bytes | bytearray) -> None:
        if self._id is None:
            with translated(f"S3 CreateMultipartUpload {self._where}"):
                created = self._s3.create_multipart_upload(**self._target, **self._create)
            self._id = created["UploadId"]
        number = len(self._parts) + 1
        with translated(f"S3 UploadPart {number} of {self._where}"):
            sent = self._s3.upload_part(
                **self._target,
                UploadId=self._id,
                PartNumber=number,
                ChecksumAlgorithm=CHECKSUM,
                # botocore sends any bytes-like body as it is; the stubs only name bytes.
                Body=cast("bytes", body),
            )
        self._parts.append(
            {"PartNumber": number, "ETag": sent["ETag"], "ChecksumCRC32": sent["ChecksumCRC32"]}
        )

    def complete(self) -> None:
        with translated(f"S3 CompleteMultipartUpload {self._where}"):
            self._s3.complete_multipart_upload(
                **self._target, UploadId=str(self._id), MultipartUpload={"Parts": self._parts}
            )

    def abort(self) -> None:
        if self._id is None:
            return
        try:
            self._s3.abort_multipart_upload(**self._target, UploadId=self._id)
        except (BotoCoreError, ClientError):
            # The original error matters more; the bucket's lifecycle rule reaps what is left.
            log.warning("could not abort the multipart upload of %s", self._where)
