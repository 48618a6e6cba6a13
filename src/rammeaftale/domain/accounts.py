"""Accounts: surplus and deficit under the 5 % rule, and the operators' reserve ledger (handbook § 7).

Pure functions and frozen values: everything (rule set, years, amounts, the day a file came in) is
passed in; nothing reads the clock, the database or files. Every limit, year count and rate comes from
the rule set (``reserve_max_pct``, ``deficit_own_pct``, ``excess_due_years``, ``deficit_excess_due_years``,
``reserve_use_years``, ``expired_reserve_due_years``, ``new_offer_loss_spread_years``,
``carry_forward_interest_pct``, ``accounts_deadline``).

Amounts are whole-øre ``Decimal`` kroner. A result is signed (+ surplus, − deficit); ``within_limit`` and
``excess`` are its two non-negative parts; a tariff effect is signed as it enters the tariff's regulation
line (R-TAR-08): negative lowers the tariff, positive raises it.

Input the rules cannot be applied to (no cost base, fractions of an øre) raises ``AccountsError``, as
``TariffError`` does for tariffs; a request the rules refuse (reserving more than allowed, using a reserve
that is not there or in an offer outside the agreement) returns ``Finding``s and changes nothing, as
validation does for submissions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import (
    ZERO,
    MoneyError,
    round_ore_half_up,
    round_percent,
    share_ore_by_weights,
    to_ore,
)
from rammeaftale.domain.registry import Offer
from rammeaftale.domain.rules import RuleSet

HUNDRED = Decimal(100)
ONE = Decimal(1)


class AccountsError(ValueError):
    """Figures the accounts rules cannot be applied to; the message is Danish."""


class ResultKind(StrEnum):
    SURPLUS = "surplus"
    DEFICIT = "deficit"


RESULT_KIND_LABELS = {ResultKind.SURPLUS: "Overskud", ResultKind.DEFICIT: "Underskud"}


def _whole_ore(value: Decimal, what: str) -> Decimal:
    if not value.is_finite():
        raise AccountsError(f"{what} er ikke et endeligt tal.")
    try:
        to_ore(value)
    except MoneyError as exc:
        raise AccountsError(f"{what}: {exc}") from exc
    return value


# ---------------------------------------------------------------------------------------------------
# The accounts submission: level and deadline


class AccountsLevel(StrEnum):
    """R-ACC-01: accounts per offer or per target group."""

    OFFER = "offer"
    TARGET_GROUP = "target_group"


ACCOUNTS_LEVEL_LABELS = {AccountsLevel.OFFER: "pr. tilbud", AccountsLevel.TARGET_GROUP: "pr. målgruppe"}


def check_accounts_level(level: AccountsLevel, earlier_levels: Iterable[AccountsLevel]) -> tuple[Finding, ...]:
    """R-ACC-01: accounts are given at the same level (offer or target group) every year."""
    earlier = {AccountsLevel(e) for e in earlier_levels}
    if not earlier or earlier == {level}:
        return ()
    used = " og ".join(sorted(ACCOUNTS_LEVEL_LABELS[e] for e in earlier))
    return (
        Finding(
            "R-ACC-01",
            Severity.ERROR,
            f"Regnskabet er aflagt {ACCOUNTS_LEVEL_LABELS[level]}, men tidligere år {used}; "
            "det skal aflægges på samme niveau hvert år.",
            "level",
        ),
    )


def check_accounts_deadline(accounts_year: int, received_on: date, rules: RuleSet) -> tuple[Finding, ...]:
    """R-CYC-01: accounts after the rule set's deadline are flagged (and listed, R-CYC-04), not dropped."""
    deadline = rules.accounts_deadline(accounts_year)
    if received_on <= deadline:
        return ()
    return (
        Finding(
            "R-CYC-01",
            Severity.WARNING,
            f"Regnskabet for {accounts_year} er modtaget {received_on:%d-%m-%Y}, efter fristen {deadline:%d-%m-%Y}.",
            "accounts_year",
        ),
    )


def accounts_result(income: Decimal, costs: Decimal) -> Decimal:
    """§ 7: result = income − costs (positive: surplus, negative: deficit)."""
    return _whole_ore(income, "Indtægter") - _whole_ore(costs, "Omkostninger")


