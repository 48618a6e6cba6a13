"""Reads the rule-set TOML files shipped under ``rammeaftale/rulesets/`` (schema: domain.rules)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from rammeaftale.domain.rules import RuleSet, RuleSetError, parse_ruleset

RULESET_DIR = Path(str(resources.files("rammeaftale") / "rulesets"))


class UnknownRuleSet(LookupError):
    pass


def load_ruleset_file(path: Path) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError([f"{path.name}: ikke gyldig TOML: {exc}"]) from exc
    try:
        ruleset = parse_ruleset(data)
    except RuleSetError as exc:
        raise RuleSetError([f"{path.name}: {p}" for p in exc.problems]) from exc
    if ruleset.id != path.stem:
        raise RuleSetError([f"{path.name}: id '{ruleset.id}' svarer ikke til filnavnet"])
    return ruleset


@cache
def all_rulesets() -> tuple[RuleSet, ...]:
    return tuple(load_ruleset_file(p) for p in sorted(RULESET_DIR.glob("*.toml")))


def get_ruleset(ruleset_id: str) -> RuleSet:
    for ruleset in all_rulesets():
        if ruleset.id == ruleset_id:
            return ruleset
    raise UnknownRuleSet(f"Regelsættet '{ruleset_id}' findes ikke.")


def ruleset_for(region_code: int, budget_year: int) -> RuleSet:
    for ruleset in all_rulesets():
        if ruleset.region_code == region_code and ruleset.covers(budget_year):
            return ruleset
    raise UnknownRuleSet(f"Der er intet regelsæt for region {region_code} og år {budget_year}.")
