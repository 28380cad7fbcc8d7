"""Build the Lambda deployment zips (our code plus platform wheels for python3.12) reproducibly."""

# No Pulumi here, and of our code only the deployment options' architectures: the Pulumi program
# imports this as `infra.lambda_package`, and `make package` runs it as a script.

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from domain.deployment import ARCHITECTURES

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.12"
# Two artifacts of the same code: the one every function runs, and the curate function's, which
# adds DuckDB (its wheel alone, ~22 MB zipped, would take the main zip over its 15 MB budget).
MAIN, CURATE = "lambda", "curate"
ARTIFACTS = (MAIN, CURATE)
_CPU = {"arm64": "aarch64", "x86_64": "x86_64"}
# DuckDB publishes manylinux_2_28 wheels only; the python3.12 runtime (Amazon Linux 2023, glibc
# 2.34) runs them. The main zip keeps manylinux2014, as it always has.
_GLIBC = {MAIN: "manylinux2014", CURATE: "manylinux_2_28"}
_EXTRAS = {MAIN: ("aws",), CURATE: ("aws", "analytics")}
_PACKAGES = ("domain", "adapters", "wiring", "handlers")
_LOCK_INPUTS = ("uv.lock", "pyproject.toml")
# The python3.12 runtime already ships boto3; bundling it would add ~17 MB zipped (botocore's
# service models, mostly), over our 15 MB budget. Their pure-Python dependencies (jmespath,
# dateutil, urllib3, six) stay: they are small and pinned by the lock.
_RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
# Base dependencies plus the artifact's extras: the CLI, the simulator and every group stay out.
_EXPORT = (
    "export --frozen --quiet --no-dev --no-default-groups --no-emit-project"
    " --no-hashes --no-header --no-annotate"
)
# Wheels only, for Lambda's platform rather than this machine's; the lock already pins every one.
_INSTALL = f"pip install --quiet --only-binary :all: --no-deps --python-version {PYTHON_VERSION}"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = (stat.S_IFREG | 0o644) << 16
_UNIX = 3
_LEVEL = 9
# Scripts in bin/ carry this machine's interpreter path in their shebang, and RECORD lists their
# hashes; REQUESTED and direct_url.json depend on how the install was asked for; .lock is uv's
# lock on the target directory. Lambda needs none of them.
_DROPPED_TOP = frozenset({"bin", ".lock"})
_DROPPED_METADATA = frozenset({"RECORD", "REQUESTED", "direct_url.json"})


class PackagingError(Exception):
    """The artifact could not be built; the message is one line meant for a person."""


def artifact_path(arch: str = "arm64", out_dir: Path | None = None, kind: str = MAIN) -> Path:
    _check(arch, kind)
    return (out_dir or ROOT / "build" / "lambda") / f"spapi-lake-{kind}-{arch}.zip"


def stamp_path(arch: str = "arm64", out_dir: Path | None = None, kind: str = MAIN) -> Path:
    return artifact_path(arch, out_dir, kind).with_suffix(".json")


def source_files() -> list[tuple[str, Path]]:
    """(path inside the zip, file on disk) for the code we ship, sorted by zip path."""
    files = []
    for package in _PACKAGES:
        for path in (ROOT / "src" / package).rglob("*"):
            rel = path.relative_to(ROOT / "src").as_posix()
            # The CLI modules import typer and rich, which only the `cli` extra installs.
            cli = package == "handlers" and path.name.startswith("cli")
            if path.is_file() and not cli and not _is_bytecode(rel):
                files.append((rel, path))
    return sorted(files)


def inputs_hash(arch: str, kind: str = MAIN) -> str:
    _check(arch, kind)
    header = f"arch={arch} python={PYTHON_VERSION}\n" + ("" if kind == MAIN else f"kind={kind}\n")
    digest = hashlib.sha256(header.encode())
    inputs = [(name, ROOT / name) for name in _LOCK_INPUTS] + source_files()
    # A change to how we package changes the bytes just as much as a change to what we package.
    inputs.append(("infra/lambda_package.py", Path(__file__).resolve()))
    for name, path in inputs:
        digest.update(f"{name}\0{len(data := path.read_bytes())}\0".encode() + data)
    return digest.hexdigest()


def is_stale(arch: str, out_dir: Path | None = None, kind: str = MAIN) -> bool:
    zip_path, stamp = artifact_path(arch, out_dir, kind), stamp_path(arch, out_dir, kind)
    if not zip_path.is_file() or not stamp.is_file():
        return True
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return True
    fresh = recorded.get("inputs_hash") == inputs_hash(arch, kind)
    return not (fresh and recorded.get("size") == zip_path.stat().st_size)


def ensure(arch: str, out_dir: Path | None = None, kind: str = MAIN) -> Path:
    if is_stale(arch, out_dir, kind):
        return build(arch, out_dir, kind)
    return artifact_path(arch, out_dir, kind)