def result_percent(result: Decimal, cost_base: Decimal) -> Decimal:
    """§ 7: the size of the result in percent of the year's tariff cost base, 2 decimals half-up (§ 15).

    Unsigned, like ``within_limit`` and ``excess``: the direction is the result's kind.
    """
    if not cost_base.is_finite() or cost_base <= ZERO:
        raise AccountsError("Takstberegningsgrundlaget skal være over 0 kr.")
    return round_percent(abs(result) / cost_base * HUNDRED)


# ---------------------------------------------------------------------------------------------------
# Interest on amounts carried forward (R-SUR-06)


def interest_years(accounts_year: int, budget_year: int) -> int:
    """R-SUR-06: whole years an amount is carried: those between the accounts year and its budget year.

    A 2023 result that enters the 2025 tariff is carried through 2024: one year.
    """
    return max(0, budget_year - accounts_year - 1)


def carry_forward_interest(amount: Decimal, accounts_year: int, budget_year: int, rules: RuleSet) -> Decimal:
    """R-SUR-06: interest on a surplus or deficit carried forward, at one rate both ways.

    Compounded yearly at the rule set's ``carry_forward_interest_pct``, rounded once to øre half-up; the
    interest has the sign of the amount (a carried surplus grows the reduction, a deficit the increase).
    """
    rate = rules.decimal("carry_forward_interest_pct") / HUNDRED
    years = interest_years(accounts_year, budget_year)
    return round_ore_half_up(amount * ((ONE + rate) ** years - ONE))


# ---------------------------------------------------------------------------------------------------
# Consequences of a result (R-SUR-01, R-SUR-03, R-SUR-04, R-SUR-05, R-NEW-02)


@dataclass(frozen=True)
class Installment:
    """One budget year's part of a tariff effect: ``amount`` signed as in the regulation line."""

    budget_year: int
    amount: Decimal
    interest: Decimal = ZERO

    @property
    def with_interest(self) -> Decimal:
        return self.amount + self.interest


@dataclass(frozen=True)
class Consequence:
    """What the rules make of one accounts year's result for one offer.

    ``within_limit`` is the part up to the limit (the reserve allowed for a surplus, R-SUR-01; the
    operator's own for a deficit, R-SUR-04); ``excess`` the part above it; ``tariff_effect`` the signed
    excess that must enter the tariff (R-SUR-03, R-SUR-05), by ``due_year`` at the latest, in
    ``installments`` (one, or spread for a new offer's first-year loss, R-NEW-02).
    """

    accounts_year: int
    cost_base: Decimal
    result: Decimal
    kind: ResultKind
    percent: Decimal
    limit: Decimal
    within_limit: Decimal
    excess: Decimal
    tariff_effect: Decimal
    due_year: int
    installments: tuple[Installment, ...]
    rule_ids: tuple[str, ...]
    spread: bool = False

    def __post_init__(self) -> None:
        if self.within_limit < ZERO or self.excess < ZERO:
            raise AccountsError("Delene af et resultat kan ikke være negative.")
        if self.within_limit + self.excess != abs(self.result):
            raise AccountsError("Delen inden for grænsen og overskridelsen skal tilsammen give resultatet.")
        if abs(self.tariff_effect) != self.excess:
            raise AccountsError("Takstvirkningen skal være overskridelsen med fortegn.")
        if sum((i.amount for i in self.installments), ZERO) != self.tariff_effect:
            raise AccountsError("Afdragene skal tilsammen give takstvirkningen.")

    @property
    def reserve_allowed(self) -> Decimal:
        """R-SUR-01: the most of a surplus that may be reserved instead of lowering the tariff."""
        return self.within_limit if self.kind is ResultKind.SURPLUS else ZERO

    @property
    def operator_covers(self) -> Decimal:
        """R-SUR-04: the part of a deficit the operator covers (efficiency or reserves)."""
        return self.within_limit if self.kind is ResultKind.DEFICIT else ZERO

    @property
    def interest(self) -> Decimal:
        """R-SUR-06: interest on the installments carried forward (0 while the rule set's rate is 0)."""
        return sum((i.interest for i in self.installments), ZERO)

    @property
    def tariff_effect_with_interest(self) -> Decimal:
        return self.tariff_effect + self.interest


def limit_amount(cost_base: Decimal, kind: ResultKind, rules: RuleSet) -> Decimal:
    """R-SUR-01 / R-SUR-04: the rule set's percentage of the cost base, to øre half-up."""
    pct = rules.decimal("reserve_max_pct" if kind is ResultKind.SURPLUS else "deficit_own_pct")
    return round_ore_half_up(cost_base * pct / HUNDRED)


