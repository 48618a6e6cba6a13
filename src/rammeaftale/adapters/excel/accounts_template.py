"""Writes the accounts workbook (regnskabsskema) from ``accounts_layout``, with the tariff writer's cells.

``write_accounts_template`` fills column C from ``prefill`` (the public accounts JSON shape, possibly
partial: offer code, year, rule set, cost base …) and column D from ``budget`` (the tariff's ``costs`` in
the tariff JSON shape, the pension as an amount), and adds the Danish guide, dropdowns, number formats,
preview formulas (costs, income, result) and the hidden ``_meta`` sheet the reader recognises it by.
Plain data in, bytes out: no database.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from rammeaftale.adapters.excel.accounts_layout import (
    BUDGET_COLUMN,
    COLUMN_HEADINGS,
    COSTS_TOTAL_FIELD,
    FORMAT_ID,
    FORMAT_VERSION,
    GUIDE_SHEET,
    INCOME_TOTAL_FIELD,
    META_SHEET,
    RESULT_FIELD,
    ROW_BY_FIELD,
    ROWS,
    SHEET,
    VALUE_ROWS,
    category_row,
    field_map,
    line_rows,
)
from rammeaftale.adapters.excel.layout import VALUE_COLUMN
from rammeaftale.adapters.excel.paths import get_path
from rammeaftale.adapters.excel.template import (
    _BOLD,
    _LAST_YEAR_FILL,
    _LOCKED,
    _PREVIEW_FILL,
    AMOUNT_FORMAT,
    FICTITIOUS_BANNER,
    _add_dropdowns,
    _finish_sheet,
    _write_meta,
    write_guide,
    write_heading,
    write_row,
)
from rammeaftale.domain.accounts_submission import INCOME_LINES
from rammeaftale.domain.submission import CATEGORIES

INSTRUCTION_BANNER = "Udfyld de hvide felter i kolonne C med årets faktiske tal. Læs arket 'Vejledning' først."


def write_accounts_template(
    prefill: Mapping[str, object],
    budget: Mapping[str, object] | None = None,
    *,
    offer_name: str = "",
    fictitious: bool = False,
) -> bytes:
    """The regnskabsskema as XLSX bytes: ``prefill`` in column C, the tariff budget ``budget`` in column D."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET
    _write_heading(sheet, title_for(prefill, offer_name), fictitious)
    budget_data = {"costs": budget} if budget is not None else None
    for row in ROWS:
        write_row(sheet, row, prefill, budget_data, compare_categories_only=True)
    _write_previews(sheet)
    _add_dropdowns(sheet, VALUE_ROWS)
    _finish_sheet(sheet)
    write_guide(workbook.create_sheet(GUIDE_SHEET), GUIDE, fictitious)
    _write_meta(workbook.create_sheet(META_SHEET), fictitious, FORMAT_ID, FORMAT_VERSION, field_map())
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def title_for(prefill: Mapping[str, object], offer_name: str = "") -> str:
    code = str(get_path(prefill, "offer_code") or "").strip()
    year = str(get_path(prefill, "accounts_year") or "").strip()
    offer = f"{offer_name.strip()} ({code})" if offer_name.strip() and code else offer_name.strip() or code
    return " ".join(part for part in ("Regnskabsskema", offer, year) if part)


def _write_heading(sheet: Worksheet, title: str, fictitious: bool) -> None:
    write_heading(sheet, title, FICTITIOUS_BANNER if fictitious else INSTRUCTION_BANNER, COLUMN_HEADINGS)


# --- previews -----------------------------------------------------------------------------------


def costs_formula(column: str) -> str:
    """The costs as ``AccountsSubmission.costs_total`` counts them: per category its lines if any are
    filled, else its heading total; financing income minus."""
    terms: list[str] = []
    for spec in CATEGORIES:
        heading = f"{column}{category_row(spec.key).number}"
        lines = line_rows(spec.key)
        if lines:
            cells = f"{column}{lines[0].number}:{column}{lines[-1].number}"
            term = f"IF(COUNT({cells})>0,SUM({cells}),N({heading}))"
        else:
            term = f"N({heading})"
        terms.append(("-" if spec.sign < 0 else "+") + term)
    return "=" + "".join(terms).lstrip("+")


