"""Validation of a tariff submission (handbook § 6.4): every finding at once.

Errors block submission; warnings marked ``needs_remark`` must be answered with a remark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.domain.money import ZERO, percent_change, round_percent
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.submission import (
    CATEGORIES,
    OccupancyMethod,
    OfferKind,
    TariffSubmission,
    TariffType,
)
from rammeaftale.domain.tariffs import TariffError, TariffResult, compute_tariffs

SHORT_STAY_KINDS = (OfferKind.SHORT_STAY, OfferKind.ACUTE, OfferKind.RESPITE)
DAY_AND_24H_KINDS = (OfferKind.RESIDENTIAL_24H, OfferKind.DAY)
CANNOT_RECKON = (
    "Taksten kan ikke beregnes: indberetningens tal er for store eller har for mange cifre til at regne præcist med."
)


@dataclass(frozen=True)
class Assessment:
    """A submission's result (None when it cannot be priced) and all its findings."""

    result: TariffResult | None
    findings: tuple[Finding, ...]

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    @property
    def warnings_needing_remark(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.needs_remark)


def _error(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.ERROR, message, field)


def _warning(rule_id: str, field: str, message: str, needs_remark: bool = False) -> Finding:
    return Finding(rule_id, Severity.WARNING, message, field, needs_remark=needs_remark)


def assess(submission: TariffSubmission, rules: RuleSet, received_on: date | None = None) -> Assessment:
    """Validate and, where possible, price a submission. ``received_on`` is the day it came in."""
    findings = [
        *check_ruleset(submission, rules),
        *check_occupancy(submission, rules),
        *check_categories(submission, rules),
        *check_leases(submission),
        *check_health_services(submission),
        *check_service(submission),
        *check_regulation_due(submission),
        *check_places_change(submission, rules),
    ]
    if received_on is not None:
        findings.extend(check_deadline(submission, rules, received_on))
    result = None
    try:
        result = compute_tariffs(submission, rules)
    except TariffError as exc:  # its message is Danish
        if not has_errors(findings):
            findings.append(_error("R-TAR-03", "offer.places", f"Taksten kan ikke beregnes: {exc}"))
    except ArithmeticError:  # Decimal's own message is a Python class repr: never shown
        if not has_errors(findings):
            findings.append(_error("R-TAR-03", "offer.places", CANNOT_RECKON))
    if result is not None:
        findings.extend(check_tariff_change(submission, rules, result))
    return Assessment(result, tuple(findings))


def check_ruleset(s: TariffSubmission, rules: RuleSet) -> list[Finding]:
    found = []
    if s.ruleset_id and s.ruleset_id != rules.id:
        found.append(
            _error(
                "R-CYC-02",
                "ruleset",
                f"Indberetningen angiver regelsættet '{s.ruleset_id}', men beregnes efter '{rules.id}'.",
            )
        )
    if not rules.covers(s.budget_year):
        found.append(
            _error(
                "R-CYC-02",
                "budget_year",
                f"Budgetår {s.budget_year} ligger uden for regelsættets periode {rules.first_year}–{rules.last_year}.",
            )
        )
    return found


def check_occupancy(s: TariffSubmission, rules: RuleSet) -> list[Finding]:
    """R-OCC-01/02 bounds by kind (not for new offers, R-NEW-01); R-OCC-03 method."""
    found: list[Finding] = []
    occ = s.occupancy
    pct = occ.percent
    maximum = rules.decimal("occupancy_max_pct")
    if occ.method is OccupancyMethod.NEW_OFFER and not s.offer.new:
        found.append(_error("R-NEW-01", "occupancy.method", "Metoden 'nyt tilbud' kan kun bruges for et nyt tilbud."))
    if s.offer.kind in DAY_AND_24H_KINDS:
        rule_id, minimum = "R-OCC-01", rules.decimal("occupancy_min_pct")
    elif s.offer.kind in SHORT_STAY_KINDS:
        rule_id, minimum = "R-OCC-02", rules.decimal("occupancy_min_pct_short_stay")
    else:
        rule_id, minimum = "R-OCC-01", ZERO
    if not s.offer.new and not (minimum <= pct <= maximum):
        found.append(
            _error(
                rule_id,
                "occupancy.percent",
                f"Belægningen {_pct(pct)} ligger uden for regelsættets grænser {_pct(minimum)}–{_pct(maximum)} for {s.offer.kind.value}-tilbud.",
            )
        )
    elif s.offer.new and not (ZERO < pct <= maximum):
        found.append(
            _error(
                "R-NEW-01",
                "occupancy.percent",
                f"Et nyt tilbuds forventede belægning skal ligge over 0 og højst {_pct(maximum)}.",
            )
        )
    if occ.method is OccupancyMethod.EXPECTED and not occ.reason:
        found.append(_error("R-OCC-03", "occupancy.reason", "En forventet belægning kræver en begrundelse."))
    if occ.method is OccupancyMethod.TWO_YEAR_MEAN and len(occ.previous_years) == 2:
        mean = round_percent(sum(occ.previous_years, ZERO) / 2)
        if round_percent(pct) != mean:
            found.append(
                _error(
                    "R-OCC-03",
                    "occupancy.percent",
                    f"Belægningen {_pct(pct)} er ikke gennemsnittet af de to foregående år ({_pct(mean)}).",
                )
            )
    return found


