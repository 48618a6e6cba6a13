"""From costs to tariffs (handbook § 6.3), with a calculation trace a buyer can read.

``compute_tariffs`` takes a submission and its rule set and returns plain results; it never reads
the clock, the database or files. Validation (§ 6.4) lives in ``validation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.submission import CATEGORIES, CATEGORY_BY_KEY, TariffSubmission, TariffType

HUNDRED = Decimal(100)
DAYS_PER_WEEK = Decimal(7)
HOURS_PRECISION = Decimal("0.01")


class TariffError(ValueError):
    """The submission cannot be priced (no places, zero occupancy …); validation explains why."""


@dataclass(frozen=True)
class TraceStep:
    """One step of the calculation: what, by which rule, the formula in words, and the value."""

    rule_id: str
    label: str
    formula: str
    value: Decimal
    unit: str  # "kr", "kr/dag", "kr/time", "kr/enhed", "dage", "timer", "%", "timer/uge"


@dataclass(frozen=True)
class ServiceTariff:
    """One priced row: a service, or one level of a basis + service model."""

    name: str
    tariff_type: TariffType
    unit: str  # "dag", "time", "enhed", "år", "individuel"
    tariff: Decimal | None
    annual_tariff_per_place: Decimal | None
    basis_tariff: Decimal | None
    service_tariff: Decimal | None
    direct_support_hours_per_place_per_week: Decimal | None
    cost_base: Decimal


@dataclass(frozen=True)
class TariffResult:
    cost_base: Decimal
    category_totals: tuple[tuple[str, str, Decimal], ...]
    available_place_days: Decimal
    occupied_place_days: Decimal
    services: tuple[ServiceTariff, ...]
    trace: tuple[TraceStep, ...]

    @property
    def main(self) -> ServiceTariff:
        return self.services[0]


def pension_amount(submission: TariffSubmission, rules: RuleSet) -> Decimal:
    """R-TAR-07: actual pension cost, or the rule set's percentage of the stated salary."""
    if submission.pension_salary_basis is not None:
        return round_ore_half_up(submission.pension_salary_basis * rules.decimal("civil_servant_pension_pct") / HUNDRED)
    return submission.category_total("civil_servant_pension")


def category_totals(submission: TariffSubmission, rules: RuleSet) -> tuple[tuple[str, str, Decimal], ...]:
    """Each category's signed contribution to the cost base (R-TAR-02, R-TAR-03)."""
    totals = []
    for spec in CATEGORIES:
        if spec.key == "civil_servant_pension":
            value = pension_amount(submission, rules)
        else:
            value = submission.category_total(spec.key) * spec.sign
        totals.append((spec.key, spec.label, value))
    return tuple(totals)


def cost_base(submission: TariffSubmission, rules: RuleSet) -> Decimal:
    """R-TAR-03: categories 1–6 and 8, minus 7, plus pension, plus/minus regulation."""
    return sum((value for _, _, value in category_totals(submission, rules)), ZERO)


def citizen_directed_costs(submission: TariffSubmission, rules: RuleSet) -> Decimal:
    """R-TAR-04: the costs that follow the citizen (the rule set names the lines)."""
    total = ZERO
    for ref in rules.names("citizen_directed_lines"):
        category, _, line = ref.partition(".")
        spec = CATEGORY_BY_KEY[category]
        lines = submission.costs.get(category, {})
        total += (lines.get(line, ZERO) if line else sum(lines.values(), ZERO)) * spec.sign
    return total


def direct_support_hours_per_week(hours_per_year: Decimal, occupied_place_days: Decimal) -> Decimal:
    """R-TAR-12: hours per year / (places × occupancy × 365 / 7), shown with 2 decimals."""
    occupied_place_weeks = occupied_place_days / DAYS_PER_WEEK
    return (hours_per_year / occupied_place_weeks).quantize(HOURS_PRECISION, rounding=ROUND_HALF_UP)


def service_level_daily_tariff(hours_per_week: Decimal, hourly_rate: Decimal) -> Decimal:
    """R-TAR-04: daily service tariff = hours per week × hourly rate / 7, to øre half-up."""
    return round_ore_half_up(hours_per_week * hourly_rate / DAYS_PER_WEEK)


