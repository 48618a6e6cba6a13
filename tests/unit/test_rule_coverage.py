"""Every handbook rule id the code uses has a test whose name names it (the project's standing rule)."""

from __future__ import annotations

import re
from pathlib import Path

import rammeaftale

RULE_ID = re.compile(r"R-[A-Z]{2,4}-\d{2}")
TESTS = Path(__file__).parents[1]


def rule_ids_in(folder: Path, pattern: str) -> set[str]:
    return {m for p in folder.rglob(pattern) for m in RULE_ID.findall(p.read_text(encoding="utf-8"))}


def rule_ids_in_test_names() -> set[str]:
    names = {m for p in TESTS.rglob("test_*.py") for m in re.findall(r"def (test_\w+)", p.read_text(encoding="utf-8"))}
    return {m.upper().replace("_", "-") for name in names for m in re.findall(r"r_[a-z]{2,4}_\d{2}", name)}


def test_every_rule_id_in_the_code_has_a_test_named_after_it():
    package = Path(rammeaftale.__file__).parent
    used = rule_ids_in(package, "*.py") | rule_ids_in(package, "*.toml") | rule_ids_in(package, "*.html")
    assert sorted(used - rule_ids_in_test_names()) == []
