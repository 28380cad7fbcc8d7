"""Imports point inward: the hexagon's rules, checked on the source."""

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
OURS = {"domain", "adapters", "handlers", "wiring", "sandbox", "localcloud"}


def _imports(package: str) -> list[tuple[str, str]]:
    found = []
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(path.name, name.split(".")[0]) for name in names]
    return found


def test_the_domain_imports_only_the_standard_library_and_itself():
    bad = [
        (f, m) for f, m in _imports("domain") if m != "domain" and m not in sys.stdlib_module_names
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("adapters", {"handlers", "wiring", "sandbox", "localcloud"}),
        ("sandbox", {"adapters", "handlers", "wiring", "localcloud"}),
        ("wiring", {"handlers", "localcloud"}),
    ],
)
def test_outer_layers_do_not_reach_sideways_or_outward(package, forbidden):
    assert [(f, m) for f, m in _imports(package) if m in forbidden] == []
