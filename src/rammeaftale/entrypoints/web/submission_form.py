"""The web form of a tariff submission: which fields it has, and the way between form fields and the
public JSON shape (``domain.submission.build_submission``).

A form field's name is its field path in the public shape (``costs.personnel.top_management``), so a
finding's ``field`` points straight at the input it is about. Nothing here checks the content: the
domain does that when the shape is built and assessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.submission import (
    CATEGORIES,
    OCCUPANCY_METHOD_LABELS,
    OFFER_KIND_LABELS,
    TARIFF_TYPE_LABELS,
    CategorySpec,
)

MAX_LEVELS = 6
PENSION_KEY = "civil_servant_pension"
SALARY_BASIS = "salary_basis"
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_LAST_SEGMENT = re.compile(r"^(.+?)(\.[^.\[\]]+|\[\d+\])$")


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"  # amounts, places, hours, percentages: Danish decimal comma accepted
    CHOICE = "choice"
    CHECKBOX = "checkbox"
    TEXTAREA = "textarea"
    READONLY = "readonly"  # shown, sent along, not edited (last year's approved figures)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind = Kind.TEXT
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    unit: str = ""
    required: bool = False

    @property
    def element_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", self.name).strip("-")


@dataclass(frozen=True)
class FormSection:
    title: str
    help: str
    fields: tuple[FormField, ...]
    group: str = ""  # sections of one group (the cost categories) are shown together under its heading


def _choices(labels: Mapping[Any, str]) -> tuple[tuple[str, str], ...]:
    return tuple((str(code), label) for code, label in labels.items())


GROUP_HELP = {
    "Omkostninger": "Budgetterede omkostninger i kr. pr. kategori (R-TAR-02). Takstberegningsgrundlaget er "
    "kategori 1–6 og 8 − 7 + tjenestemandspension ± regulering (R-TAR-03).",
}
_CATEGORY_HELP = {
    "financing_income": "Indtastes positivt; trækkes fra i grundlaget (R-TAR-03).",
    "finance_leases": "Enten leasingydelser eller afskrivning og renter, ikke begge (R-TAR-10).",
    "regulation": "+ for underskud, − for overskud fra tidligere år (R-TAR-08).",
    PENSION_KEY: "Faktisk udgift. Kendes den ikke, udfyld i stedet lønsummen; pensionen beregnes da som "
    "regelsættets procent af lønsummen (R-TAR-07).",
}


def _category_section(spec: CategorySpec) -> FormSection:
    """One cost category: its total, or its named lines (one or the other)."""
    path = f"costs.{spec.key}"
    single = [name for name, _ in spec.lines] == ["total"]
    help_text = _CATEGORY_HELP.get(spec.key, "")
    if single:
        fields = [FormField(path, "Beløb" if spec.key != PENSION_KEY else "Faktisk udgift", Kind.NUMBER, unit="kr.")]
    else:
        split = "Udfyld linjerne – eller kun kategoriens samlede beløb."
        help_text = f"{split} {help_text}".strip()
        fields = [FormField(f"{path}.{line}", text, Kind.NUMBER, unit="kr.") for line, text in spec.lines]
        fields.append(FormField(path, "Samlet beløb (i stedet for linjerne)", Kind.NUMBER, unit="kr."))
    if spec.key == PENSION_KEY:
        fields.append(
            FormField(f"{path}.{SALARY_BASIS}", "Lønsum for tjenestemænd (i stedet)", Kind.NUMBER, unit="kr.")
        )
    return FormSection(f"{spec.number}. {spec.label}", help_text, tuple(fields), group="Omkostninger")


def _level_fields() -> list[FormField]:
    fields: list[FormField] = []
    for i in range(MAX_LEVELS):
        fields.append(FormField(f"service.levels[{i}].name", f"Niveau {i + 1}: navn", help="Fx A, B, C"))
        fields.append(
            FormField(
                f"service.levels[{i}].hours_per_week",
                f"Niveau {i + 1}: timer pr. uge",
                Kind.NUMBER,
                "Ydelsestakst = timer × timepris / 7 (R-TAR-04).",
                unit="timer/uge",
            )
        )
    return fields


SECTIONS: tuple[FormSection, ...] = (
    FormSection(
        "Tilbud",
        "Registrets oplysninger er udfyldt på forhånd.",
        (
            FormField("offer.name", "Tilbuddets navn", required=True),
            FormField(
                "offer.kind",
                "Tilbudstype",
                Kind.CHOICE,
                "Bestemmer grænserne for belægning (R-OCC-01/02).",
                _choices(OFFER_KIND_LABELS),
            ),
            FormField(
                "offer.new", "Nyt tilbud", Kind.CHECKBOX, "Et nyt tilbud må budgettere forventet belægning (R-NEW-01)."
            ),
            FormField(
                "offer.places",
                "Antal pladser",
                Kind.NUMBER,
                "Ændres antallet, skal det begrundes (R-GOV-03).",
                unit="pladser",
                required=True,
            ),
            FormField("offer.legal_basis", "Lovgrundlag", help="Fx SEL § 108."),
            FormField("offer.target_group", "Målgruppe"),
        ),
    ),
    FormSection(
        "Belægning",
        "R-OCC-01, R-OCC-02, R-OCC-03",
        (
            FormField(
                "occupancy.percent", "Budgetteret belægning", Kind.NUMBER, "I procent, fx 96.", unit="%", required=True
            ),
            FormField("occupancy.method", "Metode", Kind.CHOICE, choices=_choices(OCCUPANCY_METHOD_LABELS)),
            FormField(
                "occupancy.reason",
                "Begrundelse for belægningen",
                Kind.TEXTAREA,
                "Kræves ved forventet belægning (R-OCC-03).",
            ),
            FormField(
                "occupancy.previous_years[0]",
                "Faktisk belægning, seneste regnskabsår",
                Kind.NUMBER,
                "Bruges ved gennemsnit af to år (R-OCC-03).",
                unit="%",
            ),
            FormField("occupancy.previous_years[1]", "Faktisk belægning, året før", Kind.NUMBER, unit="%"),
        ),
    ),
    *(_category_section(spec) for spec in CATEGORIES),
    FormSection(
        "Regulering fra regnskabet",
        "R-SUR-03",
        (
            FormField(
                "regulation_due",
                "Regulering der skal med i år",
                Kind.NUMBER,
                "Fra regnskabet: + underskud, − overskud ud over grænsen (R-SUR-03).",
                unit="kr.",
            ),
        ),
    ),
    FormSection(
        "Ydelse og takstmodel",
        "R-TAR-03, R-TAR-04, R-TAR-12",
        (
            FormField(
                "direct_support_hours_per_year",
                "Direkte borgerrettede timer pr. år",
                Kind.NUMBER,
                "ATA-timer med borgerne i alt pr. år (R-TAR-12).",
                unit="timer",
                required=True,
            ),
            FormField("service.name", "Ydelsens navn"),
            FormField("service.type", "Takstmodel", Kind.CHOICE, choices=_choices(TARIFF_TYPE_LABELS)),
            FormField(
                "service.hourly_rate",
                "Timepris",
                Kind.NUMBER,
                "Kun basis + ydelsesniveauer; tom = beregnes (R-TAR-04).",
                unit="kr./time",
            ),
            FormField(
                "service.budgeted_units",
                "Budgetterede timer eller enheder",
                Kind.NUMBER,
                "Kun time- og enhedstakster (R-TAR-03).",
            ),
            *_level_fields(),
        ),
    ),
    FormSection(
        "Sundhedsydelser",
        "R-TAR-09",
        (
            FormField("health_services.included", "Sundhedsydelser indgår i taksten", Kind.CHECKBOX),
            FormField(
                "health_services.description",
                "Beskrivelse af sundhedsydelserne",
                Kind.TEXTAREA,
                "Kræves, hvis de indgår (R-TAR-09).",
            ),
        ),
    ),
    FormSection(
        "Sidste år",
        "Fra sidste års godkendte indberetning (R-TAR-13, R-GOV-03).",
        (
            FormField("last_year.tariff", "Sidste års godkendte takst", Kind.READONLY, unit="kr."),
            FormField("last_year.places", "Sidste års antal pladser", Kind.READONLY),
        ),
    ),
    FormSection(
        "Bemærkninger",
        "Begrund fx en væsentlig takstændring (R-TAR-13) eller et ændret antal pladser (R-GOV-03).",
        (FormField("remarks", "Bemærkninger", Kind.TEXTAREA),),
    ),
)
FIELDS: dict[str, FormField] = {f.name: f for s in SECTIONS for f in s.fields}
SECTION_OF: dict[str, FormSection] = {f.name: s for s in SECTIONS for f in s.fields}
WHOLE_SUBMISSION_FIELDS = {"budget_year": "Budgetår", "ruleset": "Regelsæt", "costs": "Takstberegningsgrundlaget"}


# --- public shape -> form values ------------------------------------------------------------------


def _get(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        match = re.match(r"^([^\[]+)(?:\[(\d+)\])?$", part)
        if match is None or not isinstance(current, Mapping):
            return None
        current = current.get(match.group(1))
        if match.group(2) is not None:
            index = int(match.group(2))
            current = current[index] if isinstance(current, list) and index < len(current) else None
    return current


def input_number_text(value: object) -> str:
    """A stored number as a Danish input value without grouping: '2070,25', '24', '-250000'."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}".replace(".", ",")


