"""FileLake on a real directory: atomic objects, manifests, and keys that stay inside the root."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from adapters import file_lake
from adapters.file_lake import FileLake

KEY = "raw/report_type=GET_MERCHANT_LISTINGS_ALL_DATA/seller_id=A1/dt=2026-11-26/5451.tsv"


class Boom(Exception):
    pass


def failing_after(*chunks: bytes) -> Iterator[bytes]:
    yield from chunks
    raise Boom("the download broke")


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_an_object_is_stored_in_its_partition_directories(tmp_path):
    lake = FileLake(tmp_path)

    written = lake.put(KEY, [b"sku\tprice\n", b"A\t1\n"], "text/tab-separated-values")

    assert written == 14
    assert (tmp_path / KEY).read_bytes() == b"sku\tprice\nA\t1\n"
    assert lake.exists(KEY)
    assert files_under(tmp_path) == [KEY]


def test_a_large_object_is_handed_to_the_disk_as_it_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(file_lake, "WRITEBACK_BYTES", 1000)
    body = [bytes([48 + n % 10]) * 700 for n in range(50)]

    written = FileLake(tmp_path).put(KEY, iter(body), "text/plain")

    assert written == 35_000
    assert (tmp_path / KEY).read_bytes() == b"".join(body)


def test_a_put_that_fails_midway_leaves_no_object_and_no_temporary_file(tmp_path):
    lake = FileLake(tmp_path)

    with pytest.raises(Boom):
        lake.put(KEY, failing_after(b"half", b" of it"), "text/plain")

    assert not lake.exists(KEY)
    assert files_under(tmp_path) == []


def test_a_failed_rewrite_keeps_the_previous_object_whole(tmp_path):
    lake = FileLake(tmp_path)
    lake.put(KEY, [b"complete\n"], "text/plain")

    with pytest.raises(Boom):
        lake.put(KEY, failing_after(b"partial"), "text/plain")

    assert (tmp_path / KEY).read_bytes() == b"complete\n"
    assert files_under(tmp_path) == [KEY]


def test_a_write_in_progress_is_invisible_at_its_key(tmp_path):
    lake = FileLake(tmp_path)
    seen: list[bool] = []

    def chunks() -> Iterator[bytes]:
        yield b"first"
        seen.append(lake.exists(KEY))
        yield b"second"

    lake.put(KEY, chunks(), "text/plain")

    assert seen == [False]
    assert (tmp_path / KEY).read_bytes() == b"firstsecond"


def test_concurrent_writers_of_one_key_never_mix_their_bytes(tmp_path):
    lake = FileLake(tmp_path)
    bodies = [bytes([65 + n]) * 300_000 for n in range(8)]

    def write(body: bytes) -> None:
        lake.put(KEY, (body[i : i + 1000] for i in range(0, len(body), 1000)), "text/plain")

    threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (tmp_path / KEY).read_bytes() in bodies
    assert files_under(tmp_path) == [KEY]


def test_manifests_are_pretty_utf8_json_and_read_back(tmp_path):
    lake = FileLake(tmp_path)
    body = {"reportId": "5451", "charset": "Cp1252", "title": "Größe", "rows": 2}

    lake.put_manifest("manifests/x/5451.json", body)

    text = (tmp_path / "manifests/x/5451.json").read_text(encoding="utf-8")
    assert text.startswith('{\n  "reportId"')
    assert "Größe" in text
    assert json.loads(text) == body
    assert lake.get_manifest("manifests/x/5451.json") == body
    assert lake.get_manifest("manifests/x/missing.json") is None


def test_uri_is_an_absolute_file_uri_that_keeps_partitions_readable(tmp_path):
    uri = FileLake(tmp_path).uri(KEY)

    assert uri == f"file://{tmp_path}/{KEY}"
    assert Path(url2pathname(urlparse(uri).path)) == tmp_path / KEY


@pytest.mark.parametrize(
    "key", ["../outside.tsv", "raw/../../outside.tsv", "/etc/passwd", "", "raw/./x", "a\\..\\b"]
)
def test_keys_that_escape_the_root_are_refused(tmp_path, key):
    lake = FileLake(tmp_path / "lake")

    with pytest.raises(ValueError, match="lake key"):
        lake.put(key, [b"x"], "text/plain")

    assert files_under(tmp_path) == []


def test_a_symlink_inside_the_lake_cannot_lead_writes_outside(tmp_path):
    (tmp_path / "lake").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "lake" / "raw").symlink_to(tmp_path / "elsewhere")

    with pytest.raises(ValueError, match="outside"):
        FileLake(tmp_path / "lake").put("raw/x.tsv", [b"x"], "text/plain")

    assert list((tmp_path / "elsewhere").iterdir()) == []
