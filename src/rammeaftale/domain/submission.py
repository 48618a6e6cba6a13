"""Tariff submission (takstindberetning): the operator's yearly calculation for one offer (§ 6.2).

One frozen value, whatever way it came in (XLSX template, web form, JSON): adapters build it with
``build_submission`` from a plain mapping and report the problems as findings with a field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, MoneyError, amount


class OfferKind(StrEnum):
    """Kinds of offer (R-OCC-01/02 set their occupancy bounds)."""

    RESIDENTIAL_24H = "24h"
    DAY = "day"
    SHORT_STAY = "short_stay"
    ACUTE = "acute"
    RESPITE = "respite"
    AMBULANT = "ambulant"


OFFER_KIND_LABELS = {
    OfferKind.RESIDENTIAL_24H: "Døgntilbud",
    OfferKind.DAY: "Dagtilbud",
    OfferKind.SHORT_STAY: "Korttidsophold",
    OfferKind.ACUTE: "Akuttilbud",
    OfferKind.RESPITE: "Aflastning",
    OfferKind.AMBULANT: "Ambulant tilbud",
}


class TariffType(StrEnum):
    AVERAGE = "average"
    BASIS_SERVICE = "basis_service"
    HOURLY = "hourly"
    UNIT = "unit"
    INDIVIDUAL = "individual"
    OBJECTIVE_FINANCING = "objective_financing"


TARIFF_TYPE_LABELS = {
    TariffType.AVERAGE: "Gennemsnitstakst",
    TariffType.BASIS_SERVICE: "Basistakst + ydelsesniveauer",
    TariffType.HOURLY: "Timetakst",
    TariffType.UNIT: "Enhedstakst",
    TariffType.INDIVIDUAL: "Individuelt forhandlet takst",
    TariffType.OBJECTIVE_FINANCING: "Objektiv finansiering / trækningsret",
}


class OccupancyMethod(StrEnum):
    """R-OCC-03 and R-NEW-01: how the budgeted occupancy was set."""

    TWO_YEAR_MEAN = "two_year_mean"
    EXPECTED = "expected"
    NEW_OFFER = "new_offer"


OCCUPANCY_METHOD_LABELS = {
    OccupancyMethod.TWO_YEAR_MEAN: "Gennemsnit af de to foregående års faktiske belægning",
    OccupancyMethod.EXPECTED: "Forventet belægning med begrundelse",
    OccupancyMethod.NEW_OFFER: "Nyt tilbud: forventet belægning første år",
}


@dataclass(frozen=True)
class CategorySpec:
    """A cost category of handbook § 6.2 and its named lines."""

    key: str
    number: int
    label: str
    lines: tuple[tuple[str, str], ...]
    sign: int = 1
    may_be_negative: bool = False


# R-TAR-02: the national offer portal's categories, plus pension (R-TAR-07), leases (R-TAR-10)
# and regulation (R-TAR-08). Order is the order of the template and the trace.
CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "personnel",
        1,
        "Personaleudgifter",
        (
            ("top_management", "Øverste ledelse"),
            ("citizen_related_staff", "Borgerrelateret personale"),
            ("temporary_staff", "Vikarer og vikarbureau"),
            ("technical_staff", "Administrativt og teknisk personale"),
        ),
    ),
    CategorySpec(
        "activities",
        2,
        "Borgerrelaterede aktivitetsudgifter",
        (
            ("clothing_pocket_money", "Beklædning og lommepenge"),
            ("activities", "Aktiviteter"),
            ("housekeeping", "Kost og husholdning"),
            ("transport", "Transport"),
            ("external_treatment", "Ekstern behandling og rådgivning"),
            ("employment_workshop", "Beskæftigelse og værksted"),
        ),
    ),
    CategorySpec(
        "administration",
        3,
        "Administration",
        (
            ("local", "Decentral administration"),
            ("central_overhead", "Andel af central administration og ledelse (overhead)"),
            ("supervision_fee", "Tilsynstakst"),
        ),
    ),
    CategorySpec("competence_development", 4, "Kompetenceudvikling", (("total", "Kompetenceudvikling"),)),
    CategorySpec(
        "property",
        5,
        "Ejendomsudgifter",
        (
            ("rent", "Husleje (lejede bygninger)"),
            ("maintenance", "Vedligeholdelse"),
            ("insurance_taxes_utilities", "Forsikring, ejendomsskatter og forbrug"),
        ),
    ),
    CategorySpec(
        "depreciation",
        6,
        "Afskrivninger og øvrige kapitaludgifter",
        (("buildings", "Bygninger"), ("equipment", "Øvrigt udstyr og inventar")),
    ),
    CategorySpec("financing_income", 7, "Finansieringsindtægter", (("interest", "Renteindtægter"),), sign=-1),
    CategorySpec(
        "financing_costs",
        8,
        "Finansieringsudgifter (forrentning)",
        (
            ("property", "Forrentning af kapital i ejendom"),
            ("other_capital", "Forrentning af øvrig kapital"),
            ("working_capital", "Forrentning af driftskapital"),
        ),
    ),
    CategorySpec(
        "finance_leases",
        9,
        "Finansiel leasing",
        (
            ("payments", "Leasingydelser"),
            ("depreciation", "Afskrivning på leasede aktiver"),
            ("interest", "Renter af leasede aktiver"),
        ),
    ),
    CategorySpec("civil_servant_pension", 10, "Tjenestemandspension", (("total", "Tjenestemandspension"),)),
    CategorySpec(
        "regulation",
        11,
        "Regulering af tidligere års over-/underskud",
        (("total", "Regulering (+ underskud, - overskud)"),),
        may_be_negative=True,
    ),
)
CATEGORY_BY_KEY = {c.key: c for c in CATEGORIES}


@dataclass(frozen=True)
class OfferFacts:
    name: str
    kind: OfferKind
    new: bool
    places: Decimal
    offer_id: str = ""
    legal_basis: str = ""
    target_group: str = ""


@dataclass(frozen=True)
class Occupancy:
    percent: Decimal
    method: OccupancyMethod
    reason: str = ""
    previous_years: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class ServiceLevel:
    name: str
    hours_per_week: Decimal


@dataclass(frozen=True)
class ServiceSpec:
    """The service the submission prices and its tariff type."""

    name: str
    tariff_type: TariffType = TariffType.AVERAGE
    hourly_rate: Decimal | None = None
    levels: tuple[ServiceLevel, ...] = ()
    budgeted_units: Decimal | None = None


@dataclass(frozen=True)
class HealthServices:
    """R-TAR-09: health services the offer itself delivers and includes in the tariff."""

    included: bool = False
    description: str = ""


@dataclass(frozen=True)
class LastYear:
    """Last year's approved figures, for R-TAR-13 and R-GOV-03."""

    tariff: Decimal
    places: Decimal