def check_categories(s: TariffSubmission, rules: RuleSet) -> list[Finding]:
    """R-TAR-02: required categories present; no negative amounts where they cannot be."""
    found: list[Finding] = []
    for key in rules.names("required_categories"):
        if key not in s.costs or not s.costs[key]:
            label = next(c.label for c in CATEGORIES if c.key == key)
            found.append(_error("R-TAR-02", f"costs.{key}", f"Kategorien '{label}' mangler."))
    for spec in CATEGORIES:
        if spec.may_be_negative:
            continue
        for line, value in s.costs.get(spec.key, {}).items():
            if value < ZERO:
                field = f"costs.{spec.key}" if line == "total" else f"costs.{spec.key}.{line}"
                hint = " (finansieringsindtægter indtastes positivt)" if spec.sign < 0 else ""
                found.append(_error("R-TAR-02", field, f"{spec.label}: beløbet må ikke være negativt{hint}."))
    if s.pension_salary_basis is not None and s.pension_salary_basis < ZERO:
        found.append(
            _error(
                "R-TAR-07",
                "costs.civil_servant_pension.salary_basis",
                "Lønsummen for tjenestemandspension må ikke være negativ.",
            )
        )
    if s.direct_support_hours_per_year < ZERO:
        found.append(
            _error(
                "R-TAR-12",
                "direct_support_hours_per_year",
                "Direkte borgerrettede timer må ikke være negative.",
            )
        )
    return found


def check_leases(s: TariffSubmission) -> list[Finding]:
    """R-TAR-10: finance leases as payments or as depreciation plus interest, never both."""
    leases = s.costs.get("finance_leases", {})
    payments = leases.get("payments", ZERO)
    capitalised = leases.get("depreciation", ZERO) + leases.get("interest", ZERO)
    if payments > ZERO and capitalised > ZERO:
        return [
            _error(
                "R-TAR-10",
                "costs.finance_leases",
                "Finansiel leasing er medregnet to gange: angiv enten leasingydelser eller afskrivning og renter, ikke begge.",
            )
        ]
    return []


def check_health_services(s: TariffSubmission) -> list[Finding]:
    """R-TAR-09: included health services must be declared."""
    if s.health_services.included and not s.health_services.description.strip():
        return [
            _error(
                "R-TAR-09",
                "health_services.description",
                "Sundhedsydelser er medregnet i taksten og skal beskrives.",
            )
        ]
    return []


def check_service(s: TariffSubmission) -> list[Finding]:
    kind = s.service.tariff_type
    if kind is TariffType.BASIS_SERVICE and not s.service.levels:
        return [_error("R-TAR-04", "service.levels", "En basis- og ydelsestakst kræver mindst ét ydelsesniveau.")]
    if kind in (TariffType.HOURLY, TariffType.UNIT) and not (s.service.budgeted_units or ZERO) > ZERO:
        return [
            _error(
                "R-TAR-03",
                "service.budgeted_units",
                "En time- eller enhedstakst kræver budgetterede timer eller enheder over 0.",
            )
        ]
    return []


def check_regulation_due(s: TariffSubmission) -> list[Finding]:
    """R-SUR-03 / R-SUR-05: an excess surplus or deficit due this year must be in the regulation."""
    due = s.regulation_due
    if due is None or due == ZERO:
        return []
    regulation = s.category_total("regulation")
    missing = regulation > due if due < ZERO else regulation < due
    if missing:
        return [
            _error(
                "R-SUR-03" if due < ZERO else "R-SUR-05",
                "costs.regulation",
                f"Regnskabet kræver en regulering på {_kr(due)} i år, men indberetningen regulerer {_kr(regulation)}.",
            )
        ]
    return []


def check_places_change(s: TariffSubmission, rules: RuleSet) -> list[Finding]:
    """R-GOV-03: a change of places needs a remark; above the threshold it creates a board case."""
    if s.last_year is None or s.last_year.places == s.offer.places:
        return []
    change = s.offer.places - s.last_year.places
    threshold = rules.integer("capacity_change_board_threshold_places")
    board = abs(change) > threshold
    tail = " Ændringen forelægges styregruppen som en sag." if board else ""
    return [
        _warning(
            "R-GOV-03",
            "offer.places",
            f"Antallet af pladser ændres fra {s.last_year.places} til {s.offer.places}; begrund ændringen.{tail}",
            needs_remark=True,
        )
    ]


def check_tariff_change(s: TariffSubmission, rules: RuleSet, result: TariffResult) -> list[Finding]:
    """R-TAR-13: a change above the significant-change threshold needs a remark."""
    main = result.main.tariff
    if s.last_year is None or main is None:
        return []
    change = percent_change(main, s.last_year.tariff)
    threshold = rules.decimal("significant_tariff_change_pct")
    if change is None or abs(change) <= threshold:
        return []
    return [
        _warning(
            "R-TAR-13",
            "costs",
            f"Taksten ændres {_pct(round_percent(change))} i forhold til sidste år (mere end {_pct(threshold)}); begrund ændringen.",
            needs_remark=True,
        )
    ]


def check_deadline(s: TariffSubmission, rules: RuleSet, received_on: date) -> list[Finding]:
    """R-CYC-02: a submission after the deadline is flagged, not dropped (R-CYC-04)."""
    if not rules.covers(s.budget_year):
        return []
    deadline = rules.tariff_submission_deadline(s.budget_year)
    if received_on <= deadline:
        return []
    return [
        _warning(
            "R-CYC-02",
            "budget_year",
            f"Indberetningen er modtaget {received_on:%d-%m-%Y}, efter fristen {deadline:%d-%m-%Y}.",
        )
    ]


def unanswered_warnings(assessment: Assessment, remarks: str) -> tuple[Finding, ...]:
    """Warnings that still need a remark: all of them while the remark field is empty."""
    return () if remarks.strip() else assessment.warnings_needing_remark


def _pct(value: Decimal) -> str:
    return f"{value:f}".replace(".", ",") + " %"


def _kr(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{groups},{frac} kr."
