"""Objective financing and drawing rights (handbook § 10), paid on account and trued up at year end (R-SET-12).

A yearly amount is shared by a key (R-OBJ-01): population, a sub-population or historical use. The shares are
whole kroner that add up exactly to the amount: each municipality gets the whole-krone part of its exact share,
then one krone more goes to those with the largest remaining fractions until the amount is reached (largest
remainder, R-OBJ-02; ties go to the earlier municipality in the key). Holders of a drawing right use the
service without per-use billing (R-OBJ-03): settlement shows their days at 0 kr.

On account (R-SET-12): each municipality's yearly share is paid in the rule set's
``on_account_installments_per_year`` whole-krone installments, shared by largest remainder too (the earlier
installments take the odd kroner), so the installments add up to the share. At year end the actual amount is
shared by the (same or the actual) key and each municipality pays the difference, or has it refunded: the
differences add up exactly to the actual amount less what was paid on account.

Pure functions and frozen values; nothing reads the clock, the database or files. Municipalities are named
by a text (a name or a kommunekode), as they appear in the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rammeaftale.domain.invoices import DocumentKind, Invoice
from rammeaftale.domain.money import ZERO, MoneyError, largest_remainder
from rammeaftale.domain.periods import Period, month_period
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import InvoiceLine, LineKind

Weights = Mapping[str, Decimal] | Sequence[tuple[str, Decimal]]


class FinancingError(ValueError):
    """An amount or a key the financing rules cannot share; the message is Danish."""


class KeyKind(StrEnum):
    """R-OBJ-01: what the key's weights are."""

    POPULATION = "population"
    SUB_POPULATION = "sub_population"
    HISTORICAL_USE = "historical_use"


KEY_KIND_LABELS = {
    KeyKind.POPULATION: "Befolkningstal",
    KeyKind.SUB_POPULATION: "Delbefolkning (fx 0–17-årige)",
    KeyKind.HISTORICAL_USE: "Historisk forbrug",
}


def _whole_kroner(value: Decimal, what: str) -> int:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise FinancingError(f"{what} skal være et præcist beløb.")
    if value != value.to_integral_value():
        raise FinancingError(f"{what} skal være hele kroner (R-OBJ-02).")
    return int(value)


def _pairs(weights: Weights) -> tuple[tuple[str, Decimal], ...]:
    pairs = tuple(weights.items()) if isinstance(weights, Mapping) else tuple(weights)
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise FinancingError("En kommune står mere end én gang i fordelingsnøglen.")
    for name, weight in pairs:
        if isinstance(weight, bool) or not isinstance(weight, (Decimal, int)):
            raise FinancingError(f"Vægten for {name} skal være et præcist tal.")
        if not Decimal(weight).is_finite() or weight < 0:
            raise FinancingError(f"Vægten for {name} kan ikke være negativ.")
    if not pairs or sum((Decimal(w) for _, w in pairs), ZERO) == ZERO:
        raise FinancingError("Fordelingsnøglen skal have mindst én positiv vægt.")
    return tuple((name, Decimal(weight)) for name, weight in pairs)


def _integer_weights(weights: Sequence[Decimal]) -> list[int]:
    places = 0
    for w in weights:
        exponent = w.as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return [int(w.scaleb(places)) for w in weights]