def income_formula(column: str) -> str:
    return "=" + "+".join(f"N({column}{ROW_BY_FIELD[f'income.{key}'].number})" for key, _ in INCOME_LINES)


def _write_previews(sheet: Worksheet) -> None:
    costs = ROW_BY_FIELD[COSTS_TOTAL_FIELD].number
    income = ROW_BY_FIELD[INCOME_TOTAL_FIELD].number
    formulas = {
        (VALUE_COLUMN, costs): costs_formula(VALUE_COLUMN),
        (BUDGET_COLUMN, costs): costs_formula(BUDGET_COLUMN),
        (VALUE_COLUMN, income): income_formula(VALUE_COLUMN),
        (VALUE_COLUMN, ROW_BY_FIELD[RESULT_FIELD].number): f"={VALUE_COLUMN}{income}-{VALUE_COLUMN}{costs}",
    }
    for (column, number), formula in formulas.items():
        cell = sheet[f"{column}{number}"]
        cell.value = formula
        cell.number_format = AMOUNT_FORMAT
        cell.font = _BOLD
        cell.fill = _PREVIEW_FILL if column == VALUE_COLUMN else _LAST_YEAR_FILL
        cell.protection = _LOCKED


# --- guide --------------------------------------------------------------------------------------

GUIDE: tuple[tuple[str, str], ...] = (
    ("Sådan udfylder du regnskabsskemaet", ""),
    (
        "",
        "Skemaet er tilbuddets regnskab for ét regnskabsår. Udfyld de hvide felter i kolonne C på arket "
        "'Regnskab' med årets faktiske tal. Kolonne D viser budgettet, taksten blev beregnet på, og kan ikke "
        "ændres. Upload derefter filen i Rammeaftale; alle fejl vises samlet med ark og celle.",
    ),
    ("Niveau", ""),
    (
        "",
        "Regnskabet aflægges pr. tilbud eller pr. målgruppe, og på samme niveau hvert år (R-ACC-01). Aflægges "
        "det pr. målgruppe, skal målgruppen udfyldes.",
    ),
    ("Beløb", ""),
    (
        "",
        "Beløb angives i kroner og hele øre (fx 1100000 eller 1.100.000,50). Skriv tal, ikke formler: en "
        "celle med en formel afvises, og du bliver bedt om at skrive værdien (R-TAR-02).",
    ),
    (
        "",
        "Omkostningerne følger takstens kategorier (R-TAR-02). En kategori kan fordeles på linjer, eller du kan "
        "skrive kategoriens samlede beløb i overskriftsrækken. Ingen linje må være negativ, undtagen regulering; "
        "finansieringsindtægter indtastes positivt og trækkes fra.",
    ),
    ("Resultat og konsekvens", ""),
    (
        "",
        "Resultatet er indtægter − omkostninger og måles i procent af årets takstberegningsgrundlag. Et overskud "
        "op til regelsættets grænse (5 %) må hensættes (R-SUR-01); resten skal nedsætte taksten senest i "
        "regnskabsåret + 2 (R-SUR-03). Et underskud op til grænsen dækker driftsherren selv (R-SUR-04); resten "
        "forhøjer taksten senest i regnskabsåret + 2 (R-SUR-05). Et nyt tilbud kan fordele et underskud i det "
        "første år over flere år (R-NEW-02).",
    ),
    (
        "",
        "Ønsket hensættelse: tom betyder alt det tilladte. Tilbagebetaling til køberne nu kan kun ske af "
        "overskuddet ud over grænsen og fordeles efter købernes køb i regnskabsåret (R-SUR-07).",
    ),
    ("Regler", ""),
    (
        "",
        "Regel-id'erne (R-…) i skemaet og i fejlmeddelelserne henviser til håndbogen for rammeaftalen og "
        "styringsaftalens regelsæt for regionen og perioden.",
    ),
)