def compute_tariffs(submission: TariffSubmission, rules: RuleSet) -> TariffResult:
    """Price one submission (R-TAR-01, R-TAR-03, R-TAR-04, R-TAR-12)."""
    days = Decimal(rules.days_in_year)
    places = submission.offer.places
    occupancy = submission.occupancy.percent
    totals = category_totals(submission, rules)
    base = sum((value for _, _, value in totals), ZERO)
    available = places * days
    occupied = places * days * occupancy / HUNDRED
    trace: list[TraceStep] = [
        TraceStep("R-TAR-02", f"{number}. {label}", "sum af kategoriens linjer", value, "kr")
        for (key, label, value), number in zip(totals, range(1, len(totals) + 1), strict=True)
        if value != ZERO or key in submission.costs
    ]
    if submission.regulation_due is not None and submission.regulation_due != ZERO:
        direction = "overskud" if submission.regulation_due < ZERO else "underskud"
        trace.append(
            TraceStep(
                "R-SUR-03" if submission.regulation_due < ZERO else "R-SUR-05",
                "Heraf regulering fra regnskabet, der skal med i år",
                f"{direction} ud over grænsen fra et tidligere regnskabsår",
                submission.regulation_due,
                "kr",
            )
        )
    trace.append(
        TraceStep(
            "R-TAR-03",
            "Takstberegningsgrundlag",
            "kategori 1–6 og 8 − finansieringsindtægter + pension ± regulering",
            base,
            "kr",
        )
    )
    trace.append(TraceStep("R-TAR-01", "Dage i takståret", "fast antal dage i takståret", days, "dage"))
    trace.append(TraceStep("R-TAR-03", "Disponible pladsdage", "pladser × dage i året", available, "dage"))
    trace.append(
        TraceStep("R-TAR-03", "Budgetterede belagte pladsdage", "pladser × dage × belægning", occupied, "dage")
    )
    kind = submission.service.tariff_type
    services: tuple[ServiceTariff, ...]
    if kind in (TariffType.HOURLY, TariffType.UNIT):
        services = (_unit_tariff(submission, base, trace),)
    else:
        if occupied <= ZERO:
            raise TariffError("Der er ingen budgetterede belagte pladsdage (pladser og belægning skal være over 0).")
        hours_week = direct_support_hours_per_week(submission.direct_support_hours_per_year, occupied)
        trace.append(
            TraceStep(
                "R-TAR-12",
                "Direkte borgerrettede timer pr. plads pr. uge",
                "timer pr. år / (belagte pladsdage / 7)",
                hours_week,
                "timer/uge",
            )
        )
        if kind is TariffType.BASIS_SERVICE:
            services = _basis_service_tariffs(submission, rules, base, occupied, days, hours_week, trace)
        elif kind is TariffType.OBJECTIVE_FINANCING:
            services = (_objective_financing(submission, base, places, hours_week, trace),)
        else:
            services = (_average_tariff(submission, base, occupied, days, hours_week, trace),)
    return TariffResult(base, totals, available, occupied, services, tuple(trace))


def _average_tariff(
    s: TariffSubmission,
    base: Decimal,
    occupied: Decimal,
    days: Decimal,
    hours_week: Decimal,
    trace: list[TraceStep],
) -> ServiceTariff:
    daily = round_ore_half_up(base / occupied)
    annual = daily * days
    individual = s.service.tariff_type is TariffType.INDIVIDUAL
    label = "Vejledende gennemsnitlig døgnpris" if individual else "Døgntakst"
    trace.append(
        TraceStep("R-TAR-03", label, "grundlag / belagte pladsdage, afrundet til øre (halv op)", daily, "kr/dag")
    )
    trace.append(TraceStep("R-TAR-03", "Årstakst pr. plads", "døgntakst × dage i året", annual, "kr"))
    if individual:
        # The price is negotiated per citizen; only the indicative average is shown.
        return ServiceTariff(
            s.service.name, s.service.tariff_type, "individuel", None, None, None, None, hours_week, base
        )
    return ServiceTariff(s.service.name, s.service.tariff_type, "dag", daily, annual, None, None, hours_week, base)


