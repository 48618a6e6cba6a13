"""Days, periods and daily tariffs of settlement (handbook § 9): the pieces every settlement module shares.

A ``Period`` is a closed range of calendar days: ``start`` and ``end`` are both billed (R-SET-04). A leap year
has 366 billable days at the same daily tariff (R-SET-03). ``split_at_tariff_changes`` cuts a period at every
tariff change (R-SET-03). Pure values and functions; the messages are Danish.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from rammeaftale.domain.money import MoneyError, to_ore

ONE_DAY = timedelta(days=1)


class SettlementError(ValueError):
    """Input the settlement rules cannot be applied to (a period ending before it starts, a tariff with a
    fraction of an øre …); the message is Danish."""


def whole_ore(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise SettlementError(f"{what} skal være et præcist beløb.")
    try:
        to_ore(value)
    except MoneyError as exc:
        raise SettlementError(f"{what}: {exc}") from exc
    return value


def finite(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise SettlementError(f"{what} skal være et præcist tal.")
    return value


# ---------------------------------------------------------------------------------------------------
# Days and periods


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of calendar days; both ``start`` and ``end`` belong to it."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise SettlementError(
                f"Perioden slutter ({self.end.isoformat()}) før den begynder ({self.start.isoformat()})."
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=n) for n in range(self.days))

    def clip(self, start: date | None = None, end: date | None = None) -> Period | None:
        """The part of this period from ``start`` to ``end`` (None: unbounded); None when nothing is left."""
        first = self.start if start is None else max(self.start, start)
        last = self.end if end is None else min(self.end, end)
        return Period(first, last) if first <= last else None


def last_day_of_month(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - ONE_DAY


def month_period(year: int, month: int) -> Period:
    """The calendar month as a period: February has 29 days in a leap year (R-SET-03)."""
    return Period(date(year, month, 1), last_day_of_month(year, month))


def end_of_month_plus(day: date, months: int) -> date:
    """The last day of the month ``months`` after ``day``'s month (0: the end of its own month)."""
    index = day.year * 12 + day.month - 1 + months
    return last_day_of_month(index // 12, index % 12 + 1)


def runs(days: Iterable[date]) -> tuple[Period, ...]:
    """Distinct days as periods of consecutive days, in order."""
    result: list[Period] = []
    for day in sorted(set(days)):
        if result and result[-1].end + ONE_DAY == day:
            result[-1] = Period(result[-1].start, day)
        else:
            result.append(Period(day, day))
    return tuple(result)


@dataclass(frozen=True)
class TariffRate:
    """A daily tariff in whole øre from ``effective_from`` until the next rate takes effect (R-SET-03)."""

    effective_from: date
    daily: Decimal
    label: str = "Takst"

    def __post_init__(self) -> None:
        whole_ore(self.daily, "Døgntaksten")


def split_at_tariff_changes(
    period: Period, tariffs: Sequence[TariffRate]
) -> tuple[tuple[tuple[Period, TariffRate], ...], tuple[Period, ...]]:
    """R-SET-03: the period cut at every tariff change inside it, each part with its rate; and the parts
    before the first rate (no tariff: not billable)."""
    ordered = sorted(tariffs, key=lambda t: t.effective_from)
    parts: list[tuple[Period, TariffRate]] = []
    for i, rate in enumerate(ordered):
        until = ordered[i + 1].effective_from - ONE_DAY if i + 1 < len(ordered) else None
        part = period.clip(rate.effective_from, until)
        if part is not None:
            parts.append((part, rate))
    missing = period.clip(None, ordered[0].effective_from - ONE_DAY) if ordered else period
    return tuple(parts), (() if missing is None else (missing,))


def day_text(day: date) -> str:
    """A Danish date in a finding's message ('20-05-2025'); renderers format everything else."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def kr_text(value: Decimal) -> str:
    """A Danish amount in a finding's message ('1.234,50 kr.')."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{frac} kr."