def _share(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Whole kroner by largest remainder; a negative total is shared as its size and every part negated."""
    try:
        parts = largest_remainder(abs(total), _integer_weights(weights))
    except MoneyError as exc:
        raise FinancingError(str(exc)) from exc
    return [-p for p in parts] if total < 0 else parts


@dataclass(frozen=True)
class Allocation:
    municipality: str
    weight: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Distribution:
    """R-OBJ-02: an amount shared in whole kroner; the allocations add up exactly to it."""

    amount: Decimal
    allocations: tuple[Allocation, ...]
    rule_id: str = "R-OBJ-02"

    def __post_init__(self) -> None:
        if sum((a.amount for a in self.allocations), ZERO) != self.amount:
            raise FinancingError("Andelene skal tilsammen give beløbet.")

    @property
    def total(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)

    def share_of(self, municipality: str) -> Decimal:
        for a in self.allocations:
            if a.municipality == municipality:
                return a.amount
        return ZERO


def distribute(amount: Decimal, weights: Weights) -> Distribution:
    """R-OBJ-02: ``amount`` (whole kroner) shared by ``weights`` in whole kroner by largest remainder.

    Weights are exact numbers (a population, a sub-population, a number of days used: R-OBJ-01), none
    negative and at least one positive; the shares are in the key's order and add up exactly to the amount.
    """
    kroner = _whole_kroner(amount, "Beløbet")
    pairs = _pairs(weights)
    parts = _share(kroner, [w for _, w in pairs])
    allocations = tuple(Allocation(name, w, Decimal(p)) for (name, w), p in zip(pairs, parts, strict=True))
    return Distribution(Decimal(kroner), allocations)


@dataclass(frozen=True)
class ObjectiveFinancing:
    """An offer's objective financing for one year (R-OBJ-01): the amount and the key it is shared by.

    With ``drawing_right`` the municipalities in the key (weight above 0) hold a drawing right: they use the
    offer that year without per-use billing (R-OBJ-03).
    """

    offer: str
    year: int
    amount: Decimal
    key_kind: KeyKind
    weights: tuple[tuple[str, Decimal], ...]
    drawing_right: bool = True

    def __post_init__(self) -> None:
        _whole_kroner(self.amount, "Beløbet")
        _pairs(self.weights)

    def distribution(self) -> Distribution:
        return distribute(self.amount, self.weights)

    @property
    def holders(self) -> frozenset[str]:
        return frozenset(name for name, weight in self.weights if weight > ZERO) if self.drawing_right else frozenset()

    def covers(self, municipality: str, day: date) -> bool:
        """R-OBJ-03: ``municipality`` uses the offer on ``day`` under its drawing right (no per-use billing)."""
        return day.year == self.year and municipality in self.holders


@dataclass(frozen=True)
class Installment:
    municipality: str
    number: int  # 1 … installments per year
    amount: Decimal


def on_account_plan(distribution: Distribution, rules: RuleSet) -> tuple[Installment, ...]:
    """R-SET-12: each municipality's yearly share as ``on_account_installments_per_year`` whole-krone
    installments that add up to the share (the earlier installments take the odd kroner)."""
    count = installment_count(rules)
    plan: list[Installment] = []
    for a in distribution.allocations:
        parts = _share(_whole_kroner(a.amount, "Andelen"), [Decimal(1)] * count)
        plan += [Installment(a.municipality, n + 1, Decimal(p)) for n, p in enumerate(parts)]
    return tuple(plan)


@dataclass(frozen=True)
class TrueUpLine:
    """One municipality at year end: paid on account, its final share, and the difference (+ it pays more,
    − it is refunded)."""

    municipality: str
    paid_on_account: Decimal
    final_share: Decimal

    @property
    def difference(self) -> Decimal:
        return self.final_share - self.paid_on_account


@dataclass(frozen=True)
class TrueUp:
    """R-SET-12: the year-end true-up of on-account payments against the actual amount."""

    actual: Decimal
    final: Distribution
    lines: tuple[TrueUpLine, ...]
    rule_id: str = "R-SET-12"

    def __post_init__(self) -> None:
        if sum((line.final_share for line in self.lines), ZERO) != self.actual:
            raise FinancingError("De endelige andele skal tilsammen give det faktiske beløb.")

    @property
    def paid_on_account(self) -> Decimal:
        return sum((line.paid_on_account for line in self.lines), ZERO)

    @property
    def total_difference(self) -> Decimal:
        return sum((line.difference for line in self.lines), ZERO)


def true_up(paid_on_account: Mapping[str, Decimal], actual: Decimal, weights: Weights) -> TrueUp:
    """R-SET-12: share the actual amount by the key (R-OBJ-02) and settle each municipality's difference to
    what it paid on account. A municipality that paid but is no longer in the key gets it all back."""
    final = distribute(actual, weights)
    names = [a.municipality for a in final.allocations]
    names += [m for m in paid_on_account if m not in names]
    for m in names:
        _whole_kroner(paid_on_account.get(m, ZERO), f"A conto-betalingen for {m}")
    lines = tuple(TrueUpLine(m, paid_on_account.get(m, ZERO), final.share_of(m)) for m in names)
    return TrueUp(final.amount, final, lines)


def paid_so_far(plan: Sequence[Installment], through: int) -> dict[str, Decimal]:
    """What each municipality has paid after installment number ``through`` (R-SET-12)."""
    paid: dict[str, Decimal] = {}
    for i in plan:
        paid.setdefault(i.municipality, ZERO)
        if i.number <= through:
            paid[i.municipality] += i.amount
    return paid


# --- the invoices of objective financing ----------------------------------------------------------------


def installment_count(rules: RuleSet) -> int:
    """R-SET-12: the rule set's installments per year; they must split the year into whole months."""
    count = rules.integer("on_account_installments_per_year")
    if count < 1 or 12 % count:
        raise FinancingError("Antallet af a conto-rater om året skal gå op i 12 måneder (R-SET-12).")
    return count


def installment_period(year: int, number: int, count: int) -> Period:
    """The months an installment covers: with 12 a year, installment 3 is March; with 4, July–September."""
    if not 1 <= number <= count or 12 % count:
        raise FinancingError(f"Raten {number} findes ikke; året har {count} rater (R-SET-12).")
    months = 12 // count
    first = month_period(year, (number - 1) * months + 1)
    last = month_period(year, number * months)
    return Period(first.start, last.end)


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def _one_line(reference: str, kind: LineKind, label: str, period: Period, amount: Decimal) -> InvoiceLine:
    """One line of ``amount`` (1 × the amount, or −1 × its size for a refund), R-SET-12; the line names the
    offer, since objective financing bills no placement."""
    quantity = Decimal(1) if amount >= ZERO else Decimal(-1)
    return InvoiceLine(reference, kind, label, period, quantity, "enhed", abs(amount), amount, "R-SET-12")


def on_account_invoice(
    operator: int,
    payer: int,
    financing: ObjectiveFinancing,
    installment: Installment,
    count: int,
    issued_on: date,
    due_on: date,
) -> Invoice | None:
    """R-SET-12: the invoice of one on-account installment to one municipality (None for a 0 kr. installment)."""
    if installment.amount == ZERO:
        return None
    period = installment_period(financing.year, installment.number, count)
    label = (
        f"A conto-rate {installment.number} af {count}: objektiv finansiering af {financing.offer} "
        f"{financing.year} ({KEY_KIND_LABELS[financing.key_kind].lower()})"
    )
    line = _one_line("", LineKind.ON_ACCOUNT, label, period, installment.amount)
    return Invoice(operator, payer, period, issued_on, due_on, (line,), line.amount)


def true_up_document(
    operator: int,
    payer: int,
    financing: ObjectiveFinancing,
    line: TrueUpLine,
    issued_on: date,
    due_on: date,
    credits: str,
) -> Invoice | None:
    """R-SET-12: the year-end difference of one municipality: an invoice when it pays more, a credit note
    (crediting ``credits``, its last on-account invoice) when it is refunded, nothing when it is even."""
    difference = line.difference
    if difference == ZERO:
        return None
    period = year_period(financing.year)
    label = (
        f"Årsafregning af objektiv finansiering af {financing.offer} {financing.year}: endelig andel "
        f"{line.final_share:.0f} kr. − betalt a conto {line.paid_on_account:.0f} kr."
    )
    item = _one_line("", LineKind.TRUE_UP, label, period, difference)
    if difference > ZERO:
        return Invoice(operator, payer, period, issued_on, due_on, (item,), item.amount)
    if not credits:
        raise FinancingError(f"Kommunen {payer} får penge tilbage, men har ingen a conto-faktura at kreditere.")
    return Invoice(
        operator, payer, period, issued_on, issued_on, (item,), item.amount, DocumentKind.CREDIT_NOTE, "", credits
    )
