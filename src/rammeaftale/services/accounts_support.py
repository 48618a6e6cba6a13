"""What the accounts use cases share: the rule set of a year, the operator's offer, the API's JSON body.

Handbook § 7. ``services/accounts.py`` (submit), ``services/reserves.py`` (the ledger) and
``services/accounts_queries.py`` (reads and overviews) build on these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.accounts_repositories import StoredAccounts, StoredRegulation
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.json_accounts import WHAT
from rammeaftale.adapters.json_submission import json_path, load_json_object
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset, ruleset_for
from rammeaftale.domain.accounts_submission import AccountsSubmission, build_accounts_submission
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.registry import Offer
from rammeaftale.domain.rules import RuleSet
from rammeaftale.services.access import can_manage_offer_submissions, can_read_submissions
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Forbidden, InvalidSubmission, NotFound


def accounts_rules(uow: UnitOfWork, region_code: int, year: int) -> RuleSet:
    """The rule set of the region and year; a year without one is a finding (422), never a crash."""
    ruleset_id = uow.organisations.period_ruleset(region_code, year)
    try:
        return get_ruleset(ruleset_id) if ruleset_id else ruleset_for(region_code, year)
    except UnknownRuleSet as exc:
        raise InvalidSubmission(str(exc), [Finding("R-CYC-01", Severity.ERROR, str(exc), "accounts_year")]) from exc


def offer_for_operator(uow: UnitOfWork, actor: Actor, offer_id: int) -> Offer:
    """The offer, when the actor is its operator; another organisation's offer answers NotFound."""
    offer = uow.offers.get(offer_id)
    if offer is None or not can_read_submissions(actor, offer):
        raise NotFound("Tilbuddet findes ikke.")
    if not can_manage_offer_submissions(actor, offer):
        raise Forbidden("Kun tilbuddets driftsherre kan indsende regnskaber og bruge hensættelser.")
    return offer


def read_accounts_json(raw: bytes | str) -> tuple[AccountsSubmission | None, list[Finding], object]:
    """The API's JSON body: the accounts format (docs/accounts-submission-json.md) plus an optional
    ``purchases`` object (kommunekode -> purchases in the accounts year) for an early repayment (R-SUR-07).

    Any other unknown field is a finding. Raises ``UnreadableInput`` for what is not a JSON object.
    """
    data = load_json_object(raw, WHAT)
    purchases = data.pop("purchases", None)
    submission, findings = build_accounts_submission(data)
    return submission, [f.located(json_path(f.field)) for f in findings], purchases


def purchases_by_kommunekode(uow: UnitOfWork, raw: object) -> tuple[dict[int, Decimal], list[Finding]]:
    """Purchases entered as ``{kommunekode: amount}`` mapped to the buyers' organisation ids (R-SUR-07)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [error("R-SUR-07", "purchases", "Købene skal angives som kommunekode og beløb.")]
    found: dict[int, Decimal] = {}
    findings: list[Finding] = []
    for code, value in raw.items():
        path = f"purchases.{str(code)[:20]}"
        text = str(code).strip()
        buyer = (
            uow.organisations.by_kommunekode(int(text))
            if text.isascii() and text.isdigit() and len(text) <= 4
            else None
        )
        if buyer is None:
            findings.append(error("R-SUR-07", path, "Der er ingen kommune med denne kommunekode."))
            continue
        try:
            found[buyer.id] = amount(value)
        except (MoneyError, ValueError, TypeError):
            findings.append(error("R-SUR-07", path, "Købet skal være et beløb."))
    return found, [f.located(json_path(f.field)) for f in findings]


def accounts_state(a: StoredAccounts, regulations: Sequence[StoredRegulation]) -> dict[str, Any]:
    """What the audit trail records of an accounts version (the full data stays in the row)."""
    return {
        "version": a.version,
        "cost_base": f"{a.cost_base:.2f}",
        "cost_base_source": a.cost_base_source,
        "result": f"{a.result:.2f}",
        "percent": f"{a.percent:.2f}",
        "kind": a.kind,
        "excess": f"{a.excess:.2f}",
        "tariff_effect": f"{a.tariff_effect:.2f}",
        "due_year": a.due_year,
        "reserved": f"{a.reserved:.2f}",
        "late": a.late,
        "regulations": [
            {"kind": r.kind, "budget_year": r.budget_year, "amount": f"{r.total:.2f}"} for r in regulations
        ],
    }


def kr(value: Decimal) -> str:
    """A Danish amount in a finding's message ('12.000.000,00 kr.'); renderers format everything else."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):.2f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{fraction} kr."


def error(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.ERROR, message, field)


def purchases_from_billing(uow: UnitOfWork, offer_id: int, year: int) -> dict[int, Decimal] | None:
    """R-SUR-07: each buyer organisation's billed purchases of the offer in the accounts year; None without billing."""
    by_kommunekode = uow.billing.purchases_of_offer(offer_id, year)
    purchases: dict[int, Decimal] = {}
    for code, total in by_kommunekode.items():
        buyer = uow.organisations.by_kommunekode(code)
        if buyer is not None and total > 0:
            purchases[buyer.id] = total
    return purchases or None
