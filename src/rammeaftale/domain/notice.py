"""Who pays (R-SET-01) and how long after a notice (R-SET-04 … R-SET-08, R-SET-10): the payer of a placement
and the outcome of its notice by the kind of offer. Pure values and functions; every term from the rule set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.periods import (
    SettlementError,
    day_text,
    end_of_month_plus,
)
from rammeaftale.domain.rules import RuleSet

# ---------------------------------------------------------------------------------------------------
# Who pays (R-SET-01)


class Contract(StrEnum):
    STANDARD = "standard"  # the national standard contract
    OLDER = "older"  # placements from before it


CONTRACT_LABELS = {Contract.STANDARD: "Standardkontrakt", Contract.OLDER: "Ældre kontrakt"}


@dataclass(frozen=True)
class Payer:
    """R-SET-01: who the invoice goes to, and from whom that municipality recovers the amount."""

    municipality: int
    recovers_from: int | None
    in_doubt: bool
    reason: str
    rule_id: str = "R-SET-01"


def payer_for(contract: Contract, acting: int, paying: int | None) -> Payer:
    """R-SET-01: under the standard contract the acting municipality pays and recovers from the paying one;
    older placements are billed to the paying municipality; while the paying municipality is in doubt
    (``paying`` is None) the acting municipality pays, and claims a refund once it is settled."""
    if paying is None:
        return Payer(
            acting, None, True, "Betalingskommunen er uafklaret: handlekommunen betaler, indtil det er afgjort."
        )
    if contract is Contract.OLDER:
        return Payer(paying, None, False, "Ældre kontrakt: betalingskommunen faktureres.")
    recovers = paying if paying != acting else None
    return Payer(acting, recovers, False, "Standardkontrakt: handlekommunen betaler og får udgiften refunderet.")


# ---------------------------------------------------------------------------------------------------
# Notice (R-SET-04 … R-SET-08, R-SET-10)


class OfferKind(StrEnum):
    STANDARD = "standard"  # R-SET-05
    SPECIAL = "special"  # R-SET-06: crisis centres, shelters, substance abuse treatment, some day offers
    SUBSTITUTION = "substitution"  # R-SET-07
    INTERIM = "interim"  # R-SET-08: given while waiting for a permanent offer


OFFER_KIND_LABELS = {
    OfferKind.STANDARD: "Almindeligt tilbud",
    OfferKind.SPECIAL: "Særligt aftalt tilbud (krisecenter, forsorgshjem, misbrugsbehandling m.fl.)",
    OfferKind.SUBSTITUTION: "Substitutionsbehandling",
    OfferKind.INTERIM: "Midlertidigt tilbud mens der ventes på et permanent",
}


@dataclass(frozen=True)
class Notice:
    """The end of a placement.

    ``given_on`` is the day the buyer gave the final date (R-SET-04: the notice counts from then);
    ``final_date`` the last day the citizen receives the service. A ``provisional`` notice counts only when
    the operator agrees. ``acute_closure``: the operator closed the offer acutely (R-SET-10).
    ``closing_costs_until``: documented closing costs of an interim offer paid to that day (R-SET-08).
    """

    given_on: date
    final_date: date
    provisional: bool = False
    operator_agrees: bool = False
    acute_closure: bool = False
    closing_costs_until: date | None = None


@dataclass(frozen=True)
class NoticeOutcome:
    """What is still paid: the service to ``paid_until``, supplements to ``supplements_until``, by ``rule_id``.

    Days after ``final_date`` up to ``paid_until`` are the notice period (R-SET-05, R-SET-07) or documented
    closing costs (R-SET-08).
    """

    final_date: date
    paid_until: date
    supplements_until: date
    rule_id: str

    def __post_init__(self) -> None:
        if self.paid_until < self.final_date or self.supplements_until > self.final_date:
            raise SettlementError("Ydelsen betales mindst til slutdatoen, tillægsydelser højst til slutdatoen.")


def notice_outcome(
    notice: Notice, kind: OfferKind, rules: RuleSet, *, agreed_notice_months: int | None = None
) -> tuple[NoticeOutcome | None, tuple[Finding, ...]]:
    """The notice rule for the offer's kind; supplements always stop at the end date (R-SET-05).

    - R-SET-04: a provisional notice without the operator's agreement does not count (None and a finding);
    - R-SET-10: an acute closure by the operator: only the days the citizen was enrolled;
    - R-SET-05: the service is paid in full to the end of the notice month + ``notice_extra_months`` (or the
      months agreed for the placement, "unless otherwise agreed");
    - R-SET-06: specially agreed offers: payment stops at the end date;
    - R-SET-07: substitution treatment: ``substitution_notice_days`` after the notice;
    - R-SET-08: an interim offer stops at the end date; documented closing costs may be paid beyond it, at
      most to the end of the notice month + ``interim_closing_costs_extra_months`` (a later date is cut, with
      a warning).
    """
    if notice.provisional and not notice.operator_agrees:
        return None, (
            Finding(
                "R-SET-04",
                Severity.ERROR,
                "En foreløbig opsigelse gælder kun, hvis driftsherren har accepteret den; opsigelsen regnes fra "
                "den dag, køberen giver en endelig slutdato.",
                "notice",
            ),
        )
    final = notice.final_date
    if notice.acute_closure:
        return NoticeOutcome(final, final, final, "R-SET-10"), ()
    if kind is OfferKind.SPECIAL:
        return NoticeOutcome(final, final, final, "R-SET-06"), ()
    if kind is OfferKind.SUBSTITUTION:
        until = notice.given_on + timedelta(days=rules.integer("substitution_notice_days"))
        return NoticeOutcome(final, max(final, until), final, "R-SET-07"), ()
    if kind is OfferKind.INTERIM:
        findings: tuple[Finding, ...] = ()
        paid = final
        if notice.closing_costs_until is not None and notice.closing_costs_until > final:
            cap = end_of_month_plus(notice.given_on, rules.integer("interim_closing_costs_extra_months"))
            paid = max(final, min(notice.closing_costs_until, cap))
            if notice.closing_costs_until > cap:
                findings = (
                    Finding(
                        "R-SET-08",
                        Severity.WARNING,
                        f"Lukkeomkostninger kan højst betales til {day_text(cap)}; perioden til "
                        f"{day_text(notice.closing_costs_until)} er afkortet.",
                        "notice.closing_costs_until",
                    ),
                )
        return NoticeOutcome(final, paid, final, "R-SET-08"), findings
    months = rules.integer("notice_extra_months") if agreed_notice_months is None else agreed_notice_months
    if months < 0:
        raise SettlementError("Et opsigelsesvarsel kan ikke være negativt.")
    return NoticeOutcome(final, max(final, end_of_month_plus(notice.given_on, months)), final, "R-SET-05"), ()