def _basis_service_tariffs(
    s: TariffSubmission,
    rules: RuleSet,
    base: Decimal,
    occupied: Decimal,
    days: Decimal,
    hours_week: Decimal,
    trace: list[TraceStep],
) -> tuple[ServiceTariff, ...]:
    citizen = citizen_directed_costs(s, rules)
    basis_base = base - citizen
    basis = round_ore_half_up(basis_base / occupied)
    trace.append(
        TraceStep("R-TAR-04", "Borgerrettede omkostninger (ydelsesdel)", "linjer der følger borgeren", citizen, "kr")
    )
    trace.append(
        TraceStep("R-TAR-04", "Grundlag for basistakst", "grundlag − borgerrettede omkostninger", basis_base, "kr")
    )
    trace.append(
        TraceStep("R-TAR-04", "Basistakst", "basisgrundlag / belagte pladsdage, afrundet til øre", basis, "kr/dag")
    )
    rate = s.service.hourly_rate
    if rate is None:
        if s.direct_support_hours_per_year <= ZERO:
            raise TariffError("Timeprisen kan ikke beregnes uden direkte borgerrettede timer.")
        rate = round_ore_half_up(citizen / s.direct_support_hours_per_year)
        trace.append(
            TraceStep("R-TAR-04", "Timepris", "borgerrettede omkostninger / direkte timer pr. år", rate, "kr/time")
        )
    else:
        trace.append(TraceStep("R-TAR-04", "Timepris", "angivet i indberetningen", rate, "kr/time"))
    rows = [
        ServiceTariff(
            f"{s.service.name}, basistakst",
            TariffType.BASIS_SERVICE,
            "dag",
            basis,
            basis * days,
            basis,
            ZERO,
            ZERO,
            basis_base,
        )
    ]
    for level in s.service.levels:
        service = service_level_daily_tariff(level.hours_per_week, rate)
        total = basis + service
        trace.append(
            TraceStep(
                "R-TAR-04",
                f"Niveau {level.name}: ydelsestakst",
                f"{level.hours_per_week} timer/uge × timepris / 7",
                service,
                "kr/dag",
            )
        )
        trace.append(
            TraceStep(
                "R-TAR-04",
                f"Niveau {level.name}: samlet døgntakst",
                "basistakst + ydelsestakst",
                total,
                "kr/dag",
            )
        )
        rows.append(
            ServiceTariff(
                f"{s.service.name}, niveau {level.name}",
                TariffType.BASIS_SERVICE,
                "dag",
                total,
                total * days,
                basis,
                service,
                level.hours_per_week,
                basis_base,
            )
        )
    return tuple(rows)


def _unit_tariff(s: TariffSubmission, base: Decimal, trace: list[TraceStep]) -> ServiceTariff:
    units = s.service.budgeted_units
    if units is None or units <= ZERO:
        raise TariffError("Budgetterede timer eller enheder skal være større end 0.")
    hourly = s.service.tariff_type is TariffType.HOURLY
    tariff = round_ore_half_up(base / units)
    label, unit = ("Timetakst", "time") if hourly else ("Enhedstakst", "enhed")
    trace.append(
        TraceStep(
            "R-TAR-03",
            "Budgetterede timer" if hourly else "Budgetterede enheder",
            "angivet i indberetningen",
            units,
            "timer" if hourly else "enheder",
        )
    )
    trace.append(
        TraceStep("R-TAR-03", label, "grundlag / budgetterede enheder, afrundet til øre", tariff, f"kr/{unit}")
    )
    return ServiceTariff(s.service.name, s.service.tariff_type, unit, tariff, None, None, None, None, base)


def _objective_financing(
    s: TariffSubmission, base: Decimal, places: Decimal, hours_week: Decimal, trace: list[TraceStep]
) -> ServiceTariff:
    per_place = round_ore_half_up(base / places)
    trace.append(
        TraceStep("R-OBJ-01", "Årligt beløb til fordeling", "hele grundlaget fordeles efter nøgle", base, "kr")
    )
    trace.append(TraceStep("R-OBJ-03", "Beløb pr. plads", "grundlag / pladser", per_place, "kr"))
    return ServiceTariff(s.service.name, s.service.tariff_type, "år", base, per_place, None, None, hours_week, base)
