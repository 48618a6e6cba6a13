"""Refunds between municipalities (R-SET-01, R-REF-01): what the acting municipality recovers from the paying
one for a placement's month, and the health-service refund of the municipality where an offer lies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.periods import (
    Period,
    finite,
    kr_text,
    whole_ore,
)
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import (
    LINE_KIND_LABELS,
    InvoiceLine,
    LineKind,
    MonthBill,
    invoice_line,
)

# ---------------------------------------------------------------------------------------------------
# Refunds between municipalities (R-SET-01, R-REF-01)


@dataclass(frozen=True)
class RefundClaim:
    """A claim from one municipality on another; ``amount`` is what is claimed, by ``rule_id``."""

    claimant: int
    debtor: int
    placement_id: str
    period: Period
    amount: Decimal
    rule_id: str


def recovery_claim(bill: MonthBill) -> RefundClaim | None:
    """R-SET-01: the acting municipality recovers what it paid under the standard contract from the paying one."""
    payer = bill.payer
    if payer.recovers_from is None or bill.total == ZERO:
        return None
    return RefundClaim(payer.municipality, payer.recovers_from, bill.placement_id, bill.month, bill.total, "R-SET-01")


def claims_once_settled(bills: Iterable[MonthBill], paying_municipality: int) -> tuple[RefundClaim, ...]:
    """R-SET-01: once a doubtful paying municipality is settled, the acting municipality claims a refund of
    what it paid meanwhile (one claim per bill it paid while in doubt)."""
    return tuple(
        RefundClaim(b.payer.municipality, paying_municipality, b.placement_id, b.month, b.total, "R-SET-01")
        for b in bills
        if b.payer.in_doubt and b.payer.municipality != paying_municipality and b.total != ZERO
    )


@dataclass(frozen=True)
class HealthService:
    """A municipal health service (home care, dental care, physiotherapy …) given to a resident of an offer:
    in hours (priced at the region's common hourly price) or at a documented cost."""

    name: str
    period: Period
    hours: Decimal | None = None
    documented_cost: Decimal | None = None


@dataclass(frozen=True)
class HealthRefund:
    """R-REF-01: what the offer's municipality may claim from the paying municipality for one resident and
    period; ``claimed`` is False when the total is below the minimum claim."""

    claimant: int
    debtor: int
    placement_id: str
    period: Period
    lines: tuple[InvoiceLine, ...]
    minimum_claim: Decimal | None
    rule_id: str = "R-REF-01"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def claimed(self) -> bool:
        return self.total > ZERO and (self.minimum_claim is None or self.total >= self.minimum_claim)

    def claim(self) -> RefundClaim | None:
        if not self.claimed:
            return None
        return RefundClaim(self.claimant, self.debtor, self.placement_id, self.period, self.total, self.rule_id)


def health_refund(
    placement_id: str,
    offer_municipality: int,
    paying_municipality: int,
    period: Period,
    services: Sequence[HealthService],
    rules: RuleSet,
) -> tuple[HealthRefund | None, tuple[Finding, ...]]:
    """R-REF-01: the municipality where the offer lies claims its health services from the paying municipality.

    Hours are priced at the rule set's ``health_refund_hourly_price`` (rounded once per line, § 15); without a
    common price a service needs its documented cost. Below ``health_refund_minimum_claim`` no claim is made.
    None when the offer lies in the paying municipality (nothing to claim) or a service cannot be priced.
    """
    if offer_municipality == paying_municipality:
        return None, ()
    price = rules.optional_decimal("health_refund_hourly_price")
    lines: list[InvoiceLine] = []
    findings: list[Finding] = []
    for n, s in enumerate(services):
        label = f"{LINE_KIND_LABELS[LineKind.HEALTH_SERVICE]}: {s.name}"
        if s.hours is not None and price is not None:
            hours = finite(s.hours, "Timerne")
            lines.append(
                invoice_line(placement_id, LineKind.HEALTH_SERVICE, label, s.period, hours, "time", price, "R-REF-01")
            )
        elif s.documented_cost is not None:
            cost = whole_ore(s.documented_cost, "Udgiften")
            lines.append(
                invoice_line(
                    placement_id, LineKind.HEALTH_SERVICE, label, s.period, Decimal(1), "enhed", cost, "R-REF-01"
                )
            )
        else:
            findings.append(
                Finding(
                    "R-REF-01",
                    Severity.ERROR,
                    f"'{s.name}' kan ikke prissættes: regionen har ingen fælles timepris, så udgiften skal dokumenteres.",
                    f"services[{n}]",
                )
            )
    if findings:
        return None, tuple(findings)
    minimum = rules.optional_decimal("health_refund_minimum_claim")
    refund = HealthRefund(offer_municipality, paying_municipality, placement_id, period, tuple(lines), minimum)
    if not refund.claimed and minimum is not None and refund.total > ZERO:
        findings.append(
            Finding(
                "R-REF-01",
                Severity.WARNING,
                f"Kravet på {kr_text(refund.total)} er under bagatelgrænsen på {kr_text(minimum)}; der rejses intet krav.",
                "total",
            )
        )
    return refund, tuple(findings)
