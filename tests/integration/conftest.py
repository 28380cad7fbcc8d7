"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from handlers.cli import app


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """`spapi-lake demo` once per session: the lake the query tests read. Tests that change a
    lake copy it first."""
    lake = tmp_path_factory.mktemp("demo") / "lake"
    result = CliRunner().invoke(app, ["demo", "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    return result, lake
