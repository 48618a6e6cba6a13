"""The web form of an accounts submission (regnskab): its fields, and the way between form fields and the
public JSON shape (``domain.accounts_submission.build_accounts_submission``, docs/accounts-submission-json.md).

As for the tariff form (``submission_form``), a field's name is its path in the public shape
(``costs.personnel.top_management``, ``income.tariff_income``), so a finding's ``field`` points at its
input. The form has the same fields as the regnskabsskema (XLSX); nothing here checks the content.
Purchases for an early repayment (R-SUR-07) are one field per municipality of the region
(``purchases.<kommunekode>``), read like the API's ``purchases`` object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rammeaftale.domain.accounts import ACCOUNTS_LEVEL_LABELS
from rammeaftale.domain.accounts_submission import FORMAT, INCOME_LINES
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.submission import CATEGORIES, CategorySpec
from rammeaftale.entrypoints.web.submission_form import (
    FormField,
    FormSection,
    Kind,
    danish_number_text,
    input_number_text,
)

PURCHASES = "purchases"
REASON = "reason"
_LAST_SEGMENT = re.compile(r"^(.+?)(\.[^.\[\]]+|\[\d+\])$")

GROUP_HELP = {
    "Omkostninger": "Årets faktiske omkostninger i kr. i takstens kategorier (R-TAR-02). Finansieringsindtægter "
    "indtastes positivt og trækkes fra.",
}
_CATEGORY_HELP = {
    "financing_income": "Indtastes positivt; trækkes fra i omkostningerne som i takstberegningen.",
    "civil_servant_pension": "Den faktiske udgift i regnskabsåret (R-TAR-07).",
    "regulation": "Den regulering, taksten indeholdt: + underskud, − overskud fra tidligere år (R-TAR-08).",
}


def _category_section(spec: CategorySpec) -> FormSection:
    path = f"costs.{spec.key}"
    single = [name for name, _ in spec.lines] == ["total"]
    help_text = _CATEGORY_HELP.get(spec.key, "")
    if single:
        fields = [FormField(path, "Faktisk beløb", Kind.NUMBER, unit="kr.")]
    else:
        help_text = f"Udfyld linjerne – eller kun kategoriens samlede beløb. {help_text}".strip()
        fields = [FormField(f"{path}.{line}", text, Kind.NUMBER, unit="kr.") for line, text in spec.lines]
        fields.append(FormField(path, "Samlet beløb (i stedet for linjerne)", Kind.NUMBER, unit="kr."))
    return FormSection(f"{spec.number}. {spec.label}", help_text, tuple(fields), group="Omkostninger")


SECTIONS: tuple[FormSection, ...] = (
    FormSection(
        "Regnskabets niveau",
        "R-ACC-01: regnskabet aflægges pr. tilbud eller pr. målgruppe, på samme niveau hvert år.",
        (
            FormField(
                "level",
                "Regnskabsniveau",
                Kind.CHOICE,
                "Det samme hvert år (R-ACC-01).",
                tuple((level.value, label.capitalize()) for level, label in ACCOUNTS_LEVEL_LABELS.items()),
            ),
            FormField("target_group", "Målgruppe", help="Kun når regnskabet aflægges pr. målgruppe (R-ACC-01)."),
            FormField(
                "new_offer",
                "Nyt tilbud (første regnskabsår)",
                Kind.CHECKBOX,
                "Et nyt tilbuds underskud i det første år kan fordeles over flere år (R-NEW-02).",
            ),
        ),
    ),
    *(_category_section(spec) for spec in CATEGORIES),
    FormSection(
        "Indtægter",
        "Årets faktiske indtægter i kr.; resultatet er indtægter − omkostninger (§ 7).",
        tuple(
            FormField(f"income.{key}", label, Kind.NUMBER, unit="kr.", required=key == "tariff_income")
            for key, label in INCOME_LINES
        ),
    ),
    FormSection(
        "Takstberegningsgrundlag",
        "R-SUR-01, R-SUR-04: resultatet måles i procent af årets takstberegningsgrundlag.",
        (
            FormField(
                "cost_base",
                "Årets takstberegningsgrundlag",
                Kind.NUMBER,
                "Udfyldt fra årets godkendte takst; findes den, måles resultatet altid mod den.",
                unit="kr.",
            ),
        ),
    ),
    FormSection(
        "Hensættelse og tilbagebetaling",
        "R-SUR-01, R-SUR-07",
        (
            FormField(
                "reserve_requested",
                "Ønsket hensættelse af overskud",
                Kind.NUMBER,
                "Højst regelsættets procent af grundlaget (R-SUR-01). Tom = alt det tilladte.",
                unit="kr.",
            ),
            FormField(
                "early_repayment",
                "Tilbagebetaling til køberne nu",
                Kind.NUMBER,
                "Kun af overskuddet ud over grænsen; fordeles efter købernes køb i regnskabsåret (R-SUR-07).",
                unit="kr.",
            ),
        ),
    ),
    FormSection("Bemærkninger", "", (FormField("remarks", "Bemærkninger", Kind.TEXTAREA),)),
)
REASON_FIELD = FormField(
    REASON,
    "Begrundelse for rettelsen",
    Kind.TEXTAREA,
    "Skal udfyldes, når der allerede er et regnskab for året: rettelsen bliver en ny version (R-ACC-01).",
)
FIELDS: dict[str, FormField] = {f.name: f for s in SECTIONS for f in s.fields} | {REASON: REASON_FIELD}
SECTION_OF: dict[str, FormSection] = {f.name: s for s in SECTIONS for f in s.fields}
# Findings about the accounts as a whole, or about what only the server decides, have no input of their own.
WHOLE_FIELDS = {
    "accounts_year": "Regnskabsår",
    "ruleset": "Regelsæt",
    "offer_code": "Tilbud",
    "costs": "Omkostningerne",
    "income": "Indtægterne",
    PURCHASES: "Købernes køb i regnskabsåret",
    "amount": "Tilbagebetaling til køberne nu",
    "year": "Tilbagebetaling til køberne nu",
}
ALIASES = {"amount": "early_repayment", "year": "early_repayment"}


def purchase_field(kommunekode: int, name: str) -> FormField:
    return FormField(f"{PURCHASES}.{kommunekode}", name, Kind.NUMBER, unit="kr.")


# --- public shape -> form values ---------------------------------------------------------------------


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's values from a (possibly partial) public-shape accounts submission."""
    values: dict[str, str] = {
        "level": str(data.get("level") or "offer"),
        "target_group": str(data.get("target_group") or ""),
        "new_offer": "on" if data.get("new_offer") is True else "",
        "remarks": str(data.get("remarks") or ""),
    }
    for key in ("cost_base", "reserve_requested", "early_repayment"):
        values[key] = input_number_text(data.get(key))
    income = data.get("income")
    for key, _ in INCOME_LINES:
        values[f"income.{key}"] = input_number_text(income.get(key) if isinstance(income, Mapping) else None)
    costs = data.get("costs")
    for spec in CATEGORIES:
        value = costs.get(spec.key) if isinstance(costs, Mapping) else None
        path = f"costs.{spec.key}"
        if isinstance(value, Mapping):
            for line, amount in value.items():
                values[path if line == "total" else f"{path}.{line}"] = input_number_text(amount)
        elif value is not None:
            values[path] = input_number_text(value)
    return values


