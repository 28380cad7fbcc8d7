"""The Lambda zips are small, complete, built for Lambda's platform, importable and reproducible:
the main one every function runs, and the curate function's, which adds DuckDB."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from infra import lambda_package
from infra.state_machines import HANDLERS

LIMIT_BYTES = 15_000_000
CURATE_LIMIT_BYTES = 35_000_000
CURATE = lambda_package.CURATE
# Deploy and test tools, the SDK the runtime provides, and what only the CLI imports.
FORBIDDEN = frozenset(
    {
        "pulumi",
        "pulumi_aws",
        "pytest",
        "_pytest",
        "moto",
        "mypy",
        "boto3",
        "botocore",
        "typer",
        "rich",
    }
)
# ELF e_machine values: what the dynamic loader on a Lambda of that architecture accepts.
ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}
HOST_ARCH = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
# What the python3.12 runtime provides and the zip deliberately leaves out.
RUNTIME_ONLY = ("boto3", "botocore", "s3transfer")
PACKAGES = ("domain", "adapters", "wiring", "handlers")

Build = Callable[..., Path]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Each architecture's artifacts (main by default), built once for the whole module; both
    artifacts of an architecture in one directory, as `make package` leaves them."""
    built: dict[tuple[str, str], Path] = {}
    dirs: dict[str, Path] = {}

    def get(arch: str, kind: str = lambda_package.MAIN) -> Path:
        if (arch, kind) not in built:
            out_dir = dirs.setdefault(arch, tmp_path_factory.mktemp(arch))
            built[(arch, kind)] = lambda_package.build(arch, out_dir=out_dir, kind=kind)
        return built[(arch, kind)]

    return get


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The packaging inputs copied elsewhere and used as the repo root, so tests may edit them."""
    root = lambda_package.ROOT
    for name in ("uv.lock", "pyproject.toml"):
        shutil.copy2(root / name, tmp_path / name)
    for package in ("domain", "adapters", "wiring", "handlers"):
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(root / "src" / package, tmp_path / "src" / package, ignore=ignore)
    monkeypatch.setattr(lambda_package, "ROOT", tmp_path)
    return tmp_path


def python312() -> str:
    """An interpreter matching the Lambda runtime, so the zip's cp312 extensions load."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [sys.executable, shutil.which("python3.12") or ""]
    candidates += [str(p) for p in sorted(pyenv.glob("versions/3.12*/bin/python3.12"))]
    for candidate in filter(None, candidates):
        if _is_python312(candidate):
            return candidate
    # A machine without one: uv fetches a standalone 3.12 (needs the internet once).
    uv = lambda_package._find_uv()
    subprocess.run([uv, "python", "install", "3.12"], capture_output=True, check=False)  # noqa: S603
    found = subprocess.run(  # noqa: S603
        [uv, "python", "find", "3.12"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if found and _is_python312(found):
        return found
    pytest.fail(f"the import check needs a Python 3.12 interpreter; tried {candidates} and uv")


def _is_python312(candidate: str) -> bool:
    probe = [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"]
    result = subprocess.run(probe, capture_output=True, text=True, check=False)  # noqa: S603
    return result.stdout.strip() == "True"


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_zip_is_at_most_15_mb(build: Build, arch: str) -> None:
    assert build(arch).stat().st_size <= LIMIT_BYTES


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_zip_holds_every_lambda_handler_and_no_cli_module(build: Build, arch: str) -> None:
    contents = set(names(build(arch)))
    assert {f"handlers/{name}.py" for name in HANDLERS} <= contents
    assert not [name for name in contents if name.startswith("handlers/cli")]


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_zip_holds_no_dev_cloud_sdk_or_cli_package(build: Build, arch: str) -> None:
    contents = names(build(arch))
    top_level = {name.split("/")[0].removesuffix(".py") for name in contents}
    distributions = {top.split("-")[0].lower() for top in top_level if top.endswith(".dist-info")}
    assert not (top_level | distributions) & FORBIDDEN


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_zip_holds_no_bytecode_or_install_specific_files(build: Build, arch: str) -> None:
    unwanted = ("__pycache__/", ".pyc", "/REQUESTED", "/direct_url.json", "/RECORD")
    contents = names(build(arch))
    assert not [name for name in contents if any(part in name for part in unwanted)]
    assert not [name for name in contents if name.startswith(("bin/", ".lock"))]


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_compiled_extensions_are_built_for_the_target_architecture(build: Build, arch: str) -> None:
    with zipfile.ZipFile(build(arch)) as archive:
        machines = {
            name: int.from_bytes(archive.read(name)[18:20], "little")
            for name in archive.namelist()
            if name.endswith(".so")
        }
    assert {"isal", "dependency_injector"} <= {name.split("/")[0] for name in machines}
    assert set(machines.values()) == {ELF_MACHINE[arch]}


def test_every_entry_has_fixed_timestamp_mode_and_order(build: Build) -> None:
    with zipfile.ZipFile(build("arm64")) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(info.external_attr >> 16) & 0o777 for info in infos} == {0o644}
    assert {(info.create_system, info.compress_type) for info in infos} == {
        (3, zipfile.ZIP_DEFLATED)
    }


def test_building_twice_gives_a_byte_identical_zip(build: Build, tmp_path: Path) -> None:
    again = lambda_package.build("arm64", out_dir=tmp_path)
    assert again.read_bytes() == build("arm64").read_bytes()


def test_the_stamp_records_arch_inputs_hash_sha256_and_size(build: Build) -> None:
    zip_path = build("arm64")
    stamp = json.loads(zip_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert stamp == {
        "arch": "arm64",
        "inputs_hash": lambda_package.inputs_hash("arm64"),
        "python": "3.12",
        "sha256": hashlib.sha256(zip_path.read_bytes()).hexdigest(),
        "size": zip_path.stat().st_size,
    }


def test_every_handler_imports_from_the_zip_with_only_the_runtime_boto3(
    build: Build, tmp_path: Path
) -> None:
    with zipfile.ZipFile(build(HOST_ARCH)) as archive:
        archive.extractall(tmp_path / "task")
    # The runtime's own boto3, stood in for by ours: the only packages not in the zip.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(boto3.__path__[0]).parent
    for package in RUNTIME_ONLY:
        (runtime / package).symlink_to(site_packages / package)
    code = f"""
import importlib, sys
sys.path[:0] = sys.argv[1:]
for name in {HANDLERS!r}:
    assert callable(importlib.import_module("handlers." + name).lambda_handler)
import wiring.cloud_container  # loaded by wiring.runtime on the first invocation
import isal.isal_zlib, dependency_injector.containers  # fast_gzip falls back to zlib silently
from aws_lambda_powertools import Logger, Metrics  # loaded by wiring.observability
print(sorted({{"wiring.container", "typer", "rich", "yaml"}} & set(sys.modules)))
"""
    # -I -S: no PYTHONPATH, user or venv site-packages; only the stdlib, the zip and boto3.
    argv = [python312(), "-I", "-S", "-c", code, str(tmp_path / "task"), str(runtime)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_inputs_hash_differs_between_architectures() -> None:
    assert lambda_package.inputs_hash("arm64") != lambda_package.inputs_hash("x86_64")


def test_a_fresh_build_is_not_stale_and_a_missing_one_is(build: Build, tmp_path: Path) -> None:
    assert not lambda_package.is_stale("arm64", out_dir=build("arm64").parent)
    assert lambda_package.is_stale("arm64", out_dir=tmp_path / "nothing-here")


def test_editing_packaged_code_makes_the_artifact_stale(build: Build, repo_copy: Path) -> None:
    out_dir = build("arm64").parent
    assert not lambda_package.is_stale("arm64", out_dir=out_dir)
    with (repo_copy / "src" / "domain" / "model.py").open("a", encoding="utf-8") as source:
        source.write("# edited\n")
    assert lambda_package.is_stale("arm64", out_dir=out_dir)


def test_bytecode_and_cli_modules_do_not_count_as_inputs(build: Build, repo_copy: Path) -> None:
    (repo_copy / "src" / "handlers" / "__pycache__").mkdir()
    (repo_copy / "src" / "handlers" / "__pycache__" / "subscribe.cpython-311.pyc").write_bytes(b"")
    (repo_copy / "src" / "handlers" / "cli_extra.py").write_text("import typer\n", encoding="utf-8")
    assert not lambda_package.is_stale("arm64", out_dir=build("arm64").parent)


def test_check_exits_1_with_one_line_when_the_artifact_is_missing(tmp_path: Path) -> None:
    argv = [sys.executable, "infra/lambda_package.py", "--check", "--out-dir", str(tmp_path)]
    result = subprocess.run(  # noqa: S603
        argv, cwd=lambda_package.ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "make package ARCH=arm64" in result.stderr


def test_check_prints_path_size_and_sha256_when_fresh(
    build: Build, capsys: pytest.CaptureFixture[str]
) -> None:
    zip_path = build("arm64")
    argv = ["--check", "--artifact", "lambda", "--out-dir", str(zip_path.parent)]
    assert lambda_package.main(argv) == 0
    sha256 = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert (
        capsys.readouterr().out
        == f"{zip_path} {zip_path.stat().st_size / 1e6:.2f} MB sha256={sha256}\n"
    )


def test_a_missing_uv_is_one_line_pointing_at_make_install(
    repo_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(sys, "executable", str(repo_copy / "bin" / "python"))
    assert lambda_package.main(["--out-dir", str(repo_copy / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "make install" in captured.err


# --- the curate function's artifact ----------------------------------------------------------


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_curate_zip_is_at_most_35_mb_and_the_main_zip_holds_no_duckdb(
    build: Build, arch: str
) -> None:
    assert build(arch, CURATE).stat().st_size <= CURATE_LIMIT_BYTES
    assert not [n for n in names(build(arch)) if n.startswith(("duckdb", "_duckdb"))]


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_the_curate_zip_holds_our_code_and_duckdb_and_no_dev_sdk_or_cli_package(
    build: Build, arch: str
) -> None:
    contents = set(names(build(arch, CURATE)))
    ours = {name for name in names(build(arch)) if name.split("/")[0] in PACKAGES}
    assert ours
    assert ours <= contents  # the same code, so both run the same handlers
    assert "handlers/curate_report.py" in contents
    assert {"duckdb/__init__.py", "_duckdb.abi3.so"} <= contents
    top_level = {name.split("/")[0].removesuffix(".py") for name in contents}
    distributions = {top.split("-")[0].lower() for top in top_level if top.endswith(".dist-info")}
    assert not (top_level | distributions) & FORBIDDEN
    assert not [name for name in contents if "__pycache__/" in name or name.endswith(".pyc")]


@pytest.mark.parametrize("arch", lambda_package.ARCHITECTURES)
def test_duckdb_in_the_curate_zip_is_built_for_the_target_architecture(
    build: Build, arch: str
) -> None:
    with zipfile.ZipFile(build(arch, CURATE)) as archive:
        header = archive.read("_duckdb.abi3.so")[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE[arch]


def test_the_curate_handler_and_duckdb_import_from_the_curate_zip(
    build: Build, tmp_path: Path
) -> None:
    with zipfile.ZipFile(build(HOST_ARCH, CURATE)) as archive:
        archive.extractall(tmp_path / "task")
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(boto3.__path__[0]).parent
    for package in RUNTIME_ONLY:
        (runtime / package).symlink_to(site_packages / package)
    code = """
import importlib, sys
sys.path[:0] = sys.argv[1:]
assert callable(importlib.import_module("handlers.curate_report").lambda_handler)
import wiring.cloud_container, duckdb
print(duckdb.sql("SELECT 6 * 7").fetchall())
"""
    argv = [python312(), "-I", "-S", "-c", code, str(tmp_path / "task"), str(runtime)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    assert (result.returncode, result.stdout.strip()) == (0, "[(42,)]"), result.stderr


def test_building_the_curate_zip_twice_gives_identical_bytes(build: Build, tmp_path: Path) -> None:
    again = lambda_package.build("arm64", out_dir=tmp_path, kind=CURATE)
    assert again.read_bytes() == build("arm64", CURATE).read_bytes()


def test_the_artifacts_have_inputs_hashes_of_their_own() -> None:
    assert lambda_package.inputs_hash("arm64") != lambda_package.inputs_hash("arm64", CURATE)
    assert lambda_package.artifact_path("arm64").name == "spapi-lake-lambda-arm64.zip"
    assert lambda_package.artifact_path("arm64", kind=CURATE).name == "spapi-lake-curate-arm64.zip"


def test_check_covers_both_artifacts_as_make_package_builds_both(
    build: Build, capsys: pytest.CaptureFixture[str]
) -> None:
    main, curate = build("arm64"), build("arm64", CURATE)
    assert lambda_package.main(["--check", "--out-dir", str(main.parent)]) == 0
    printed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert printed == [str(main), str(curate)]
    curate.unlink()
    assert lambda_package.main(["--check", "--out-dir", str(main.parent)]) == 1
    assert "spapi-lake-curate-arm64.zip is missing or stale" in capsys.readouterr().err


def test_an_unknown_artifact_is_one_line() -> None:
    with pytest.raises(lambda_package.PackagingError, match="unknown artifact 'layer'"):
        lambda_package.artifact_path("arm64", kind="layer")
