"""The one declarative layout of the tariff submission workbook (takstberegningsskema).

Sheet "Takstberegning": Danish label in column A, help text in B, the value in C and last year's
figure (read-only) in D. Every row that holds a value maps to a field path of the public JSON shape
(``domain.submission.build_submission``); the template writer, the reader and the finding locator all
use this list, so a cell address is written down exactly once.

A cost category's heading row is also an input: the category total, for operators who do not split
the category into lines. For categories whose only line is "total" the heading row is the value row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeVar

from rammeaftale.domain.submission import (
    CATEGORIES,
    OCCUPANCY_METHOD_LABELS,
    OFFER_KIND_LABELS,
    TARIFF_TYPE_LABELS,
    CategorySpec,
)

_Code = TypeVar("_Code", bound=StrEnum)

SHEET = "Takstberegning"
GUIDE_SHEET = "Vejledning"
META_SHEET = "_meta"
FORMAT_ID = "rammeaftale-takstberegningsskema"
FORMAT_VERSION = "1"

TITLE_ROW = 1
BANNER_ROW = 2
HEADER_ROW = 3
FIRST_ROW = 4
LABEL_COLUMN = "A"
HELP_COLUMN = "B"
VALUE_COLUMN = "C"
LAST_YEAR_COLUMN = "D"
COLUMN_HEADINGS = ("Felt", "Vejledning", "Værdi", "Sidste år")

COST_BASE_FIELD = "costs"
PENSION_KEY = "civil_servant_pension"
SALARY_BASIS_LINE = "salary_basis"
MAX_SERVICE_LEVELS = 6
YES = "Ja"
NO = "Nej"


class RowKind(StrEnum):
    SECTION = "section"  # a heading, no value
    CATEGORY = "category"  # a cost category heading; its value cell takes the category total
    INPUT = "input"  # an ordinary value row
    PREVIEW = "preview"  # a computed formula, never read back


class ValueKind(StrEnum):
    TEXT = "text"
    YEAR = "year"
    AMOUNT = "amount"  # kroner, read to 2 decimals
    NUMBER = "number"  # places, hours, units
    PERCENT = "percent"  # written as 96, not 0.96
    YES_NO = "yes_no"
    CHOICE = "choice"


@dataclass(frozen=True)
class Row:
    """One row of the sheet; ``number`` is the Excel row number."""

    kind: RowKind
    label: str
    help: str = ""
    field: str = ""
    value: ValueKind = ValueKind.TEXT
    choices: tuple[tuple[str, str], ...] = ()  # (code, Danish label) for CHOICE rows
    rule_id: str = "R-TAR-02"
    category: str = ""  # cost category key for category headings and their lines
    number: int = 0
    sheet: str = SHEET  # the accounts workbook's rows live on its own sheet (accounts_layout.py)

    @property
    def cell(self) -> str:
        return f"{VALUE_COLUMN}{self.number}"

    @property
    def ref(self) -> str:
        """``Takstberegning!C12``."""
        return f"{self.sheet}!{self.cell}"

    @property
    def reads_value(self) -> bool:
        return self.kind in (RowKind.INPUT, RowKind.CATEGORY)


def _choices(labels: Mapping[_Code, str]) -> tuple[tuple[str, str], ...]:
    return tuple((code.value, label) for code, label in labels.items())


OFFER_KIND_CHOICES = _choices(OFFER_KIND_LABELS)
OCCUPANCY_METHOD_CHOICES = _choices(OCCUPANCY_METHOD_LABELS)
TARIFF_TYPE_CHOICES = _choices(TARIFF_TYPE_LABELS)


def _section(label: str, help_text: str = "") -> Row:
    return Row(RowKind.SECTION, label, help_text)


def _input(
    field: str,
    label: str,
    help_text: str = "",
    value: ValueKind = ValueKind.TEXT,
    rule_id: str = "R-TAR-02",
    choices: tuple[tuple[str, str], ...] = (),
) -> Row:
    return Row(RowKind.INPUT, label, help_text, field, value, choices, rule_id)


_CATEGORY_HELP = {
    "financing_income": "Indtastes positivt; trækkes fra i grundlaget (R-TAR-03).",
    "finance_leases": "Enten leasingydelser eller afskrivning og renter, ikke begge (R-TAR-10).",
    PENSION_KEY: "Faktisk udgift. Kendes den ikke, udfyld lønsummen i rækken nedenfor (R-TAR-07).",
    "regulation": "+ for underskud, − for overskud fra tidligere år (R-SUR-03/05).",
}
_SPLIT_HELP = "Udfyld linjerne nedenfor – eller kun kategoriens samlede beløb her."


def _category_rows(spec: CategorySpec) -> list[Row]:
    single = [name for name, _ in spec.lines] == ["total"]
    help_text = _CATEGORY_HELP.get(spec.key, "Beløb i kr." if single else _SPLIT_HELP)
    if not single and spec.key in _CATEGORY_HELP:
        help_text = f"{_SPLIT_HELP} {help_text}"
    rows = [
        Row(
            RowKind.CATEGORY,
            f"{spec.number}. {spec.label}",
            help_text,
            f"costs.{spec.key}",
            ValueKind.AMOUNT,
            category=spec.key,
        )
    ]
    if not single:
        rows.extend(
            Row(RowKind.INPUT, label, "Beløb i kr.", f"costs.{spec.key}.{line}", ValueKind.AMOUNT, category=spec.key)
            for line, label in spec.lines
        )
    if spec.key == PENSION_KEY:
        rows.append(
            Row(
                RowKind.INPUT,
                "Lønsum for tjenestemænd (alternativ)",
                "Pensionen beregnes som regelsættets procent af lønsummen (R-TAR-07). Udfyld kun, hvis den "
                "faktiske udgift ovenfor er tom.",
                f"costs.{PENSION_KEY}.{SALARY_BASIS_LINE}",
                ValueKind.AMOUNT,
                rule_id="R-TAR-07",
                category=spec.key,
            )
        )
    return rows


def _level_rows() -> list[Row]:
    rows: list[Row] = []
    for i in range(MAX_SERVICE_LEVELS):
        rows.append(
            _input(f"service.levels[{i}].name", f"Ydelsesniveau {i + 1}: navn", "Fx A, B, C", rule_id="R-TAR-04")
        )
        rows.append(
            _input(
                f"service.levels[{i}].hours_per_week",
                f"Ydelsesniveau {i + 1}: timer pr. uge",
                "Timer pr. uge; ydelsestakst = timer × timepris / 7 (R-TAR-04).",
                ValueKind.NUMBER,
                "R-TAR-04",
            )
        )
    return rows


def _build_rows() -> tuple[Row, ...]:
    rows: list[Row] = [
        _section("Regelsæt og år"),
        _input("ruleset", "Regelsæt", "Fx nordjylland-2025-2026.", rule_id="R-CYC-02"),
        _input("budget_year", "Budgetår", "Året taksten gælder for, fx 2026.", ValueKind.YEAR, "R-CYC-02"),
        _section("Tilbud"),
        _input("offer.id", "Tilbudsnummer", "Tilbuddets id, fx fra Tilbudsportalen."),
        _input("offer.name", "Tilbuddets navn", "Skal udfyldes."),
        _input(
            "offer.kind",
            "Tilbudstype",
            "Vælg fra listen (R-OCC-01/02).",
            ValueKind.CHOICE,
            "R-OCC-01",
            OFFER_KIND_CHOICES,
        ),
        _input("offer.new", "Nyt tilbud", "Ja eller Nej (R-NEW-01).", ValueKind.YES_NO, "R-NEW-01"),
        _input("offer.places", "Antal pladser", "Skal være over 0 (R-GOV-03).", ValueKind.NUMBER),
        _input("offer.legal_basis", "Lovgrundlag", "Fx SEL § 108."),
        _input("offer.target_group", "Målgruppe", "Fx voksne med udviklingshæmning."),
        _section("Belægning", "R-OCC-01, R-OCC-02, R-OCC-03"),
        _input(
            "occupancy.percent",
            "Budgetteret belægning (%)",
            "I procent, fx 96 (R-OCC-01/02).",
            ValueKind.PERCENT,
            "R-OCC-01",
        ),
        _input(
            "occupancy.method",
            "Metode for belægning",
            "Vælg fra listen (R-OCC-03, R-NEW-01).",
            ValueKind.CHOICE,
            "R-OCC-03",
            OCCUPANCY_METHOD_CHOICES,
        ),
        _input(
            "occupancy.reason",
            "Begrundelse for belægning",
            "Kræves ved forventet belægning (R-OCC-03).",
            rule_id="R-OCC-03",
        ),
        _input(
            "occupancy.previous_years[0]",
            "Faktisk belægning, seneste regnskabsår (%)",
            "Bruges ved gennemsnit af to år (R-OCC-03).",
            ValueKind.PERCENT,
            "R-OCC-03",
        ),
        _input(
            "occupancy.previous_years[1]",
            "Faktisk belægning, året før (%)",
            "Bruges ved gennemsnit af to år (R-OCC-03).",
            ValueKind.PERCENT,
            "R-OCC-03",
        ),
        _section("Omkostninger", "Takstberegningsgrundlag i kr. (R-TAR-02, R-TAR-03)"),
    ]
    for spec in CATEGORIES:
        rows.extend(_category_rows(spec))
    rows.extend(
        [
            Row(
                RowKind.PREVIEW,
                "Takstberegningsgrundlag (beregnet)",
                "Forhåndsvisning: kategori 1–6 og 8 − 7 + pension ± regulering (R-TAR-03). Rammeaftale beregner "
                "selv; feltet læses ikke.",
                COST_BASE_FIELD,
                ValueKind.AMOUNT,
                rule_id="R-TAR-03",
            ),
            _section("Regulering fra regnskabet", "R-SUR-03, R-SUR-05"),
            _input(
                "regulation_due",
                "Regulering der skal med i år (kr.)",
                "Fra regnskabet: + underskud, − overskud ud over 5 % (R-SUR-03/05).",
                ValueKind.AMOUNT,
                "R-SUR-03",
            ),
            _section("Ydelse og takstmodel", "R-TAR-03, R-TAR-04, R-TAR-12"),
            _input(
                "direct_support_hours_per_year",
                "Direkte borgerrettede timer pr. år",
                "ATA-timer med borgerne i alt pr. år (R-TAR-12).",
                ValueKind.NUMBER,
                "R-TAR-12",
            ),
            _input("service.name", "Ydelsens navn", "Tom = tilbuddets navn."),
            _input("service.type", "Takstmodel", "Vælg fra listen.", ValueKind.CHOICE, "R-TAR-04", TARIFF_TYPE_CHOICES),
            _input(
                "service.hourly_rate",
                "Timepris (kr.)",
                "Kun basis + ydelsesniveauer; tom = beregnes (R-TAR-04).",
                ValueKind.AMOUNT,
                "R-TAR-04",
            ),
            _input(
                "service.budgeted_units",
                "Budgetterede timer eller enheder",
                "Kun time- og enhedstakster (R-TAR-03).",
                ValueKind.NUMBER,
                "R-TAR-03",
            ),
            *_level_rows(),
            _section("Sundhedsydelser", "R-TAR-09"),
            _input(
                "health_services.included",
                "Sundhedsydelser indgår i taksten",
                "Ja eller Nej (R-TAR-09).",
                ValueKind.YES_NO,
                "R-TAR-09",
            ),
            _input(
                "health_services.description",
                "Beskrivelse af sundhedsydelser",
                "Kræves, hvis de indgår (R-TAR-09).",
                rule_id="R-TAR-09",
            ),
            _section("Sidste år", "R-TAR-13, R-GOV-03"),
            _input(
                "last_year.tariff",
                "Sidste års godkendte takst (kr.)",
                "Fra takstbilaget.",
                ValueKind.AMOUNT,
                "R-TAR-13",
            ),
            _input("last_year.places", "Sidste års antal pladser", "Fra takstbilaget.", ValueKind.NUMBER, "R-GOV-03"),
            _section("Bemærkninger"),
            _input(
                "remarks",
                "Bemærkninger",
                "Begrund fx væsentlige takstændringer (R-TAR-13) og ændrede pladstal (R-GOV-03).",
                rule_id="R-TAR-13",
            ),
        ]
    )
    return tuple(replace(row, number=FIRST_ROW + i) for i, row in enumerate(rows))


ROWS: tuple[Row, ...] = _build_rows()
LAST_ROW = ROWS[-1].number
ROW_BY_FIELD: dict[str, Row] = {row.field: row for row in ROWS if row.field}
VALUE_ROWS: tuple[Row, ...] = tuple(row for row in ROWS if row.reads_value)
PREVIEW_ROW = ROW_BY_FIELD[COST_BASE_FIELD]


def category_row(key: str) -> Row:
    return ROW_BY_FIELD[f"costs.{key}"]


def line_rows(key: str) -> tuple[Row, ...]:
    """The named lines of a category (not the pension salary basis)."""
    return tuple(
        row
        for row in ROWS
        if row.kind is RowKind.INPUT and row.category == key and not row.field.endswith(f".{SALARY_BASIS_LINE}")
    )


def field_map() -> dict[str, str]:
    """Every field with a cell, as written to the hidden _meta sheet: field -> ``Takstberegning!C12``."""
    return {row.field: row.ref for row in ROWS if row.field}


_LAST_SEGMENT = re.compile(r"^(.+?)(\.[^.\[\]]+|\[\d+\])$")


def cell_for_field(field: str) -> str | None:
    """The cell for a field path, e.g. ``Takstberegning!C12``; the nearest enclosing field otherwise.

    ``costs.personnel`` gives the category heading, ``costs`` the cost-base cell, ``service.levels`` the
    first level, ``costs.personnel.unknown`` the heading of personnel. None when nothing matches.
    """
    candidate = field.strip()
    while candidate:
        row = _match(candidate)
        if row is not None:
            return row.ref
        parent = _LAST_SEGMENT.match(candidate)
        candidate = parent.group(1) if parent else ""
    return None


def _match(field: str) -> Row | None:
    if field in ROW_BY_FIELD:
        return ROW_BY_FIELD[field]
    return next((row for row in ROWS if row.field.startswith((f"{field}.", f"{field}["))), None)
