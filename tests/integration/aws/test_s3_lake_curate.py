"""S3Lake methods of the curate step against moto: download to a file, upload a file, list."""

import hashlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.s3_lake import MIB, S3Lake
from domain.errors import ConfigError
from tests.integration.aws.conftest import count_calls

BUCKET = "spapi-lake-test"
PREFIX = "lake/dev"
RAW = "raw/report_type=GET_X/seller_id=S1/dt=2026-11-27/50001.tsv"
CURATED = "curated/merchant_listings/seller_id=S1/dt=2026-11-27/50001.parquet"
PART = 5 * MIB


@pytest.fixture
def s3(aws: Callable[[str], Any]) -> Any:
    client = aws("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def lake(s3: Any, kms_key_arn: str) -> S3Lake:
    return S3Lake(s3, BUCKET, PREFIX, kms_key_id=kms_key_arn, part_size=PART)


def body(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def test_fetch_to_downloads_a_multipart_object_whole_into_a_file(lake: S3Lake, tmp_path) -> None:
    data = body(12 * MIB + 17)
    lake.put(RAW, [data], "text/tab-separated-values")
    target = tmp_path / "raw.tsv"

    assert lake.fetch_to(RAW, target) == len(data)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_fetch_to_raises_file_not_found_for_a_missing_key(lake: S3Lake, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=f"s3://{BUCKET}/{PREFIX}/raw/missing.tsv"):
        lake.fetch_to("raw/missing.tsv", tmp_path / "raw.tsv")


def test_fetch_to_without_permission_is_a_config_error(lake: S3Lake, s3: Any, tmp_path) -> None:
    lake.put(RAW, [b"x"], "text/plain")

    def deny(**_: Any) -> Any:
        error = {"Code": "403", "Message": "Forbidden"}
        return SimpleNamespace(status_code=403), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    s3.meta.events.register("before-call.s3.HeadObject", deny)
    with pytest.raises(ConfigError, match="access denied"):
        lake.fetch_to(RAW, tmp_path / "raw.tsv")


def test_put_file_uploads_in_parts_encrypted_with_the_stack_key(
    lake: S3Lake, s3: Any, kms_key_arn: str, tmp_path
) -> None:
    local = tmp_path / "out.parquet"
    local.write_bytes(body(11 * MIB))

    written = lake.put_file(CURATED, local, "application/vnd.apache.parquet")

    assert written == 11 * MIB
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{CURATED}")
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MiB parts
    assert (head["ContentType"], head["SSEKMSKeyId"]) == (
        "application/vnd.apache.parquet",
        kms_key_arn,
    )
    stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{CURATED}")["Body"].read()
    assert stored == local.read_bytes()


def test_put_file_of_a_small_file_is_one_put(lake: S3Lake, s3: Any, tmp_path) -> None:
    local = tmp_path / "out.parquet"
    local.write_bytes(b"PAR1 small PAR1")

    assert lake.put_file(CURATED, local, "application/vnd.apache.parquet") == 15
    assert (
        s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{CURATED}")["Body"].read() == local.read_bytes()
    )


def test_list_manifests_yields_readable_manifests_in_key_order(lake: S3Lake, s3: Any) -> None:
    for report_type, report_id in (("B_TYPE", "2"), ("A_TYPE", "9"), ("A_TYPE", "1")):
        key = f"manifests/report_type={report_type}/seller_id=S1/dt=2026-11-27/{report_id}.json"
        lake.put_manifest(key, {"reportId": report_id})
    broken = f"{PREFIX}/manifests/report_type=A_TYPE/seller_id=S1/dt=2026-11-27/5.json"
    s3.put_object(Bucket=BUCKET, Key=broken, Body=b"{not json")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/manifests/README.txt", Body=b"not a manifest")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/manifests/x.json", Body=b'{"reportId": "0"}')

    everything = list(lake.list_manifests())
    only_a = list(lake.list_manifests("A_TYPE"))

    assert [body["reportId"] for _, body in everything] == ["1", "9", "2"]
    assert [key for key, _ in only_a] == [
        "manifests/report_type=A_TYPE/seller_id=S1/dt=2026-11-27/1.json",
        "manifests/report_type=A_TYPE/seller_id=S1/dt=2026-11-27/9.json",
    ]
    assert list(lake.list_manifests("NO_SUCH_TYPE")) == []


def test_list_manifests_of_query_pages_yields_every_query_name_and_no_report(lake: S3Lake) -> None:
    lake.put_manifest("manifests/report_type=A_TYPE/seller_id=S1/dt=2026-11-27/1.json", {"n": 1})
    for name, query_id in (("sales", "Q2"), ("economics", "Q9"), ("sales", "Q1")):
        key = f"manifests/query={name}/seller_id=S1/dt=2026-11-27/{query_id}.json"
        lake.put_manifest(key, {"queryId": query_id})

    pages = [body["queryId"] for _, body in lake.list_manifests(queries=True)]

    assert pages == ["Q9", "Q1", "Q2"]  # key order: economics before sales
    assert len(list(lake.list_manifests())) == 4


def test_list_manifests_follows_pages(s3: Any) -> None:
    lake = S3Lake(s3, BUCKET)
    for n in range(5):
        s3.put_object(Bucket=BUCKET, Key=f"manifests/report_type=T/s/{n}.json", Body=b"{}")
    # Two keys a page instead of S3's 1,000, so that five manifests take three pages.
    s3.meta.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: params.update(MaxKeys=2)
    )
    listed = count_calls(s3, "ListObjectsV2")

    keys = [key for key, _ in lake.list_manifests("T")]

    assert keys == [f"manifests/report_type=T/s/{n}.json" for n in range(5)]
    assert len(listed) == 3


def test_list_manifests_of_a_missing_bucket_is_a_config_error(aws) -> None:
    with pytest.raises(ConfigError, match="NoSuchBucket"):
        list(S3Lake(aws("s3"), "no-such-bucket-here").list_manifests())
