"""Reading a Pulumi stack file (`Pulumi.<stack>.yaml`) into the shared config schema."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.graphql_queries import GraphQlQueryValidator, query_files
from domain.config import StackConfig, parse_stack_config
from domain.errors import ConfigError


def stack_file(stack: str, directory: Path | None = None) -> Path:
    return (directory or Path.cwd()) / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str, directory: Path | None = None) -> StackConfig:
    """Parse `Pulumi.<stack>.yaml`; ConfigError names the missing file or the bad key. Query
    files are read relative to the stack file's directory (the project's, as for Pulumi)."""
    path = stack_file(stack, directory)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path.name} not found in {path.parent}: run from the project directory "
            "or create the stack file"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(f"{path.name}: no `config:` mapping")
    return parse_stack_config(
        config, read=query_files(path.parent), validator=GraphQlQueryValidator()
    )