def due_year(accounts_year: int, kind: ResultKind, rules: RuleSet) -> int:
    """R-SUR-03 / R-SUR-05: the latest budget year the excess may enter the tariff (accounts year + n)."""
    years = rules.integer("excess_due_years" if kind is ResultKind.SURPLUS else "deficit_excess_due_years")
    return accounts_year + years


def spread_installments(effect: Decimal, first_year: int, years: int) -> tuple[Installment, ...]:
    """R-NEW-02: a tariff effect in equal yearly parts from ``first_year``; the parts add up to it exactly
    (largest remainder in øre: the earlier years take the odd øre)."""
    if years < 1:
        raise AccountsError("Et underskud kan ikke fordeles over færre end 1 år.")
    parts = share_ore_by_weights(effect, [ONE] * years)
    return tuple(Installment(first_year + n, part) for n, part in enumerate(parts))


def assess_result(
    result: Decimal,
    cost_base: Decimal,
    accounts_year: int,
    rules: RuleSet,
    *,
    new_offer: bool = False,
) -> Consequence:
    """The consequences of one year's result measured against that year's tariff cost base (§ 7).

    - surplus: up to ``reserve_max_pct`` may be reserved (R-SUR-01); the excess must lower the tariff by
      accounts year + ``excess_due_years`` (R-SUR-03);
    - deficit: up to ``deficit_own_pct`` is the operator's own (R-SUR-04); the excess must raise the tariff
      by accounts year + ``deficit_excess_due_years`` (R-SUR-05);
    - a new offer's first-year deficit excess may be spread over ``new_offer_loss_spread_years`` budget
      years from that due year (R-NEW-02); ``due_year`` is then the last of them;
    - each installment carries interest to its budget year (R-SUR-06).

    ``new_offer`` says the accounts year is the offer's first; it changes nothing for a surplus. A result
    of 0 is reported as a surplus with nothing to do.
    """
    result = _whole_ore(result, "Resultatet")
    cost_base = _whole_ore(cost_base, "Takstberegningsgrundlaget")
    percent = result_percent(result, cost_base)
    kind = ResultKind.DEFICIT if result < ZERO else ResultKind.SURPLUS
    limit = limit_amount(cost_base, kind, rules)
    size = abs(result)
    within = min(size, limit)
    excess = size - within
    effect = ZERO - excess if kind is ResultKind.SURPLUS else excess  # never a negative zero
    latest = due_year(accounts_year, kind, rules)
    if kind is ResultKind.SURPLUS:
        rule_ids: tuple[str, ...] = ("R-SUR-01", "R-SUR-03")
    else:
        rule_ids = ("R-SUR-04", "R-SUR-05")
    spread = new_offer and kind is ResultKind.DEFICIT and excess > ZERO
    if spread:
        parts = spread_installments(effect, latest, rules.integer("new_offer_loss_spread_years"))
        rule_ids = (*rule_ids, "R-NEW-02")
        latest = parts[-1].budget_year
    else:
        parts = (Installment(latest, effect),)
    parts = tuple(
        replace(p, interest=carry_forward_interest(p.amount, accounts_year, p.budget_year, rules)) for p in parts
    )
    if any(p.interest != ZERO for p in parts):
        rule_ids = (*rule_ids, "R-SUR-06")
    return Consequence(
        accounts_year=accounts_year,
        cost_base=cost_base,
        result=result,
        kind=kind,
        percent=percent,
        limit=limit,
        within_limit=within,
        excess=excess,
        tariff_effect=effect,
        due_year=latest,
        installments=parts,
        rule_ids=rule_ids,
        spread=spread,
    )


# ---------------------------------------------------------------------------------------------------
# Early repayment of an excess surplus to the buyers (R-SUR-07)


@dataclass(frozen=True)
class BuyerShare:
    buyer_id: int
    purchases: Decimal
    share: Decimal


