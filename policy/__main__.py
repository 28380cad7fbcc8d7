"""The policy pack Pulumi runs for `pulumi preview --policy-pack policy`."""

from __future__ import annotations

import sys
from pathlib import Path

# Pulumi runs this directory with policy/ itself first on sys.path: put the repository there
# instead, so the rules are imported as `policy.<module>`, as tests/infra and mypy import them.
_POLICY = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _POLICY]
if str(_POLICY.parent) not in sys.path:
    sys.path.insert(0, str(_POLICY.parent))

from pulumi_policy import PolicyPack

from policy.pack import ENFORCEMENT, NAME, policies

PolicyPack(NAME, policies(), enforcement_level=ENFORCEMENT)