@dataclass(frozen=True)
class TariffSubmission:
    ruleset_id: str
    budget_year: int
    offer: OfferFacts
    occupancy: Occupancy
    costs: Mapping[str, Mapping[str, Decimal]]
    direct_support_hours_per_year: Decimal
    service: ServiceSpec
    health_services: HealthServices = HealthServices()
    pension_salary_basis: Decimal | None = None
    remarks: str = ""
    last_year: LastYear | None = None
    regulation_due: Decimal | None = None
    line_remarks: Mapping[str, str] = field(default_factory=dict)

    def category_total(self, key: str) -> Decimal:
        return sum(self.costs.get(key, {}).values(), ZERO)

    def has_category(self, key: str) -> bool:
        return key in self.costs


# --- building from plain data -------------------------------------------------------------------


class _Reader:
    """Collects findings while reading a mapping, so every problem is reported at once."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, path: str, message: str, rule_id: str = "R-TAR-02") -> None:
        self.findings.append(Finding(rule_id, Severity.ERROR, message, path))

    def decimal(self, value: object, path: str, rule_id: str = "R-TAR-02") -> Decimal | None:
        if value is None or value == "":
            return None
        if isinstance(value, float):
            # JSON numbers arrive as Decimal (parse_float=Decimal); a float here means lost precision
            value = Decimal(repr(value))
        try:
            return amount(value)
        except MoneyError as exc:
            self.error(path, str(exc), rule_id)
            return None

    def required_decimal(self, value: object, path: str, label: str, rule_id: str = "R-TAR-02") -> Decimal:
        result = self.decimal(value, path, rule_id)
        if result is None:
            if value is None or value == "":
                self.error(path, f"{label} mangler.", rule_id)
            return ZERO
        return result

    def flag(self, value: object, path: str, label: str, rule_id: str = "R-TAR-02") -> bool:
        """Yes/no: JSON booleans, or Ja/Nej (true/false) as text; anything else is a finding."""
        if value is None or value == "" or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in ("ja", "true", "1"):
            return True
        if text in ("nej", "false", "0"):
            return False
        self.error(path, f"{label} skal være Ja eller Nej, ikke '{value}'.", rule_id)
        return False

    def enum(
        self, enum_type: type[Enum], value: object, path: str, label: str, rule_id: str = "R-TAR-02"
    ) -> Enum | None:
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.error(path, f"{label} '{value}' er ukendt; mulige værdier: {allowed}.", rule_id)
            return None


def build_submission(data: Mapping[str, object]) -> tuple[TariffSubmission | None, list[Finding]]:
    """Build a submission from the public JSON shape (docs/tariff-submission-json.md).

    Returns the submission and the reading problems; the submission is None when it cannot be built.
    Amounts are numbers or decimal strings; a category is a number or an object of named lines.
    """
    r = _Reader()
    offer_data = _mapping(data.get("offer"))
    occ_data = _mapping(data.get("occupancy"))
    kind = r.enum(OfferKind, offer_data.get("kind", "24h"), "offer.kind", "Tilbudstype")
    places = r.required_decimal(offer_data.get("places"), "offer.places", "Antal pladser")
    offer = OfferFacts(
        name=str(offer_data.get("name", "")).strip(),
        kind=kind if isinstance(kind, OfferKind) else OfferKind.RESIDENTIAL_24H,
        new=r.flag(offer_data.get("new"), "offer.new", "Nyt tilbud"),
        places=places,
        offer_id=str(offer_data.get("id", "") or ""),
        legal_basis=str(offer_data.get("legal_basis", "") or ""),
        target_group=str(offer_data.get("target_group", "") or ""),
    )
    if not offer.name:
        r.error("offer.name", "Tilbuddets navn mangler.")
    if places <= 0:
        r.error("offer.places", "Antal pladser skal være større end 0.")
    method = r.enum(OccupancyMethod, occ_data.get("method", "two_year_mean"), "occupancy.method", "Metode")
    previous = tuple(
        d
        for i, v in enumerate(_list(occ_data.get("previous_years")))
        if (d := r.decimal(v, f"occupancy.previous_years[{i}]", "R-OCC-03")) is not None
    )
    occupancy = Occupancy(
        percent=r.required_decimal(occ_data.get("percent"), "occupancy.percent", "Belægningsprocent", "R-OCC-01"),
        method=method if isinstance(method, OccupancyMethod) else OccupancyMethod.TWO_YEAR_MEAN,
        reason=str(occ_data.get("reason", "") or "").strip(),
        previous_years=previous,
    )
    costs, pension_basis = _read_costs(r, _mapping(data.get("costs")))
    service = _read_service(r, data.get("service"), offer.name)
    health = _mapping(data.get("health_services"))
    last = _mapping(data.get("last_year"))
    last_year = None
    if last:
        last_tariff = r.decimal(last.get("tariff"), "last_year.tariff", "R-TAR-13")
        last_places = r.decimal(last.get("places"), "last_year.places", "R-GOV-03")
        if last_tariff is not None and last_places is not None:
            last_year = LastYear(last_tariff, last_places)
    year = data.get("budget_year")
    if not isinstance(year, int) or isinstance(year, bool):
        r.error("budget_year", "Budgetår mangler eller er ikke et årstal.")
        year = 0
    ruleset_id = str(data.get("ruleset", "") or "")
    if not ruleset_id:
        r.error("ruleset", "Regelsæt mangler (fx 'nordjylland-2025-2026').")
    hours = r.required_decimal(
        data.get("direct_support_hours_per_year"),
        "direct_support_hours_per_year",
        "Direkte borgerrettede timer pr. år",
        "R-TAR-12",
    )
    submission = TariffSubmission(
        ruleset_id=ruleset_id,
        budget_year=year,
        offer=offer,
        occupancy=occupancy,
        costs=costs,
        direct_support_hours_per_year=hours,
        service=service,
        health_services=HealthServices(
            included=r.flag(health.get("included"), "health_services.included", "Sundhedsydelser medregnet"),
            description=str(health.get("description", "") or ""),
        ),
        pension_salary_basis=pension_basis,
        remarks=str(data.get("remarks", "") or "").strip(),
        last_year=last_year,
        regulation_due=r.decimal(data.get("regulation_due"), "regulation_due", "R-SUR-03"),
    )
    return submission, r.findings


def _read_costs(r: _Reader, raw: Mapping[str, object]) -> tuple[dict[str, dict[str, Decimal]], Decimal | None]:
    costs: dict[str, dict[str, Decimal]] = {}
    pension_basis: Decimal | None = None
    for key in raw:
        if key not in CATEGORY_BY_KEY:
            r.error(f"costs.{key}", f"Ukendt omkostningskategori '{key}'.")
    for spec in CATEGORIES:
        if spec.key not in raw:
            continue
        value = raw[spec.key]
        path = f"costs.{spec.key}"
        if spec.key == "civil_servant_pension" and isinstance(value, Mapping) and "salary_basis" in value:
            # R-TAR-07: pension given as its salary basis; the engine applies the rule set's rate
            pension_basis = r.decimal(value["salary_basis"], f"{path}.salary_basis", "R-TAR-07")
            costs[spec.key] = {}
            continue
        if isinstance(value, Mapping):
            # "total" is the category given as one number (the canonical form of a plain number)
            known = {name for name, _ in spec.lines} | ({"total"} if len(value) == 1 else set())
            lines: dict[str, Decimal] = {}
            for line, line_value in value.items():
                if line not in known:
                    r.error(f"{path}.{line}", f"Ukendt linje '{line}' i kategorien {spec.label}.")
                    continue
                d = r.decimal(line_value, f"{path}.{line}")
                if d is not None:
                    lines[line] = d
            costs[spec.key] = lines
        else:
            d = r.decimal(value, path)
            costs[spec.key] = {} if d is None else {"total": d}
    return costs, pension_basis


def _read_service(r: _Reader, raw: object, offer_name: str) -> ServiceSpec:
    data = _mapping(raw)
    tariff_type = r.enum(TariffType, data.get("type", "average"), "service.type", "Takstmodel")
    levels = []
    for i, level in enumerate(_list(data.get("levels"))):
        level_map = _mapping(level)
        hours = r.required_decimal(
            level_map.get("hours_per_week"),
            f"service.levels[{i}].hours_per_week",
            "Timer pr. uge",
            "R-TAR-04",
        )
        levels.append(ServiceLevel(str(level_map.get("name", f"Niveau {i + 1}")), hours))
    return ServiceSpec(
        name=str(data.get("name", "") or offer_name),
        tariff_type=tariff_type if isinstance(tariff_type, TariffType) else TariffType.AVERAGE,
        hourly_rate=r.decimal(data.get("hourly_rate"), "service.hourly_rate", "R-TAR-04"),
        levels=tuple(levels),
        budgeted_units=r.decimal(data.get("budgeted_units"), "service.budgeted_units", "R-TAR-03"),
    )


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def submission_to_data(s: TariffSubmission) -> dict[str, object]:
    """The canonical JSON shape of a submission (amounts as decimal strings); inverse of build."""
    costs: dict[str, object] = {}
    for key, lines in s.costs.items():
        costs[key] = {line: str(v) for line, v in lines.items()}
    if s.pension_salary_basis is not None:
        costs["civil_servant_pension"] = {"salary_basis": str(s.pension_salary_basis)}
    data: dict[str, object] = {
        "ruleset": s.ruleset_id,
        "budget_year": s.budget_year,
        "offer": {
            "id": s.offer.offer_id,
            "name": s.offer.name,
            "kind": s.offer.kind.value,
            "new": s.offer.new,
            "places": str(s.offer.places),
            "legal_basis": s.offer.legal_basis,
            "target_group": s.offer.target_group,
        },
        "occupancy": {
            "percent": str(s.occupancy.percent),
            "method": s.occupancy.method.value,
            "reason": s.occupancy.reason,
            "previous_years": [str(v) for v in s.occupancy.previous_years],
        },
        "costs": costs,
        "direct_support_hours_per_year": str(s.direct_support_hours_per_year),
        "service": {
            "name": s.service.name,
            "type": s.service.tariff_type.value,
            **({"hourly_rate": str(s.service.hourly_rate)} if s.service.hourly_rate is not None else {}),
            **({"budgeted_units": str(s.service.budgeted_units)} if s.service.budgeted_units is not None else {}),
            "levels": [{"name": lv.name, "hours_per_week": str(lv.hours_per_week)} for lv in s.service.levels],
        },
        "health_services": {
            "included": s.health_services.included,
            "description": s.health_services.description,
        },
        "remarks": s.remarks,
    }
    if s.last_year is not None:
        data["last_year"] = {"tariff": str(s.last_year.tariff), "places": str(s.last_year.places)}
    if s.regulation_due is not None:
        data["regulation_due"] = str(s.regulation_due)
    return data
