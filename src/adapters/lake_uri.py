"""`s3://bucket/prefix` lake locations: parsing with clear errors, and an S3Lake built from one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from domain.errors import ConfigError

if TYPE_CHECKING:
    from adapters.s3_lake import S3Lake

SCHEME = "s3://"
# S3's rules for new buckets: 3-63 lowercase letters, digits, dots and hyphens, alphanumeric ends.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
_EXAMPLE = "s3://my-lake-bucket/spapi"


def is_s3_uri(text: str) -> bool:
    """True when `text` names an S3 location rather than a local directory."""
    return text.strip().lower().startswith(SCHEME)


def parse_lake_uri(text: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` → ("bucket", "some/prefix"). The prefix may be empty."""
    stripped = text.strip()
    if not stripped.lower().startswith(SCHEME):
        raise ConfigError(f"lake {text!r} is not an S3 location: write it as {_EXAMPLE}")
    bucket, _, prefix = stripped[len(SCHEME) :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or _IP_ADDRESS.fullmatch(bucket):
        raise ConfigError(
            f"lake {text!r}: {bucket!r} is not a valid S3 bucket name (3-63 lowercase letters, "
            f"digits, dots or hyphens): write it as {_EXAMPLE}"
        )
    prefix = prefix.strip("/")
    segments = prefix.split("/") if prefix else []
    if any(segment in ("", ".", "..") for segment in segments):
        raise ConfigError(f"lake {text!r}: the prefix {prefix!r} has an empty, '.' or '..' part")
    return bucket, prefix


def s3_lake_from_uri(
    uri: str, *, kms_key_id: str | None = None, client: Any = None, **boto3_options: Any
) -> S3Lake:
    """The S3Lake behind `--lake s3://…`; builds a default boto3 S3 client unless given one."""
    from adapters.s3_lake import S3Lake

    bucket, prefix = parse_lake_uri(uri)
    if client is None:
        import boto3  # only the S3 path of the CLI pays for importing boto3

        client = boto3.client("s3", **boto3_options)
    return S3Lake(client, bucket, prefix, kms_key_id=kms_key_id)
