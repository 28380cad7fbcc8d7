"""The README's tables and sample queries are the registry's, not a copy that drifts."""

from __future__ import annotations

import pytest

from tools import readme


@pytest.mark.parametrize("section", sorted(readme.SECTIONS))
def test_the_readme_section_matches_what_the_registry_generates(section):
    text = readme.README.read_text(encoding="utf-8")

    written = readme.current(text, section)

    assert written is not None, f"README lacks the {section} markers"
    assert written == readme.SECTIONS[section]().rstrip() + "\n", (
        f"README's {section} are stale: run `python tools/readme.py`"
    )
