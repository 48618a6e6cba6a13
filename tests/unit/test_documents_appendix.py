"""The tariff appendix (takstbilag) as typed rows and as xlsx, pdf and html documents.

The figures are the handbook's worked example (§ 6.5): Fjordgården, 24 places, 96 % occupancy,
2.070,25 kr. a day, 755.641,25 kr. a year per place; and the corrected tariff change of -1,58 % (§ 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from rammeaftale.adapters.documents.appendix_html import render_appendix_html
from rammeaftale.adapters.documents.appendix_pdf import latin1, render_appendix_pdf
from rammeaftale.adapters.documents.appendix_rows import (
    APPENDIX_COLUMNS,
    ColumnKind,
    TitleRole,
    appendix_cells,
    appendix_table,
    format_cell,
    title_lines,
)
from rammeaftale.adapters.documents.appendix_xlsx import render_appendix_xlsx
from rammeaftale.adapters.json_submission import read_json_submission
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.appendix import AppendixRow, TariffAppendix, tariff_change_pct
from rammeaftale.domain.tariffs import compute_tariffs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADERS = [
    "Driftsherre",
    "Tilbud",
    "Tilbuds-id",
    "Lovgrundlag",
    "Målgruppe",
    "Ydelse",
    "Pladser",
    "Belægning %",
    "Takst",
    "Enhed",
    "Årstakst pr. plads",
    "Direkte timer pr. uge",
    "Ændring i forhold til sidste år %",
]


def a_row(**overrides: Any) -> AppendixRow:
    values: dict[str, Any] = {
        "operator": "Fjordby Kommune",
        "offer": "Fjordgården",
        "offer_id": "1081-0001",
        "legal_basis": "SEL § 108",
        "target_group": "Voksne med udviklingshandicap",
        "service": "Døgnophold",
        "places": Decimal("24"),
        "occupancy_pct": Decimal("96"),
        "tariff": Decimal("2070.25"),
        "unit": "dag",
        "annual_tariff_per_place": Decimal("755641.25"),
        "direct_support_hours_per_week": Decimal("35.79"),
        "change_pct": Decimal("-1.58"),
    }
    values.update(overrides)
    return AppendixRow(**values)


def an_individual_row(**overrides: Any) -> AppendixRow:
    values: dict[str, Any] = {
        "offer": "Skovbrynet",
        "offer_id": "1081-0002",
        "service": "Individuelt tilrettelagt forløb",
        "places": Decimal("12.5"),
        "tariff": None,
        "unit": "individuel",
        "annual_tariff_per_place": None,
        "direct_support_hours_per_week": None,
        "change_pct": None,
    }
    values.update(overrides)
    return a_row(**values)


def an_appendix(rows: tuple[AppendixRow, ...] | None = None, **overrides: Any) -> TariffAppendix:
    values: dict[str, Any] = {
        "region_code": 1081,
        "region_name": "Region Nordjylland",
        "agreement_name": "Nordjysk Socialaftale",
        "year": 2026,
        "version": 2,
        "published_on": date(2025, 10, 31),
        "rows": (a_row(), an_individual_row()) if rows is None else rows,
    }
    values.update(overrides)
    return TariffAppendix(**values)


# --- typed rows -------------------------------------------------------------------------------------


def test_the_appendix_table_has_the_thirteen_danish_columns() -> None:
    headers, _ = appendix_table(an_appendix())
    assert headers == HEADERS
    assert [c.header for c in APPENDIX_COLUMNS] == HEADERS


def test_a_row_yields_typed_cells_so_numbers_stay_numbers() -> None:
    _, rows = appendix_table(an_appendix())
    assert next(rows) == [
        "Fjordby Kommune",
        "Fjordgården",
        "1081-0001",
        "SEL § 108",
        "Voksne med udviklingshandicap",
        "Døgnophold",
        Decimal("24"),
        Decimal("96"),
        Decimal("2070.25"),
        "kr./dag",
        Decimal("755641.25"),
        Decimal("35.79"),
        Decimal("-1.58"),
    ]


def test_an_individually_priced_service_has_no_tariff_and_says_so_in_the_unit() -> None:
    cells = appendix_cells(an_individual_row())
    assert cells[8] is None
    assert cells[9] == "Individuel pris"
    assert cells[10:] == [None, None, None]


def test_the_rows_are_yielded_lazily_one_per_appendix_row() -> None:
    _, rows = appendix_table(an_appendix(rows=(a_row(),) * 3))
    assert iter(rows) is rows
    assert len(list(rows)) == 3


def test_the_handbook_example_priced_by_the_domain_gives_the_appendix_figures() -> None:
    submission, findings = read_json_submission((FIXTURES / "fjordgaarden-2026.json").read_bytes())
    assert submission is not None and not findings
    main = compute_tariffs(submission, get_ruleset("nordjylland-2025-2026")).main
    row = a_row(
        tariff=main.tariff,
        annual_tariff_per_place=main.annual_tariff_per_place,
        direct_support_hours_per_week=main.direct_support_hours_per_place_per_week,
        change_pct=tariff_change_pct(main.tariff, Decimal("2103.48")),
    )
    cells = appendix_cells(row)
    assert cells[8:] == [Decimal("2070.25"), "kr./dag", Decimal("755641.25"), Decimal("35.79"), Decimal("-1.58")]


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (Decimal("2070.25"), ColumnKind.AMOUNT, "2.070,25"),
        (Decimal("755641.25"), ColumnKind.AMOUNT, "755.641,25"),
        (Decimal("24"), ColumnKind.COUNT, "24"),
        (Decimal("12.5"), ColumnKind.COUNT, "12,5"),
        (Decimal("96"), ColumnKind.PERCENT, "96,00"),
        (Decimal("-1.58"), ColumnKind.PERCENT, "-1,58"),
        (Decimal("35.79"), ColumnKind.HOURS, "35,79"),
        (None, ColumnKind.AMOUNT, "–"),
        ("SEL § 108", ColumnKind.TEXT, "SEL § 108"),
    ],
)
def test_html_and_pdf_cells_are_formatted_danish(value: Decimal | str | None, kind: ColumnKind, expected: str) -> None:
    assert format_cell(value, kind) == expected


def test_the_title_block_names_agreement_region_year_version_and_publication_date() -> None:
    lines = title_lines(an_appendix())
    assert [line.text for line in lines] == [
        "Nordjysk Socialaftale",
        "Region Nordjylland",
        "Takstbilag 2026",
        "Version 2",
        "Offentliggjort 31-10-2025",
    ]
    assert lines[0].role is TitleRole.TITLE


def test_the_title_block_gives_the_reason_and_marks_fictitious_data() -> None:
    texts = [line.text for line in title_lines(an_appendix(reason="Rettet belægning for Fjordgården", fictitious=True))]
    assert "Årsag til denne version: Rettet belægning for Fjordgården" in texts
    assert "FIKTIVE DEMODATA – ikke rigtige tilbud eller takster" in texts


def test_r_cyc_04_the_title_block_lists_operators_left_out_for_missing_submissions() -> None:
    lines = title_lines(an_appendix(missing_operators=("Hjørring Kommune", "Thisted Kommune")))
    assert lines[-1].text == "Ikke medtaget (ingen godkendt indberetning, R-CYC-04): Hjørring Kommune, Thisted Kommune"
    assert lines[-1].role is TitleRole.WARNING


def test_an_unpublished_appendix_is_called_a_draft() -> None:
    texts = [line.text for line in title_lines(an_appendix(published_on=None))]
    assert "Ikke offentliggjort (udkast)" in texts


# --- xlsx -------------------------------------------------------------------------------------------


def _sheet(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data)).active


def _header_row(ws: Any) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == "Driftsherre":
            return int(row[0].row)
    raise AssertionError("no header row")


def test_xlsx_numbers_round_trip_exactly_as_real_numbers() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix()))
    header = _header_row(ws)
    values = [c.value for c in ws[header + 1]]
    assert values[:6] == [
        "Fjordby Kommune",
        "Fjordgården",
        "1081-0001",
        "SEL § 108",
        "Voksne med udviklingshandicap",
        "Døgnophold",
    ]
    numbers = [values[i] for i in (6, 7, 8, 10, 11, 12)]
    assert all(isinstance(v, (int, float)) for v in numbers)
    assert [Decimal(str(v)) for v in numbers] == [
        Decimal("24"),
        Decimal("96"),
        Decimal("2070.25"),
        Decimal("755641.25"),
        Decimal("35.79"),
        Decimal("-1.58"),
    ]
    assert values[9] == "kr./dag"


def test_xlsx_uses_locale_independent_number_formats() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix()))
    data_row = _header_row(ws) + 1
    formats = {cell.column_letter: cell.number_format for cell in ws[data_row]}
    assert formats["G"] == "#,##0"  # places
    assert formats["H"] == "0.00"  # occupancy %
    assert formats["I"] == "#,##0.00"  # tariff
    assert formats["K"] == "#,##0.00"  # annual tariff
    assert formats["L"] == "0.00"  # hours
    assert formats["M"] == "0.00"  # change %
    assert ws.cell(data_row + 1, 7).number_format == "#,##0.00"  # 12.5 places


def test_xlsx_stores_the_exact_decimal_text_not_a_float_approximation() -> None:
    data = render_appendix_xlsx(an_appendix(rows=(a_row(tariff=Decimal("8.12"), change_pct=Decimal("0.07")),)))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>8.12</v>" in sheet
    assert "<v>0.07</v>" in sheet
    assert "8.119999" not in sheet


def test_xlsx_parts_are_well_formed_xml() -> None:
    appendix = an_appendix(rows=(a_row(offer="A & B <c> \"d\" 'e'", service="  indrykket  "),), reason="x & y")
    with zipfile.ZipFile(io.BytesIO(render_appendix_xlsx(appendix))) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))
        assert "[Content_Types].xml" in archive.namelist()
    ws = _sheet(render_appendix_xlsx(appendix))
    row = ws[_header_row(ws) + 1]
    assert row[1].value == "A & B <c> \"d\" 'e'"
    assert row[5].value == "  indrykket  "


def test_xlsx_leaves_missing_values_empty() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix()))
    row = [c.value for c in ws[_header_row(ws) + 2]]
    assert row[8] is None
    assert row[9] == "Individuel pris"
    assert row[10:] == [None, None, None]
    assert Decimal(str(row[6])) == Decimal("12.5")


def test_xlsx_title_block_shows_year_version_date_fictitious_data_and_missing_operators() -> None:
    appendix = an_appendix(reason="Rettelse", fictitious=True, missing_operators=("Thisted Kommune",))
    ws = _sheet(render_appendix_xlsx(appendix))
    column_a = [row[0] for row in ws.iter_rows(min_row=1, max_row=_header_row(ws) - 1, max_col=1, values_only=True)]
    assert column_a == [
        "Nordjysk Socialaftale",
        "Region Nordjylland",
        "Takstbilag 2026",
        "Version 2",
        "Offentliggjort 31-10-2025",
        "Årsag til denne version: Rettelse",
        "FIKTIVE DEMODATA – ikke rigtige tilbud eller takster",
        "Ikke medtaget (ingen godkendt indberetning, R-CYC-04): Thisted Kommune",
        None,
    ]
    assert ws.title == "Takstbilag 2026"


def test_xlsx_header_row_is_frozen_and_filterable() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix()))
    header = _header_row(ws)
    assert [c.value for c in ws[header]] == HEADERS
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:M{header + 2}"
    assert ws.print_title_rows == f"${header}:${header}"


def test_xlsx_text_cells_that_look_like_formulas_are_neutralised() -> None:
    hostile = a_row(operator='=HYPERLINK("http://x.example","klik")', offer="+45 1234", service="@SUM(A1)")
    appendix = an_appendix(rows=(hostile,), reason="=cmd|' /C calc'!A0")
    ws = _sheet(render_appendix_xlsx(appendix))
    row = ws[_header_row(ws) + 1]
    assert row[0].value == '\'=HYPERLINK("http://x.example","klik")'
    assert row[0].data_type == "s"
    assert row[1].value == "'+45 1234"
    assert row[5].value == "'@SUM(A1)"
    assert "Årsag til denne version: =cmd|' /C calc'!A0" in [c.value for c in ws["A"]]
    sheet = zipfile.ZipFile(io.BytesIO(render_appendix_xlsx(appendix))).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_xlsx_drops_characters_xml_cannot_carry_and_escapes_markup() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix(rows=(a_row(offer="Fjord\x01gården <b>&</b>", service="\x00Døgn"),))))
    row = ws[_header_row(ws) + 1]
    assert row[1].value == "Fjordgården <b>&</b>"
    assert row[5].value == "'Døgn"


def test_a_rule_set_agreement_name_with_a_nul_and_a_leading_equals_sign_gives_a_workbook_with_a_clean_title() -> None:
    data = render_appendix_xlsx(an_appendix(agreement_name="=\x00Nordjysk Socialaftale"))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.properties.title == "'=Nordjysk Socialaftale – Takstbilag 2026, version 2"
    assert workbook.active["A1"].value == "'=Nordjysk Socialaftale"
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert "\x00" not in core
    ElementTree.fromstring(core)


def test_xlsx_of_an_empty_appendix_still_has_title_and_header() -> None:
    ws = _sheet(render_appendix_xlsx(an_appendix(rows=())))
    header = _header_row(ws)
    assert [c.value for c in ws[header]] == HEADERS
    assert ws.max_row == header


def test_xlsx_writes_thousands_of_rows_in_order() -> None:
    rows = tuple(a_row(offer_id=f"SYN-{n:05d}", tariff=Decimal(n) + Decimal("0.25")) for n in range(2_000))
    ws = _sheet(render_appendix_xlsx(an_appendix(rows=rows)))
    header = _header_row(ws)
    ids = [r[0] for r in ws.iter_rows(min_row=header + 1, min_col=3, max_col=3, values_only=True)]
    assert ids == [f"SYN-{n:05d}" for n in range(2_000)]
    assert Decimal(str(ws.cell(header + 2_000, 9).value)) == Decimal("1999.25")


def test_xlsx_opens_in_libreoffice(tmp_path: Path, libreoffice_csv) -> None:
    source = tmp_path / "takstbilag.xlsx"
    source.write_bytes(render_appendix_xlsx(an_appendix()))
    text = libreoffice_csv(source)
    assert "Fjordgården" in text
    assert re.search(r"2[.,]?070[.,]25", text), text
    assert any("Driftsherre" in row for row in csv.reader(io.StringIO(text)))


# --- pdf --------------------------------------------------------------------------------------------


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def test_pdf_is_a_pdf_with_danish_numbers() -> None:
    pdf = render_appendix_pdf(an_appendix(), compress=False)
    assert pdf.startswith(b"%PDF")
    for figure in (b"2.070,25", b"755.641,25", b"35,79", b"-1,58", b"96,00", b"kr./dag", b"Individuel pris"):
        assert figure in pdf, figure
    assert "Fjordgården".encode("latin-1") in pdf
    assert "SEL § 108".encode("latin-1") in pdf


def test_pdf_is_compressed_by_default() -> None:
    pdf = render_appendix_pdf(an_appendix())
    assert pdf.startswith(b"%PDF")
    assert b"2.070,25" not in pdf
    assert len(pdf) < len(render_appendix_pdf(an_appendix(), compress=False))


def test_pdf_title_block_replaces_characters_outside_latin_1() -> None:
    appendix = an_appendix(fictitious=True, missing_operators=("Thisted Kommune",), reason="Rettelse")
    pdf = render_appendix_pdf(appendix, compress=False)
    assert b"(Nordjysk Socialaftale)" in pdf
    assert b"Takstbilag 2026" in pdf
    assert b"Version 2" in pdf
    assert b"Offentliggjort 31-10-2025" in pdf
    assert b"FIKTIVE DEMODATA - ikke rigtige tilbud eller takster" in pdf
    assert rb"Ikke medtaget \(ingen godkendt indberetning, R-CYC-04\): Thisted Kommune" in pdf


def test_pdf_repeats_the_table_header_and_numbers_every_page() -> None:
    rows = tuple(a_row(offer_id=f"SYN-{n:05d}") for n in range(150))
    pdf = render_appendix_pdf(an_appendix(rows=rows), compress=False)
    pages = _pages(pdf)
    assert pages >= 3
    assert pdf.count(b"(Driftsherre)") == pages
    assert b"(Side 1 af ) Tj (" + str(pages).encode() + b")" in pdf
    assert f"Side {pages} af".encode() in pdf
    assert all(f"SYN-{n:05d}".encode() in pdf for n in range(150))


def test_pdf_wraps_long_texts_instead_of_cutting_them() -> None:
    long_name = "Botilbuddet Fjordgården afdeling Øst for voksne med erhvervet hjerneskade"
    pdf = render_appendix_pdf(an_appendix(rows=(a_row(offer=long_name),)), compress=False)
    for word in long_name.split():
        assert word.encode("latin-1") in pdf


def test_pdf_of_an_empty_appendix_says_there_are_no_tariffs() -> None:
    pdf = render_appendix_pdf(an_appendix(rows=()), compress=False)
    assert b"Bilaget indeholder ingen takster." in pdf


def test_pdf_text_is_made_printable_in_the_core_font() -> None:
    assert latin1("Fjordgården – Øst §§ “citat” … 100 €") == 'Fjordgården - Øst §§ "citat" ... 100 EUR'
    assert latin1("✓ ok\tnu\x00") == "? ok nu"


# --- html -------------------------------------------------------------------------------------------


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


def _parse(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


def test_html_is_a_standalone_danish_document_without_scripts() -> None:
    html = render_appendix_html(an_appendix())
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="da">' in html
    assert "<style>" in html
    parsed = _parse(html)
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags
    assert "<title>Nordjysk Socialaftale – Takstbilag 2026, version 2</title>" in html


def test_html_table_shows_danish_numbers_under_the_danish_headers() -> None:
    rows = _parse(render_appendix_html(an_appendix())).rows
    assert rows[0] == HEADERS
    assert rows[1] == [
        "Fjordby Kommune",
        "Fjordgården",
        "1081-0001",
        "SEL § 108",
        "Voksne med udviklingshandicap",
        "Døgnophold",
        "24",
        "96,00",
        "2.070,25",
        "kr./dag",
        "755.641,25",
        "35,79",
        "-1,58",
    ]
    assert rows[2][6:] == ["12,5", "96,00", "–", "Individuel pris", "–", "–", "–"]


def test_html_escapes_everything_it_shows() -> None:
    hostile = a_row(operator="<script>alert('x')</script>", offer="A & B")
    html = render_appendix_html(an_appendix(rows=(hostile,), reason="<img src=x onerror=alert(1)>"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "A &amp; B" in html
    assert "<img" not in html
    assert "script" not in _parse(html).tags


def test_html_title_block_shows_fictitious_data_and_missing_operators() -> None:
    appendix = an_appendix(fictitious=True, missing_operators=("Thisted Kommune",))
    html = render_appendix_html(appendix)
    assert "<h1>Takstbilag 2026</h1>" in html
    assert "Offentliggjort 31-10-2025" in html
    assert "FIKTIVE DEMODATA – ikke rigtige tilbud eller takster" in html
    assert "Ikke medtaget (ingen godkendt indberetning, R-CYC-04): Thisted Kommune" in html


def test_html_of_an_empty_appendix_says_there_are_no_tariffs() -> None:
    html = render_appendix_html(an_appendix(rows=()))
    assert "Bilaget indeholder ingen takster." in html