def _cost_values(costs: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for spec in CATEGORIES:
        value = costs.get(spec.key)
        path = f"costs.{spec.key}"
        if isinstance(value, Mapping):
            for line, amount in value.items():
                if line == "total":
                    values[path] = input_number_text(amount)
                elif line == SALARY_BASIS:
                    values[f"{path}.{SALARY_BASIS}"] = input_number_text(amount)
                else:
                    values[f"{path}.{line}"] = input_number_text(amount)
        elif value is not None:
            values[path] = input_number_text(value)
    return values


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's values from a (possibly partial) public-shape submission."""
    values: dict[str, str] = {}
    for name, spec in FIELDS.items():
        if name.startswith("costs."):
            continue
        value = _get(data, name)
        if spec.kind is Kind.CHECKBOX:
            values[name] = "on" if value is True else ""
        elif spec.kind in (Kind.NUMBER, Kind.READONLY):
            values[name] = input_number_text(value)
        else:
            values[name] = "" if value is None else str(value)
    costs = data.get("costs")
    if isinstance(costs, Mapping):
        values.update(_cost_values(costs))
    return values


# --- form values -> public shape ------------------------------------------------------------------


def danish_number_text(text: str) -> str:
    """'1.100.000' -> '1100000': in a Danish form a dot groups thousands (amount() reads the comma)."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    return cleaned.replace(".", "") if _THOUSANDS.match(cleaned) else cleaned


@dataclass
class _Builder:
    values: Mapping[str, str]
    findings: list[Finding] = field(default_factory=list)

    def text(self, name: str) -> str:
        return str(self.values.get(name, "") or "").strip()

    def number(self, name: str) -> str | None:
        text = danish_number_text(self.text(name))
        return text or None

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "true", "1", "ja")

    def costs(self) -> dict[str, Any]:
        costs: dict[str, Any] = {}
        for spec in CATEGORIES:
            path = f"costs.{spec.key}"
            total = self.number(path)
            lines = {line: v for line, _ in spec.lines if line != "total" and (v := self.number(f"{path}.{line}"))}
            salary = self.number(f"{path}.{SALARY_BASIS}") if spec.key == PENSION_KEY else None
            if (lines or salary) and total is not None:
                self.findings.append(
                    Finding(
                        "R-TAR-07" if salary else "R-TAR-02",
                        Severity.ERROR,
                        f"{spec.label}: udfyld enten det samlede beløb eller "
                        f"{'lønsummen' if salary else 'linjerne'}, ikke begge.",
                        path,
                    )
                )
            if salary is not None:
                costs[spec.key] = {SALARY_BASIS: salary}
            elif lines:
                costs[spec.key] = lines
            elif total is not None:
                costs[spec.key] = total
        return costs

    def levels(self) -> list[dict[str, str]]:
        levels = []
        for i in range(MAX_LEVELS):
            name = self.text(f"service.levels[{i}].name")
            hours = self.number(f"service.levels[{i}].hours_per_week")
            if name or hours:
                levels.append({"name": name or f"Niveau {i + 1}", "hours_per_week": hours or ""})
        return levels


def submission_data(
    values: Mapping[str, str], ruleset_id: str, budget_year: int
) -> tuple[dict[str, Any], list[Finding]]:
    """The public JSON shape from the form's values, and the problems only the form can have.

    The rule set and budget year come from the page (the service's cycle), not from the form.
    """
    b = _Builder(values)
    service: dict[str, Any] = {"name": b.text("service.name"), "type": b.text("service.type") or "average"}
    for key in ("hourly_rate", "budgeted_units"):
        if (value := b.number(f"service.{key}")) is not None:
            service[key] = value
    service["levels"] = b.levels()
    data: dict[str, Any] = {
        "ruleset": ruleset_id,
        "budget_year": budget_year,
        "offer": {
            "name": b.text("offer.name"),
            "kind": b.text("offer.kind") or "24h",
            "new": b.flag("offer.new"),
            "places": b.number("offer.places"),
            "legal_basis": b.text("offer.legal_basis"),
            "target_group": b.text("offer.target_group"),
        },
        "occupancy": {
            "percent": b.number("occupancy.percent"),
            "method": b.text("occupancy.method") or "two_year_mean",
            "reason": b.text("occupancy.reason"),
            "previous_years": [v for i in range(2) if (v := b.number(f"occupancy.previous_years[{i}]"))],
        },
        "costs": b.costs(),
        "direct_support_hours_per_year": b.number("direct_support_hours_per_year"),
        "service": service,
        "health_services": {
            "included": b.flag("health_services.included"),
            "description": b.text("health_services.description"),
        },
        "remarks": b.text("remarks"),
    }
    regulation_due = b.number("regulation_due")
    if regulation_due is not None:
        data["regulation_due"] = regulation_due
    last_tariff, last_places = b.number("last_year.tariff"), b.number("last_year.places")
    if last_tariff is not None and last_places is not None:
        data["last_year"] = {"tariff": last_tariff, "places": last_places}
    return data, b.findings


def field_for(finding_field: str) -> str | None:
    """The form field a finding belongs to: the field itself or its nearest enclosing field."""
    candidate = finding_field.strip()
    while candidate:
        if candidate in FIELDS:
            return candidate
        prefixed = next((name for name in FIELDS if name.startswith((f"{candidate}.", f"{candidate}["))), None)
        if prefixed is not None and candidate != "costs":
            return prefixed
        parent = _LAST_SEGMENT.match(candidate)
        candidate = parent.group(1) if parent else ""
    return None


def field_label(finding_field: str) -> str:
    """A finding's field as the form names it: 'Budgetteret belægning', '1. Personaleudgifter: Øverste ledelse'."""
    if finding_field in WHOLE_SUBMISSION_FIELDS:
        return WHOLE_SUBMISSION_FIELDS[finding_field]
    name = field_for(finding_field)
    if name is None:
        return finding_field or "–"
    section = SECTION_OF[name]
    return f"{section.title}: {FIELDS[name].label}" if section.group else FIELDS[name].label


def finding_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """A stored or fresh finding (``finding_to_data``) with where it is (file cell or form field) and a link."""
    field_name = str(data.get("field") or "")
    name = field_for(field_name)
    return {
        **data,
        "where": data.get("source") or field_label(field_name),
        "anchor": FIELDS[name].element_id if name is not None else "",
    }
