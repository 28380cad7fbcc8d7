"""Lake locations for `--lake s3://bucket/prefix`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.lake_uri import is_s3_uri, parse_lake_uri, s3_lake_from_uri
from adapters.s3_lake import S3Lake
from domain.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://my-lake", ("my-lake", "")),
        ("s3://my-lake/", ("my-lake", "")),
        ("S3://my.lake.eu/spapi/dev/", ("my.lake.eu", "spapi/dev")),
        (" s3://abc/raw ", ("abc", "raw")),
    ],
)
def test_bucket_and_prefix_are_parsed(text: str, expected: tuple[str, str]) -> None:
    assert parse_lake_uri(text) == expected


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("./lake", "not an S3 location"),
        ("https://my-lake/x", "not an S3 location"),
        ("s3://", "not a valid S3 bucket name"),
        ("s3://My_Bucket/x", "not a valid S3 bucket name"),
        ("s3://ab", "not a valid S3 bucket name"),
        ("s3://a..b/x", "not a valid S3 bucket name"),
        ("s3://192.168.0.1/x", "not a valid S3 bucket name"),
        ("s3://my-lake/a//b", "empty"),
        ("s3://my-lake/a/../b", "'..'"),
    ],
)
def test_bad_locations_are_config_errors_naming_the_input(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as raised:
        parse_lake_uri(text)
    assert repr(text) in str(raised.value)


def test_s3_uris_are_told_from_directories() -> None:
    assert is_s3_uri("s3://b/x")
    assert is_s3_uri("S3://b")
    assert not is_s3_uri("lake")
    assert not is_s3_uri("/tmp/s3://x")


def test_a_lake_built_from_a_uri_writes_under_its_prefix(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="my-lake")

    lake = s3_lake_from_uri("s3://my-lake/spapi/dev/", client=s3)
    lake.put("raw/a.tsv", [b"a\tb\n"], "text/plain")

    assert isinstance(lake, S3Lake)
    assert lake.uri("raw/a.tsv") == "s3://my-lake/spapi/dev/raw/a.tsv"
    assert s3.get_object(Bucket="my-lake", Key="spapi/dev/raw/a.tsv")["Body"].read() == b"a\tb\n"