@dataclass(frozen=True)
class Repayment:
    """R-SUR-07: an excess surplus paid back to the buyers instead of lowering a future tariff.

    ``shares`` add up exactly to ``amount``; ``remaining_tariff_effect`` is what still lowers the tariff.
    """

    amount: Decimal
    year: int
    shares: tuple[BuyerShare, ...]
    remaining_tariff_effect: Decimal

    def __post_init__(self) -> None:
        if sum((s.share for s in self.shares), ZERO) != self.amount:
            raise AccountsError("Købernes andele skal tilsammen give tilbagebetalingen.")


def share_by_purchases(amount: Decimal, purchases: Mapping[int, Decimal]) -> tuple[BuyerShare, ...]:
    """R-SUR-07: ``amount`` shared by the buyers' purchases in the accounts year, to whole øre, adding up
    exactly (largest remainder; ties go to the lower buyer id)."""
    buyers = sorted(purchases)
    shares = share_ore_by_weights(amount, [purchases[b] for b in buyers])
    return tuple(BuyerShare(b, purchases[b], s) for b, s in zip(buyers, shares, strict=True))


def early_repayment(
    consequence: Consequence, amount: Decimal, year: int, purchases: Mapping[int, Decimal]
) -> tuple[Repayment | None, tuple[Finding, ...]]:
    """R-SUR-07: repay (part of) an excess surplus to the buyers before it is due in the tariff.

    Refused with findings (and no repayment) when there is no excess surplus, the amount is not between
    0 and the excess, the year is not after the accounts year and before the due year, or there are no
    purchases to share by.
    """
    findings: list[Finding] = []

    def refuse(field: str, message: str) -> None:
        findings.append(Finding("R-SUR-07", Severity.ERROR, message, field))

    if consequence.kind is not ResultKind.SURPLUS or consequence.excess == ZERO:
        refuse("amount", "Kun et overskud ud over grænsen kan tilbagebetales til køberne.")
    elif not amount.is_finite() or amount <= ZERO or amount > consequence.excess:
        refuse("amount", f"Tilbagebetalingen skal være over 0 og højst overskridelsen på {_kr(consequence.excess)}.")
    elif amount != round_ore_half_up(amount):
        refuse("amount", "Tilbagebetalingen skal angives i hele øre.")
    if not consequence.accounts_year < year < consequence.installments[0].budget_year:
        refuse(
            "year",
            f"Tilbagebetalingen skal ske efter regnskabsåret {consequence.accounts_year} og før "
            f"budgetåret {consequence.installments[0].budget_year}, hvor taksten ellers nedsættes.",
        )
    if any(not p.is_finite() or p < ZERO for p in purchases.values()) or sum(purchases.values(), ZERO) <= ZERO:
        refuse("purchases", "Der skal være køb i regnskabsåret at fordele efter, og ingen negative.")
    if findings:
        return None, tuple(findings)
    shares = share_by_purchases(amount, purchases)
    return Repayment(amount, year, shares, consequence.tariff_effect + amount), ()


# ---------------------------------------------------------------------------------------------------
# Closure (R-CLO-01)


class ClosureDestination(StrEnum):
    OTHER_OFFERS = "other_offers"  # the operator's other covered offers: their reserves or tariffs
    OPERATOR_COVERS = "operator_covers"  # a municipality without another covered offer covers a deficit
    REPAY_BUYERS = "repay_buyers"  # a surplus with nowhere to go is repaid to the buyers (R-SUR-07)
    REGION_BALANCE = "region_balance"  # a region carries it on its balance into its later tariffs


@dataclass(frozen=True)
class ClosureOutcome:
    """R-CLO-01: where a closing offer's balance goes; ``shares`` (offer id, signed amount) add up to it."""

    balance: Decimal
    destination: ClosureDestination
    shares: tuple[tuple[int, Decimal], ...] = ()

    def __post_init__(self) -> None:
        if self.shares and sum((a for _, a in self.shares), ZERO) != self.balance:
            raise AccountsError("Andelene skal tilsammen give det lukkede tilbuds saldo.")


