"""`make typecheck` really checks the Pulumi program: the names infra/__main__.py imports keep
their types, an unknown name or a wrong argument fails, and a ./lake directory (what `make demo`
writes) changes nothing."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.synth import ROOT

# As the Makefile's typecheck runs it; the shared cache keeps pulumi_aws from being re-analysed.
MYPY = (
    sys.executable,
    "-m",
    "mypy",
    "--explicit-package-bases",
    "--config-file",
    str(ROOT / "pyproject.toml"),
    "--cache-dir",
    str(ROOT / ".mypy_cache"),
)
PACKAGES = ("infra", "policy")
REVEALED = re.compile(r'^(?P<file>[^:]+):(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')


def ours(package: str) -> set[str]:
    return {p.stem for p in (ROOT / package).glob("*.py")} - {"__init__", "__main__"}


def mypy(cwd: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [*MYPY, *targets], cwd=cwd, capture_output=True, text=True, timeout=540, check=False
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The repository's shape (infra/, policy/ and src/ linked in), where a test may add a ./lake
    without touching the real checkout."""
    for name in (*PACKAGES, "src"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    return tmp_path


def program_with(checkout: Path, name: str, extra: str) -> str:
    """infra/__main__.py with `extra` appended, as a file of its own in `checkout`."""
    text = (ROOT / "infra" / "__main__.py").read_text(encoding="utf-8")
    (checkout / f"{name}.py").write_text(f"{text}\n{extra}\n", encoding="utf-8")
    return f"{name}.py"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_import_of_our_modules_names_its_package(package):
    """`from lake import Lake` would resolve only through sys.path[0] at run time, and mypy
    (which ignores missing imports) would call it Any; `from infra.lake import Lake` is checked."""
    siblings = ours(package)
    for path in sorted((ROOT / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            assert not set(tops) & siblings, f"{path.name}:{node.lineno} imports {tops}"


@pytest.mark.timeout(600)
def test_mypy_knows_the_type_of_every_name_the_program_imports_from_infra(checkout):
    tree = ast.parse((ROOT / "infra" / "__main__.py").read_text(encoding="utf-8"))
    names = [
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("infra")
        for alias in node.names
    ]
    assert len(names) >= 20
    probe = program_with(checkout, "probe", "\n".join(f"reveal_type({n})" for n in names))
    result = mypy(checkout, probe)
    assert result.returncode == 0, result.stdout
    revealed = [m["type"] for m in map(REVEALED.match, result.stdout.splitlines()) if m]
    assert len(revealed) == len(names), result.stdout
    assert [(n, t) for n, t in zip(names, revealed, strict=True) if t == "Any"] == []


@pytest.mark.timeout(600)
def test_mypy_rejects_an_unknown_name_and_a_wrong_argument_in_the_program(checkout):
    unknown = program_with(checkout, "unknown_name", "from infra.lake import NoSuchThing")
    missing_retention = 'Lake("x", LakeArgs(prefix, key.arn, account))'
    wrong = program_with(checkout, "wrong_argument", missing_retention)
    result = mypy(checkout, unknown, wrong)
    assert result.returncode == 1
    assert 'Module "infra.lake" has no attribute "NoSuchThing"' in result.stdout
    assert re.search(r"wrong_argument\.py:\d+: error: Missing positional argument", result.stdout)
    assert "Found 2 errors in 2 files" in result.stdout, result.stdout


@pytest.mark.timeout(600)
def test_a_lake_directory_at_the_root_changes_nothing(checkout):
    """`make demo` writes ./lake, which once shadowed the program's `lake` module for mypy."""
    before = mypy(checkout, *PACKAGES)
    demo = checkout / "lake" / "raw" / "report_type=X" / "seller_id=Y" / "dt=2024-01-01"
    demo.mkdir(parents=True)
    (demo / "1.tsv").write_text("sku\tprice\n", encoding="utf-8")
    (checkout / "lake" / "__init__.py").write_text("", encoding="utf-8")  # the worst case
    after = mypy(checkout, *PACKAGES)
    assert before.returncode == 0, before.stdout
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout)
