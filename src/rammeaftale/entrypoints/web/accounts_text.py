"""An accounts version's consequences in plain Danish, each sentence with the rule ids it applies (§ 7).

Only words: every figure is the one stored with the accounts (``StoredAccounts``), their regulations and
the ledger entries they booked; the rules were applied by the domain when the accounts were submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.adapters.db.accounts_repositories import REPAYMENT, StoredAccounts, StoredEntry, StoredRegulation
from rammeaftale.adapters.documents.formatting import format_amount, format_date, format_kr, format_pct
from rammeaftale.domain.rules import RuleSet

ZERO = Decimal(0)
TARIFF_BASIS = {"tariff": "årets godkendte takst", "stated": "grundlaget, regnskabet selv angiver"}


@dataclass(frozen=True)
class Sentence:
    text: str
    rule_ids: tuple[str, ...]


def _pct(rules: RuleSet | None, key: str) -> str:
    return f"{format_amount(rules.decimal(key), 0)} %" if rules is not None else "grænsen"


def consequences(
    a: StoredAccounts,
    regulations: Sequence[StoredRegulation],
    entries: Sequence[StoredEntry],
    rules: RuleSet | None,
) -> list[Sentence]:
    """What the rules made of the result, in the order the handbook (§ 7) gives them."""
    surplus = a.kind == "surplus"
    said: list[Sentence] = []
    basis = TARIFF_BASIS.get(a.cost_base_source, a.cost_base_source)
    word = "overskud" if surplus else "underskud"
    said.append(
        Sentence(
            f"Indtægter {format_kr(a.income_total)} − omkostninger {format_kr(a.costs_total)} giver et {word} på "
            f"{format_kr(abs(a.result))}, det er {format_pct(a.percent)} af takstberegningsgrundlaget "
            f"{format_kr(a.cost_base)} ({basis}).",
            ("R-SUR-01",) if surplus else ("R-SUR-04",),
        )
    )
    if a.result == ZERO:
        said.append(Sentence("Resultatet er 0 kr.; det har ingen konsekvens for taksten.", ()))
        return said
    if surplus:
        said += _surplus(a, regulations, entries, rules)
    else:
        said += _deficit(a, rules)
    tariff = [r for r in regulations if r.kind != REPAYMENT]
    interest = sum((r.interest for r in tariff), ZERO)
    if tariff and rules is not None:
        rate = format_amount(rules.decimal("carry_forward_interest_pct"))
        if interest != ZERO:
            text = (
                f"Beløb, der føres videre til en senere takst, forrentes med {rate} % om året, samme sats begge "
                f"veje; renterne er {format_kr(abs(interest))} i alt."
            )
        else:
            text = (
                f"Beløb, der føres videre, forrentes med regelsættets sats ({rate} % om året, samme sats begge veje)."
            )
        said.append(Sentence(text, ("R-SUR-06",)))
    if a.late:
        deadline = rules.accounts_deadline(a.accounts_year) if rules is not None else None
        when = f" (fristen var {format_date(deadline)})" if deadline is not None else ""
        said.append(
            Sentence(f"Regnskabet er modtaget efter fristen{when}; det er gemt og markeret for sent.", ("R-CYC-01",))
        )
    return said


def _surplus(
    a: StoredAccounts, regulations: Sequence[StoredRegulation], entries: Sequence[StoredEntry], rules: RuleSet | None
) -> list[Sentence]:
    said = []
    limit = _pct(rules, "reserve_max_pct")
    within = (
        f"Op til {limit} af grundlaget ({format_kr(a.limit)}) må hensættes i stedet for at nedsætte taksten; "
        f"{format_kr(a.within_limit)} af overskuddet er inden for grænsen."
    )
    said.append(Sentence(within, ("R-SUR-01",)))
    if a.reserved > ZERO:
        expiry = sorted({e.entry.expiry_year for e in entries if e.entry.amount > ZERO})
        until = f" og skal bruges senest i {', '.join(map(str, expiry))}" if expiry else ""
        said.append(
            Sentence(
                f"{format_kr(a.reserved)} er hensat i driftsherrens hensættelser med oprindelsesår "
                f"{a.accounts_year}{until} – til underskud, effektivisering eller kvalitetsudvikling i tilbud, "
                "der er omfattet af rammeaftalen. En hensættelse, der ikke er brugt til tiden, udløber og "
                "nedsætter taksten.",
                ("R-SUR-01", "R-SUR-02"),
            )
        )
    unreserved = a.within_limit - a.reserved
    if unreserved > ZERO:
        said.append(
            Sentence(
                f"{format_kr(unreserved)} inden for grænsen er ikke hensat og nedsætter derfor taksten senest i "
                f"{a.due_year}.",
                ("R-SUR-01", "R-SUR-03"),
            )
        )
    if a.excess > ZERO:
        unless = ", hvis det ikke betales tilbage til køberne før" if a.early_repayment > ZERO else ""
        said.append(
            Sentence(
                f"{format_kr(a.excess)} ud over grænsen skal nedsætte taksten senest i {a.due_year} "
                f"(regnskabsåret + 2){unless}.",
                ("R-SUR-03",),
            )
        )
    if a.early_repayment > ZERO:
        repaid = [r for r in regulations if r.kind == REPAYMENT]
        years = sorted({r.budget_year for r in repaid})
        when = f" i {', '.join(map(str, years))}" if years else ""
        rest = a.excess - a.early_repayment
        tail = (
            f"; resten, {format_kr(rest)}, nedsætter taksten."
            if rest > ZERO
            else "; taksten nedsættes derfor ikke af overskridelsen."
        )
        said.append(
            Sentence(
                f"{format_kr(a.early_repayment)} af overskridelsen tilbagebetales{when} til køberne, fordelt efter "
                f"deres køb i {a.accounts_year}{tail}",
                ("R-SUR-07",),
            )
        )
    if a.excess == ZERO and unreserved == ZERO:
        said.append(Sentence("Hele overskuddet er inden for grænsen; taksten skal ikke reguleres.", ("R-SUR-01",)))
    return said


def _deficit(a: StoredAccounts, rules: RuleSet | None) -> list[Sentence]:
    said = [
        Sentence(
            f"Et underskud op til {_pct(rules, 'deficit_own_pct')} af grundlaget ({format_kr(a.limit)}) må ikke "
            f"indgå i taksten: driftsherren dækker selv {format_kr(a.within_limit)} ved effektivisering eller af "
            "sine hensættelser.",
            ("R-SUR-04",),
        )
    ]
    if a.excess > ZERO:
        if a.spread:
            text = (
                f"{format_kr(a.excess)} ud over grænsen forhøjer taksten. Tilbuddet er nyt, så underskuddet i det "
                f"første år fordeles over flere budgetår, det sidste {a.due_year}."
            )
            said.append(Sentence(text, ("R-SUR-05", "R-NEW-02")))
        else:
            text = (
                f"{format_kr(a.excess)} ud over grænsen skal forhøje taksten senest i {a.due_year} (regnskabsåret + 2)."
            )
            said.append(Sentence(text, ("R-SUR-05",)))
    else:
        said.append(Sentence("Hele underskuddet er inden for grænsen; taksten skal ikke reguleres.", ("R-SUR-04",)))
    return said