def closure_outcome(
    balance: Decimal, operator_kind: str, other_covered_offers: Mapping[int, Decimal]
) -> ClosureOutcome:
    """R-CLO-01: a closing offer's surplus (+) or deficit (−) moves to the operator's other covered offers.

    ``other_covered_offers`` maps each other covered offer of the operator to its weight (its tariff cost
    base); the balance is shared by those weights to whole øre, adding up exactly. With no other covered
    offer a municipality covers a deficit and repays a surplus to the buyers; a region cannot finally carry
    a deficit (nor keep a surplus): it stays on its balance and enters its later tariffs.
    """
    balance = _whole_ore(balance, "Saldoen")
    weighted = {k: w for k, w in other_covered_offers.items() if w > ZERO}
    if other_covered_offers and not weighted:
        weighted = dict.fromkeys(other_covered_offers, ONE)
    if weighted:
        offers = sorted(weighted)
        parts = share_ore_by_weights(balance, [weighted[o] for o in offers])
        return ClosureOutcome(balance, ClosureDestination.OTHER_OFFERS, tuple(zip(offers, parts, strict=True)))
    if operator_kind == "region":
        return ClosureOutcome(balance, ClosureDestination.REGION_BALANCE)
    if balance < ZERO:
        return ClosureOutcome(balance, ClosureDestination.OPERATOR_COVERS)
    return ClosureOutcome(balance, ClosureDestination.REPAY_BUYERS)


# ---------------------------------------------------------------------------------------------------
# The reserve ledger (R-SUR-01, R-SUR-02, R-SUR-07, R-CLO-01)


class EntryKind(StrEnum):
    CREATED = "created"
    USED = "used"
    EXPIRED = "expired"
    TRANSFERRED = "transferred"
    REPAID = "repaid"


ENTRY_KIND_LABELS = {
    EntryKind.CREATED: "Hensat",
    EntryKind.USED: "Anvendt",
    EntryKind.EXPIRED: "Udløbet",
    EntryKind.TRANSFERRED: "Overført",
    EntryKind.REPAID: "Tilbagebetalt",
}


@dataclass(frozen=True)
class LedgerOffer:
    """What the ledger needs to know of an offer: whose it is and whether the agreement covers it (R-COV)."""

    id: int
    operator_id: int
    covered: bool

    @classmethod
    def of(cls, offer: Offer) -> LedgerOffer:
        return cls(offer.id, offer.operator.id, offer.covered)


@dataclass(frozen=True)
class ReserveEntry:
    """One append-only ledger line. ``amount`` is signed: + created or transferred in; − used, expired,
    repaid or transferred out. ``offer_id`` owns the reserve; ``origin_year`` is the accounts year it comes
    from and ``expiry_year`` the last year it may be used (R-SUR-02); ``booked_year`` when it happened;
    ``other_offer_id`` is the offer it was used in (used) or moved to or from (transferred)."""

    kind: EntryKind
    offer_id: int
    amount: Decimal
    origin_year: int
    expiry_year: int
    booked_year: int
    other_offer_id: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount != round_ore_half_up(self.amount):
            raise AccountsError("Et posteringsbeløb skal være et beløb i hele øre.")
        positive = self.kind is EntryKind.CREATED
        if self.amount == ZERO or (positive and self.amount < ZERO):
            raise AccountsError(f"En postering '{ENTRY_KIND_LABELS[self.kind]}' skal have et positivt beløb.")
        if self.kind in (EntryKind.USED, EntryKind.EXPIRED, EntryKind.REPAID) and self.amount > ZERO:
            raise AccountsError(f"En postering '{ENTRY_KIND_LABELS[self.kind]}' skal have et negativt beløb.")
        if self.expiry_year < self.origin_year:
            raise AccountsError("En hensættelse kan ikke udløbe før det år, den stammer fra.")

    @property
    def lot(self) -> tuple[int, int]:
        """The reserve the entry belongs to: (owning offer, year of origin)."""
        return (self.offer_id, self.origin_year)


@dataclass(frozen=True)
class ExpiredReserve:
    """R-SUR-02 (§ 15): a reserve unused after its years, lowering the offer's tariff in ``due_year``."""

    offer_id: int
    origin_year: int
    expiry_year: int
    amount: Decimal
    due_year: int

    @property
    def tariff_effect(self) -> Decimal:
        return -self.amount


def reserve_expiry_year(origin_year: int, rules: RuleSet) -> int:
    """R-SUR-02: the last year a reserve from ``origin_year`` may be used (origin + ``reserve_use_years``)."""
    return origin_year + rules.integer("reserve_use_years")


