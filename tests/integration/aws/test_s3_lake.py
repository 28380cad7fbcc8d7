"""S3Lake against moto over HTTP: streamed multipart uploads, SSE-KMS, aborts, manifests."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.s3_lake import MIB, S3Lake
from domain.errors import AwsServiceError, ConfigError, CorruptDocumentError

BUCKET = "spapi-lake-test"
PREFIX = "lake/dev"
KEY = "raw/report_type=GET_X/seller_id=S1/dt=2026-11-27/50001.tsv"
PART = 5 * MIB


def pattern(size: int, chunk: int = MIB) -> Iterator[bytes]:
    """`size` bytes of a repeating, position-dependent pattern, `chunk` bytes at a time."""
    for offset in range(0, size, chunk):
        block = (offset // chunk).to_bytes(4, "big") * (chunk // 4)
        yield block[: min(chunk, size - offset)]


def failing_after(size: int, error: BaseException) -> Iterator[bytes]:
    yield from pattern(size)
    raise error


@pytest.fixture
def s3(aws: Callable[[str], Any]) -> Any:
    client = aws("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def lake(s3: Any, kms_key_arn: str) -> S3Lake:
    return S3Lake(s3, BUCKET, PREFIX, kms_key_id=kms_key_arn, part_size=PART)


def no_uploads_left(s3: Any) -> bool:
    return not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_a_multipart_stream_lands_intact_encrypted_with_the_stack_key(
    lake: S3Lake, s3: Any, kms_key_arn: str
) -> None:
    size = 20 * MIB + 12345
    expected = hashlib.sha256(b"".join(pattern(size))).hexdigest()

    written = lake.put(KEY, pattern(size), "text/tab-separated-values; charset=UTF-8")

    assert written == size
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")
    assert head["ContentLength"] == size
    assert head["ContentType"] == "text/tab-separated-values; charset=UTF-8"
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key_arn
    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == expected


def test_every_part_but_the_last_is_exactly_one_part_size(lake: S3Lake, s3: Any) -> None:
    # 17 MiB in odd 3 MiB + 1 chunks: parts must be cut across chunk boundaries.
    size = 17 * MIB
    lake.put(KEY, pattern(size, chunk=3 * MIB + 4), "text/plain")

    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")
    assert head["ETag"].strip('"').endswith("-4")  # ceil(17 / 5) parts
    sizes = [
        s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}", PartNumber=n)["ContentLength"]
        for n in (1, 2, 3, 4)
    ]
    assert sizes == [PART, PART, PART, 2 * MIB]


def test_the_source_is_read_at_most_one_part_ahead_of_s3(lake: S3Lake, s3: Any) -> None:
    # Bounded memory, observed: whenever a part is sent, at most one part is buffered unsent.
    produced = 0
    lead: list[int] = []

    def counting() -> Iterator[bytes]:
        nonlocal produced
        for chunk in pattern(23 * MIB):
            produced += len(chunk)
            yield chunk

    def on_upload_part(params: dict[str, Any], **_: Any) -> None:
        lead.append(produced - params["PartNumber"] * PART)

    s3.meta.events.register("provide-client-params.s3.UploadPart", on_upload_part)
    lake.put(KEY, counting(), "text/plain")

    assert len(lead) == 5
    assert all(ahead < PART for ahead in lead)


def test_a_failing_source_mid_upload_leaves_no_object_and_no_open_upload(
    lake: S3Lake, s3: Any
) -> None:
    with pytest.raises(CorruptDocumentError, match="truncated"):
        lake.put(KEY, failing_after(12 * MIB, CorruptDocumentError("truncated gzip")), "text/plain")

    assert not lake.exists(KEY)
    assert no_uploads_left(s3)


def test_an_interrupt_also_aborts_the_upload(lake: S3Lake, s3: Any) -> None:
    with pytest.raises(KeyboardInterrupt):
        lake.put(KEY, failing_after(11 * MIB, KeyboardInterrupt()), "text/plain")

    assert no_uploads_left(s3)
    assert not lake.exists(KEY)


def test_an_s3_failure_mid_upload_aborts_it_and_raises_a_retryable_error(
    lake: S3Lake, s3: Any
) -> None:
    sent: list[int] = []

    def fail_part_two(**_: Any) -> Any:
        sent.append(len(sent) + 1)
        if len(sent) != 2:
            return None
        # Short-circuits botocore: this is what S3 answering 500 looks like to the adapter.
        error = {"Code": "InternalError", "Message": "We encountered an internal error."}
        return SimpleNamespace(status_code=500), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 500},
        }

    s3.meta.events.register("before-call.s3.UploadPart", fail_part_two)
    with pytest.raises(AwsServiceError, match=r"UploadPart 2 .*InternalError"):
        lake.put(KEY, pattern(12 * MIB), "text/plain")

    assert sent == [1, 2]
    assert no_uploads_left(s3)
    assert not lake.exists(KEY)


def test_a_small_body_is_one_encrypted_put(lake: S3Lake, s3: Any, kms_key_arn: str) -> None:
    uploads: list[str] = []
    s3.meta.events.register(
        "before-call.s3.CreateMultipartUpload", lambda **_: uploads.append("create")
    )

    chunks: list[Any] = [b"a\tb\n", b"", bytearray(b"1\t2\n")]  # any bytes-like chunk will do

    written = lake.put(KEY, chunks, "text/plain")

    assert written == 8
    assert uploads == []
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")
    assert (head["ContentLength"], head["SSEKMSKeyId"]) == (8, kms_key_arn)
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")["Body"].read() == b"a\tb\n1\t2\n"


def test_an_exact_part_size_body_needs_no_empty_last_part(lake: S3Lake, s3: Any) -> None:
    assert lake.put(KEY, pattern(PART), "text/plain") == PART
    assert s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{KEY}")["ContentLength"] == PART


def test_a_failing_small_source_puts_nothing(lake: S3Lake) -> None:
    with pytest.raises(ValueError, match="bad"):
        lake.put(KEY, failing_after(MIB, ValueError("bad")), "text/plain")
    assert not lake.exists(KEY)


def test_exists_sees_stored_objects_only(lake: S3Lake) -> None:
    assert not lake.exists(KEY)
    lake.put(KEY, [b"x"], "text/plain")
    assert lake.exists(KEY)


def test_manifests_round_trip_as_encrypted_json(lake: S3Lake, s3: Any, kms_key_arn: str) -> None:
    key = "manifests/report_type=GET_X/seller_id=S1/dt=2026-11-27/50001.json"
    body = {"reportId": "50001", "rows": 3, "charset": "Shift_JIS", "note": "日本語"}

    assert lake.get_manifest(key) is None
    lake.put_manifest(key, body)

    assert lake.get_manifest(key) == body
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")
    assert (head["ContentType"], head["ServerSideEncryption"]) == ("application/json", "aws:kms")
    assert head["SSEKMSKeyId"] == kms_key_arn


def test_uri_names_bucket_prefix_and_key(s3: Any) -> None:
    assert S3Lake(s3, BUCKET, "/lake/dev/").uri("raw/a.tsv") == f"s3://{BUCKET}/lake/dev/raw/a.tsv"
    assert S3Lake(s3, BUCKET).uri("raw/a.tsv") == f"s3://{BUCKET}/raw/a.tsv"


def test_a_missing_bucket_is_a_config_error_naming_it(aws: Callable[[str], Any]) -> None:
    lake = S3Lake(aws("s3"), "no-such-bucket-here")
    with pytest.raises(ConfigError, match="no-such-bucket-here"):
        lake.put(KEY, [b"x"], "text/plain")
    with pytest.raises(ConfigError, match="NoSuchBucket"):
        lake.get_manifest("manifests/x.json")


def test_parts_below_the_s3_minimum_are_refused(s3: Any) -> None:
    with pytest.raises(ConfigError, match="minimum"):
        S3Lake(s3, BUCKET, part_size=MIB)


def test_an_unreachable_endpoint_is_a_retryable_error() -> None:
    import boto3
    from botocore.config import Config

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(AwsServiceError, match=f"s3://{BUCKET}/{KEY}"):
        S3Lake(s3, BUCKET).put(KEY, [b"x"], "text/plain")


def test_without_a_key_id_the_bucket_default_encryption_applies(s3: Any, kms_key_arn: str) -> None:
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn}
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
        },
    )
    sent: list[dict[str, Any]] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: sent.append(params)
    )

    S3Lake(s3, BUCKET).put(KEY, [b"x"], "text/plain")

    assert "ServerSideEncryption" not in sent[0]
    assert s3.head_object(Bucket=BUCKET, Key=KEY)["SSEKMSKeyId"] == kms_key_arn
