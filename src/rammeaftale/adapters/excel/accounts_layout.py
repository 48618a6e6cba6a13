"""The one declarative layout of the accounts workbook (regnskabsskema), like ``layout.py`` for tariffs.

Sheet "Regnskab": Danish label in column A, help text in B, the value (for costs and income: the actual
figure of the accounts year) in C, and the budget the tariff was set on (read-only, never read back) in D.
Every row that holds a value maps to a field path of the public JSON shape
(``domain.accounts_submission.build_accounts_submission``); writer, reader and finding locator use this
list. The rows are ``layout.Row``s on their own sheet, so the tariff reader's cell parsing reads them.

A cost category's heading row is also an input (the category total for operators who do not split it
into lines); for categories whose only line is "total" the heading row is the value row.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rammeaftale.adapters.excel.layout import FIRST_ROW, Row, RowKind, ValueKind
from rammeaftale.domain.accounts import ACCOUNTS_LEVEL_LABELS
from rammeaftale.domain.accounts_submission import INCOME_LINES
from rammeaftale.domain.submission import CATEGORIES, CategorySpec

SHEET = "Regnskab"
GUIDE_SHEET = "Vejledning"
META_SHEET = "_meta"
FORMAT_ID = "rammeaftale-regnskabsskema"
FORMAT_VERSION = "1"
COLUMN_HEADINGS = ("Felt", "Vejledning", "Regnskab (faktisk)", "Budget (takstberegning)")
BUDGET_COLUMN = "D"

COSTS_TOTAL_FIELD = "costs"
INCOME_TOTAL_FIELD = "income"
RESULT_FIELD = "result"
LEVEL_CHOICES = tuple((level.value, label) for level, label in ACCOUNTS_LEVEL_LABELS.items())

R_ACC = "R-ACC-01"


def _row(
    kind: RowKind,
    label: str,
    help_text: str = "",
    field: str = "",
    *,
    value: ValueKind = ValueKind.TEXT,
    rule_id: str = R_ACC,
    choices: tuple[tuple[str, str], ...] = (),
    category: str = "",
) -> Row:
    return Row(kind, label, help_text, field, value, choices, rule_id, category, sheet=SHEET)


def _section(label: str, help_text: str = "") -> Row:
    return _row(RowKind.SECTION, label, help_text)


def _input(
    field: str,
    label: str,
    help_text: str,
    value: ValueKind = ValueKind.TEXT,
    rule_id: str = R_ACC,
    choices: tuple[tuple[str, str], ...] = (),
) -> Row:
    return _row(RowKind.INPUT, label, help_text, field, value=value, rule_id=rule_id, choices=choices)


_CATEGORY_HELP = {
    "financing_income": "Indtastes positivt; trækkes fra i omkostningerne som i takstberegningen.",
    "civil_servant_pension": "Den faktiske udgift i regnskabsåret (R-TAR-07).",
    "regulation": "Den regulering, taksten indeholdt: + underskud, − overskud fra tidligere år (R-TAR-08).",
}
_SPLIT_HELP = "Udfyld linjerne nedenfor – eller kun kategoriens samlede beløb her."


def _category_rows(spec: CategorySpec) -> list[Row]:
    single = [name for name, _ in spec.lines] == ["total"]
    help_text = _CATEGORY_HELP.get(spec.key, "Faktisk beløb i kr." if single else _SPLIT_HELP)
    if not single and spec.key in _CATEGORY_HELP:
        help_text = f"{_SPLIT_HELP} {help_text}"
    rows = [
        _row(
            RowKind.CATEGORY,
            f"{spec.number}. {spec.label}",
            help_text,
            f"costs.{spec.key}",
            value=ValueKind.AMOUNT,
            rule_id="R-TAR-02",
            category=spec.key,
        )
    ]
    if not single:
        rows.extend(
            _row(
                RowKind.INPUT,
                label,
                "Faktisk beløb i kr.",
                f"costs.{spec.key}.{line}",
                value=ValueKind.AMOUNT,
                rule_id="R-TAR-02",
                category=spec.key,
            )
            for line, label in spec.lines
        )
    return rows


def _build_rows() -> tuple[Row, ...]:
    rows: list[Row] = [
        _section("Regelsæt og år"),
        _input("ruleset", "Regelsæt", "Regnskabsårets regelsæt, fx nordjylland-2023-2024."),
        _input("accounts_year", "Regnskabsår", "Året regnskabet gælder for, fx 2024.", ValueKind.YEAR),
        _section("Tilbud", "R-ACC-01: samme niveau hvert år"),
        _input("offer_code", "Tilbudskode", "Fx N-851-01."),
        _input(
            "level",
            "Regnskabsniveau",
            "Pr. tilbud eller pr. målgruppe – det samme hvert år (R-ACC-01).",
            ValueKind.CHOICE,
            choices=LEVEL_CHOICES,
        ),
        _input("target_group", "Målgruppe", "Kun når regnskabet aflægges pr. målgruppe (R-ACC-01)."),
        _input(
            "new_offer",
            "Nyt tilbud (første regnskabsår)",
            "Ja, hvis regnskabsåret er tilbuddets første; et underskud kan da fordeles over flere år (R-NEW-02).",
            ValueKind.YES_NO,
            "R-NEW-02",
        ),
        _section("Omkostninger", "Faktiske omkostninger i takstens kategorier (R-TAR-02); budgettet i kolonne D"),
    ]
    for spec in CATEGORIES:
        rows.extend(_category_rows(spec))
    rows.extend(
        [
            _row(
                RowKind.PREVIEW,
                "Omkostninger i alt (beregnet)",
                "Forhåndsvisning: alle kategorier − finansieringsindtægter. Rammeaftale beregner selv; feltet læses ikke.",
                COSTS_TOTAL_FIELD,
                value=ValueKind.AMOUNT,
                rule_id=R_ACC,
            ),
            _section("Indtægter"),
            *(_input(f"income.{key}", label, "Faktisk beløb i kr.", ValueKind.AMOUNT) for key, label in INCOME_LINES),
            _row(
                RowKind.PREVIEW,
                "Indtægter i alt (beregnet)",
                "Forhåndsvisning; feltet læses ikke.",
                INCOME_TOTAL_FIELD,
                value=ValueKind.AMOUNT,
                rule_id=R_ACC,
            ),
            _row(
                RowKind.PREVIEW,
                "Resultat (beregnet)",
                "Indtægter − omkostninger: + overskud, − underskud (§ 7). Feltet læses ikke.",
                RESULT_FIELD,
                value=ValueKind.AMOUNT,
                rule_id=R_ACC,
            ),
            _section("Takstberegningsgrundlag", "R-SUR-01, R-SUR-04"),
            _input(
                "cost_base",
                "Årets takstberegningsgrundlag (kr.)",
                "Budgettet taksten blev beregnet på; resultatet måles i procent af det. Findes en godkendt takst, "
                "bruger Rammeaftale dens grundlag.",
                ValueKind.AMOUNT,
                "R-SUR-01",
            ),
            _section("Hensættelse og tilbagebetaling", "R-SUR-01, R-SUR-07"),
            _input(
                "reserve_requested",
                "Ønsket hensættelse af overskud (kr.)",
                "Højst regelsættets procent af grundlaget (R-SUR-01). Tom = alt det tilladte.",
                ValueKind.AMOUNT,
                "R-SUR-01",
            ),
            _input(
                "early_repayment",
                "Tilbagebetaling til køberne nu (kr.)",
                "Kun af overskuddet ud over grænsen, i stedet for en lavere takst senere (R-SUR-07).",
                ValueKind.AMOUNT,
                "R-SUR-07",
            ),
            _section("Bemærkninger"),
            _input("remarks", "Bemærkninger", "Fx forklaring på et stort over- eller underskud."),
        ]
    )
    return tuple(replace(row, number=FIRST_ROW + i) for i, row in enumerate(rows))


ROWS: tuple[Row, ...] = _build_rows()
LAST_ROW = ROWS[-1].number
ROW_BY_FIELD: dict[str, Row] = {row.field: row for row in ROWS if row.field}
VALUE_ROWS: tuple[Row, ...] = tuple(row for row in ROWS if row.reads_value)
PREVIEW_ROWS: tuple[Row, ...] = tuple(row for row in ROWS if row.kind is RowKind.PREVIEW)


def category_row(key: str) -> Row:
    return ROW_BY_FIELD[f"costs.{key}"]


def line_rows(key: str) -> tuple[Row, ...]:
    return tuple(row for row in ROWS if row.kind is RowKind.INPUT and row.category == key)


def field_map() -> dict[str, str]:
    """Every field with a cell, as written to the hidden _meta sheet: field -> ``Regnskab!C12``."""
    return {row.field: row.ref for row in ROWS if row.field}


_LAST_SEGMENT = re.compile(r"^(.+?)(\.[^.\[\]]+|\[\d+\])$")


def cell_for_field(field: str) -> str | None:
    """The cell for a field path (``Regnskab!C30``), the nearest enclosing field's otherwise, or None.

    ``costs.personnel.unknown`` gives the heading of personnel, ``income`` its first line (never a preview).
    """
    candidate = field.strip()
    while candidate:
        row = next((r for r in VALUE_ROWS if r.field == candidate or r.field.startswith(f"{candidate}.")), None)
        if row is not None:
            return row.ref
        parent = _LAST_SEGMENT.match(candidate)
        candidate = parent.group(1) if parent else ""
    return None