@dataclass(frozen=True)
class ReserveLedger:
    """One operator's reserves as an append-only list of entries; every balance is a sum of entries.

    Each method returns a new ledger with entries appended (never edits one) and no findings, or None and
    the findings that refused it. A ledger whose entries would make any reserve negative cannot be built.
    """

    operator_id: int
    entries: tuple[ReserveEntry, ...] = ()

    def __post_init__(self) -> None:
        running: dict[tuple[int, int], Decimal] = {}
        expiry: dict[tuple[int, int], int] = {}
        for entry in self.entries:
            running[entry.lot] = running.get(entry.lot, ZERO) + entry.amount
            if expiry.setdefault(entry.lot, entry.expiry_year) != entry.expiry_year:
                raise AccountsError("Posteringer på samme hensættelse skal have samme udløbsår.")
            if running[entry.lot] < ZERO:
                raise AccountsError("En hensættelses saldo kan ikke blive negativ.")

    # -- balances ------------------------------------------------------------------------------------

    def balance(self, offer_id: int | None = None) -> Decimal:
        """The sum of the entries: the operator's, or one offer's."""
        return sum((e.amount for e in self.entries if offer_id is None or e.offer_id == offer_id), ZERO)

    def lots(self, offer_id: int | None = None) -> dict[tuple[int, int], tuple[Decimal, int]]:
        """Each reserve (offer, origin year) with a balance above 0: (balance, expiry year)."""
        totals: dict[tuple[int, int], Decimal] = {}
        expiry: dict[tuple[int, int], int] = {}
        for e in self.entries:
            if offer_id is None or e.offer_id == offer_id:
                totals[e.lot] = totals.get(e.lot, ZERO) + e.amount
                expiry[e.lot] = e.expiry_year
        return {lot: (amount, expiry[lot]) for lot, amount in sorted(totals.items()) if amount > ZERO}

    def available(self, year: int) -> Decimal:
        """R-SUR-02: what may be used in ``year``: reserves from earlier years that have not expired."""
        return sum((a for (_, origin), (a, exp) in self.lots().items() if origin < year <= exp), ZERO)

    # -- changes -------------------------------------------------------------------------------------

    def _with(self, new: Iterable[ReserveEntry]) -> ReserveLedger:
        return ReserveLedger(self.operator_id, (*self.entries, *new))

    def _offer_findings(self, offer: LedgerOffer, rule_id: str, what: str) -> list[Finding]:
        if offer.operator_id != self.operator_id:
            return [_refusal(rule_id, "offer", f"{what} kan kun ske i driftsherrens egne tilbud.")]
        if not offer.covered:
            return [
                _refusal(rule_id, "offer", f"{what} kan ikke ske i et tilbud, der ikke er omfattet af rammeaftalen.")
            ]
        return []

    def reserve(
        self, consequence: Consequence, offer: LedgerOffer, rules: RuleSet, amount: Decimal | None = None
    ) -> LedgerChange:
        """R-SUR-01: put (part of) a surplus within the limit in reserve; expiry per R-SUR-02.

        ``amount`` defaults to all that is allowed. The reserves already made for the same offer and
        year count against the limit. (What is not reserved lowers the tariff like the excess.)
        """
        amount = consequence.reserve_allowed if amount is None else amount
        findings = self._offer_findings(offer, "R-SUR-01", "En hensættelse")
        origin = consequence.accounts_year
        already = sum(
            (e.amount for e in self.entries if e.kind is EntryKind.CREATED and e.lot == (offer.id, origin)), ZERO
        )
        if not _is_amount(amount) or amount <= ZERO:
            findings.append(_refusal("R-SUR-01", "amount", "Hensættelsen skal være et beløb over 0 i hele øre."))
        elif already + amount > consequence.reserve_allowed:
            findings.append(
                _refusal(
                    "R-SUR-01",
                    "amount",
                    f"Der må højst hensættes {_kr(consequence.reserve_allowed)} af overskuddet for {origin} "
                    f"({_kr(already)} er allerede hensat).",
                )
            )
        if findings:
            return None, tuple(findings)
        entry = ReserveEntry(
            EntryKind.CREATED, offer.id, amount, origin, reserve_expiry_year(origin, rules), origin + 1
        )
        return self._with([entry]), ()

    def use(self, offer: LedgerOffer, amount: Decimal, year: int, note: str = "") -> LedgerChange:
        """R-SUR-02: use reserves in one of the operator's covered offers (never outside the agreement).

        Drawn from the reserves that expire first; refused when it would take more than is available
        in ``year`` (the balance never goes negative) or the offer is not the operator's covered offer.
        """
        findings = self._offer_findings(offer, "R-SUR-02", "Brug af hensættelser")
        available = self.available(year)
        if not _is_amount(amount) or amount <= ZERO:
            findings.append(_refusal("R-SUR-02", "amount", "Beløbet skal være over 0 i hele øre."))
        elif amount > available:
            findings.append(
                _refusal(
                    "R-SUR-02",
                    "amount",
                    f"Der er {_kr(available)} til rådighed i hensættelser i {year}; {_kr(amount)} kan ikke bruges.",
                )
            )
        if findings:
            return None, tuple(findings)
        lots = sorted(
            ((exp, origin, owner != offer.id, owner, a) for (owner, origin), (a, exp) in self.lots().items()),
        )
        new: list[ReserveEntry] = []
        left = amount
        for exp, origin, _, owner, balance in lots:
            if left == ZERO:
                break
            if not origin < year <= exp:
                continue
            take = min(left, balance)
            new.append(ReserveEntry(EntryKind.USED, owner, -take, origin, exp, year, offer.id, note))
            left -= take
        return self._with(new), ()

    def repay(self, offer_id: int, amount: Decimal, year: int) -> LedgerChange:
        """R-SUR-07: pay (part of) an offer's reserves back to its buyers (shares: ``share_by_purchases``)."""
        lots = self.lots(offer_id)
        available = sum((a for (_, origin), (a, exp) in lots.items() if origin < year <= exp), ZERO)
        if not _is_amount(amount) or amount <= ZERO or amount > available:
            message = f"Tilbagebetalingen skal være over 0 og højst tilbuddets hensættelser på {_kr(available)}."
            return None, (_refusal("R-SUR-07", "amount", message),)
        new: list[ReserveEntry] = []
        left = amount
        for (owner, origin), (balance, exp) in sorted(lots.items(), key=lambda item: (item[1][1], item[0])):
            if left == ZERO:
                break
            if not origin < year <= exp:
                continue
            take = min(left, balance)
            new.append(ReserveEntry(EntryKind.REPAID, owner, -take, origin, exp, year))
            left -= take
        return self._with(new), ()

    def expire(self, year: int, rules: RuleSet) -> tuple[ReserveLedger, tuple[ExpiredReserve, ...]]:
        """R-SUR-02 (§ 15): reserves whose expiry year is before ``year`` expire; each lowers the owning
        offer's tariff in expiry year + ``expired_reserve_due_years``. Running it again expires nothing."""
        new: list[ReserveEntry] = []
        expired: list[ExpiredReserve] = []
        due_after = rules.integer("expired_reserve_due_years")
        for (owner, origin), (balance, exp) in self.lots().items():
            if exp < year:
                new.append(ReserveEntry(EntryKind.EXPIRED, owner, -balance, origin, exp, year))
                expired.append(ExpiredReserve(owner, origin, exp, balance, exp + due_after))
        return self._with(new), tuple(expired)

    def transfer_on_closure(self, closing_offer_id: int, to: LedgerOffer, year: int) -> LedgerChange:
        """R-CLO-01: a closing offer's whole reserve moves to another covered offer of the operator.

        Each reserve moves with its year of origin and expiry year (closing does not renew a reserve);
        the operator's balance and every other offer's balance stay as they were.
        """
        findings = self._offer_findings(to, "R-CLO-01", "Overførsel ved lukning")
        if to.id == closing_offer_id:
            findings.append(
                _refusal("R-CLO-01", "offer", "Saldoen skal flyttes til et andet tilbud end det, der lukker.")
            )
        if findings:
            return None, tuple(findings)
        new: list[ReserveEntry] = []
        for (_, origin), (balance, exp) in self.lots(closing_offer_id).items():
            new.append(ReserveEntry(EntryKind.TRANSFERRED, closing_offer_id, -balance, origin, exp, year, to.id))
            new.append(ReserveEntry(EntryKind.TRANSFERRED, to.id, balance, origin, exp, year, closing_offer_id))
        return self._with(new), ()


LedgerChange = tuple[ReserveLedger | None, tuple[Finding, ...]]


def _refusal(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.ERROR, message, field)


def _is_amount(value: Decimal) -> bool:
    return value.is_finite() and value == round_ore_half_up(value)


def _kr(value: Decimal) -> str:
    """A Danish amount in a finding's message ('1.234,50 kr.'); renderers format everything else."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{frac} kr."