def build(arch: str = "arm64", out_dir: Path | None = None, kind: str = MAIN) -> Path:
    zip_path, stamp = artifact_path(arch, out_dir, kind), stamp_path(arch, out_dir, kind)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    digest = inputs_hash(arch, kind)
    platform = f"{_CPU[arch]}-{_GLIBC[kind]}"
    with tempfile.TemporaryDirectory(prefix=f"spapi-lake-{kind}-") as tmp:
        site = Path(tmp) / "site"
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(_requirements(_EXTRAS[kind]), encoding="utf-8")
        _uv(*_INSTALL.split(), "--python-platform", platform, "--python", sys.executable,
            "--target", str(site), "-r", str(requirements))  # fmt: skip
        entries = dict(source_files())
        for rel, path in _dependency_files(site):
            if rel in entries:
                raise PackagingError(f"{rel} is both our code and a dependency's")
            entries[rel] = path
        partial = _write_zip(entries, zip_path.parent)
        os.replace(partial, zip_path)
    data = zip_path.read_bytes()
    record = {"arch": arch, "inputs_hash": digest, "python": PYTHON_VERSION,
              "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}  # fmt: skip
    partial_stamp = stamp.with_name(stamp.name + ".tmp")
    partial_stamp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial_stamp, stamp)
    return zip_path


def _check(arch: str, kind: str = MAIN) -> None:
    if arch not in ARCHITECTURES:
        raise PackagingError(f"unknown architecture {arch!r}; choose one of {ARCHITECTURES}")
    if kind not in ARTIFACTS:
        raise PackagingError(f"unknown artifact {kind!r}; choose one of {ARTIFACTS}")


def _is_bytecode(rel: str) -> bool:
    return rel.endswith(".pyc") or "__pycache__" in rel.split("/")


def _find_uv() -> str:
    for candidate in (
        shutil.which("uv"),
        ROOT / ".tools/bin/uv",
        Path(sys.executable).parent / "uv",
    ):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise PackagingError("uv not found on PATH nor in .tools/bin; run `make install`")


def _uv(*args: str) -> str:
    argv = [_find_uv(), *args]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise PackagingError(f"uv {' '.join(args[:2])} failed: {detail}")
    return result.stdout


def _requirements(extras: Sequence[str]) -> str:
    exported = _uv(*_EXPORT.split(), *(f"--extra={extra}" for extra in extras))
    keep = []
    for line in exported.splitlines():
        requirement = line.split(";")[0].strip()
        name = requirement.split("==")[0].strip().lower().replace("_", "-")
        if requirement and not requirement.startswith("#") and name not in _RUNTIME_PROVIDED:
            keep.append(line.strip())
    return "\n".join(keep) + "\n"


def _dependency_files(site: Path) -> Iterator[tuple[str, Path]]:
    for path in site.rglob("*"):
        rel = path.relative_to(site).as_posix()
        parts = rel.split("/")
        metadata = parts[0].endswith(".dist-info") and parts[-1] in _DROPPED_METADATA
        if path.is_file() and parts[0] not in _DROPPED_TOP and not (metadata or _is_bytecode(rel)):
            yield rel, path


def _write_zip(entries: dict[str, Path], directory: Path) -> Path:
    """Write `entries` in path order with fixed metadata, so equal inputs give equal bytes."""
    fd, name = tempfile.mkstemp(prefix=".spapi-lake-lambda-", suffix=".zip.tmp", dir=directory)
    os.close(fd)
    try:
        os.chmod(name, 0o644)  # mkstemp's 0600 would leave the artifact unreadable to others
        with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as archive:
            for rel in sorted(entries):
                info = zipfile.ZipInfo(rel, date_time=_ZIP_TIME)
                info.external_attr, info.create_system = _FILE_MODE, _UNIX
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[rel].read_bytes(), compresslevel=_LEVEL)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", choices=ARCHITECTURES, default="arm64")
    parser.add_argument(
        "--artifact", choices=ARTIFACTS, action="append", help="repeatable; default: both"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if an artifact is stale")
    parser.add_argument("--out-dir", type=Path, default=None, help="default: build/lambda")
    args = parser.parse_args(argv)
    for kind in args.artifact or ARTIFACTS:
        try:
            path = artifact_path(args.arch, args.out_dir, kind)
            if args.check and is_stale(args.arch, args.out_dir, kind):
                print(
                    f"{path} is missing or stale; run `make package ARCH={args.arch}`",
                    file=sys.stderr,
                )
                return 1
            data = (path if args.check else build(args.arch, args.out_dir, kind)).read_bytes()
        except (PackagingError, OSError) as exc:
            print(f"lambda_package: {exc}", file=sys.stderr)
            return 1
        print(f"{path} {len(data) / 1e6:.2f} MB sha256={hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