# --- form values -> public shape ---------------------------------------------------------------------


@dataclass
class _Reader:
    values: Mapping[str, str]
    findings: list[Finding] = field(default_factory=list)

    def text(self, name: str) -> str:
        return str(self.values.get(name, "") or "").strip()

    def number(self, name: str) -> str | None:
        return danish_number_text(self.text(name)) or None

    def costs(self) -> dict[str, Any]:
        costs: dict[str, Any] = {}
        for spec in CATEGORIES:
            path = f"costs.{spec.key}"
            total = self.number(path)
            lines = {line: v for line, _ in spec.lines if line != "total" and (v := self.number(f"{path}.{line}"))}
            if lines and total is not None:
                message = f"{spec.label}: udfyld enten det samlede beløb eller linjerne, ikke begge."
                self.findings.append(Finding("R-TAR-02", Severity.ERROR, message, path))
            if lines:
                costs[spec.key] = lines
            elif total is not None:
                costs[spec.key] = total
        return costs


def accounts_data(
    values: Mapping[str, str], ruleset_id: str, year: int, offer_code: str, buyers: Sequence[tuple[int, str]]
) -> tuple[dict[str, Any], dict[str, str] | None, list[Finding]]:
    """The public JSON shape from the form, the purchases entered (kommunekode -> amount; None when none)
    and the problems only the form can have. The offer, year and rule set come from the page."""
    r = _Reader(values)
    data: dict[str, Any] = {
        "format": FORMAT,
        "ruleset": ruleset_id,
        "accounts_year": year,
        "offer_code": offer_code,
        "level": r.text("level") or "offer",
        "target_group": r.text("target_group"),
        "new_offer": r.text("new_offer") in ("on", "true", "1", "ja"),
        "costs": r.costs(),
        "income": {key: v for key, _ in INCOME_LINES if (v := r.number(f"income.{key}")) is not None},
        "remarks": r.text("remarks"),
    }
    for key in ("cost_base", "reserve_requested", "early_repayment"):
        if (value := r.number(key)) is not None:
            data[key] = value
    purchases = {str(code): v for code, _ in buyers if (v := r.number(f"{PURCHASES}.{code}")) is not None}
    return data, purchases or None, r.findings


# --- findings -> fields ----------------------------------------------------------------------------


def field_for(finding_field: str) -> str | None:
    """The form field a finding belongs to: the field itself or its nearest enclosing field."""
    candidate = ALIASES.get(finding_field.strip(), finding_field.strip())
    if candidate.startswith(f"{PURCHASES}."):
        return candidate
    while candidate:
        if candidate in FIELDS:
            return candidate
        prefixed = next((name for name in FIELDS if name.startswith((f"{candidate}.", f"{candidate}["))), None)
        if prefixed is not None and candidate not in ("costs", "income"):
            return prefixed
        parent = _LAST_SEGMENT.match(candidate)
        candidate = parent.group(1) if parent else ""
    return None


def field_label(finding_field: str) -> str:
    if finding_field in WHOLE_FIELDS:
        return WHOLE_FIELDS[finding_field]
    name = field_for(finding_field)
    if name is None:
        return finding_field or "–"
    if name.startswith(f"{PURCHASES}."):
        return f"Køb i regnskabsåret, kommune {name.split('.', 1)[1]}"
    section = SECTION_OF.get(name)
    label = FIELDS[name].label
    return f"{section.title}: {label}" if section is not None and section.group else label


def element_id(name: str) -> str:
    return FIELDS[name].element_id if name in FIELDS else "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def finding_view(data: Mapping[str, Any], *, in_form: bool) -> dict[str, Any]:
    """A finding (``finding_to_data``) with where it is: the file's cell, or the form's field with a link."""
    field_name = str(data.get("field") or "")
    name = field_for(field_name)
    where = field_label(field_name) if in_form or not data.get("source") else data.get("source")
    return {**data, "where": where, "anchor": element_id(name) if name is not None and in_form else ""}
