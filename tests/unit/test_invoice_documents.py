"""Invoice and credit-note PDFs and the buyer's consolidated statement (xlsx and csv), handbook § 9.

The figures are the handbook's: a full March at 2.070,25 kr. a day is 31 × 2.070,25 = 64.177,75 kr. (R-SET-03);
notice given with final date 20 May 2025 pays the service to the end of the month plus one month (R-SET-05) and
a supplement to 20 May (R-SUP-02). The PDF's text is read from its uncompressed content streams.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from rammeaftale.adapters.documents.einvoice import OioublWriter
from rammeaftale.adapters.documents.invoice_pdf import render_invoice_pdf
from rammeaftale.adapters.documents.invoice_rows import DocumentError, looks_like_cpr
from rammeaftale.adapters.documents.parties import Party, PartyError, gln_check_digit, with_check_digit
from rammeaftale.adapters.documents.statement import (
    STATEMENT_COLUMNS,
    RowKind,
    build_statement,
    render_statement_csv,
    render_statement_xlsx,
    statement_rows,
)
from rammeaftale.domain.invoices import PaymentTerms, due_date
from rammeaftale.domain.periods import TariffRate
from rammeaftale.domain.settlement import LineKind
from tests.unit.factories import midtjylland, nordjylland
from tests.unit.invoice_factories import (
    a_buyer,
    a_credit_note,
    a_line,
    a_notice_invoice,
    a_placement,
    a_seller,
    an_invoice,
    invoice_of,
)

HEADERS = [c.header for c in STATEMENT_COLUMNS]


def pdf_texts(pdf: bytes) -> list[str]:
    """The strings an uncompressed fpdf2 PDF shows, in order (latin-1, PDF escapes undone)."""
    found = re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", pdf)
    return [re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in found]


def after(texts: list[str], label: str) -> str:
    """The text right after the first ``label``: a fact's value."""
    return texts[texts.index(label) + 1]


def a_pdf(invoice: Any = None, **options: Any) -> list[str]:
    pdf = render_invoice_pdf(invoice or an_invoice(), a_seller(), a_buyer(), compress=False, **options)
    assert pdf.startswith(b"%PDF")
    return pdf_texts(pdf)


# --- the pdf ----------------------------------------------------------------------------------------


def test_r_set_03_the_pdf_of_a_full_march_shows_31_days_at_2070_25_kr_and_the_total_64177_75_kr() -> None:
    texts = a_pdf()
    assert texts[0] == "Faktura"
    row = texts[texts.index("P-000101") :][:7]
    assert row == [
        "P-000101",
        "Ydelse: Takst",
        "01-03-2025 - 31-03-2025",
        "31 dage",
        "2.070,25 kr./dag",
        "64.177,75",
        "R-SET-03",
    ]
    assert texts[texts.index("I alt") + 1] == "64.177,75 kr."


def test_the_pdf_shows_number_dates_due_date_period_and_both_parties_with_ean_cvr_and_kommunekode() -> None:
    texts = a_pdf()
    pairs = {label: after(texts, label) for label in ("Fakturanummer", "Fakturadato", "Forfaldsdato", "Periode")}
    assert pairs["Fakturanummer"] == "2025-000017"
    assert pairs["Fakturadato"] == "31-03-2025"
    assert pairs["Forfaldsdato"] == "30-04-2025"  # R-SET-11: 30 days in Nordjylland
    assert pairs["Periode"] == "01-03-2025 - 31-03-2025"
    for text in (
        "Aalborg Kommune (fiktiv)",
        "9000 Aalborg",
        "CVR: 10000851",
        f"EAN: {a_seller().ean}",
        "Kommunekode: 851",
        "Morsø Kommune (fiktiv)",
        "Jernbanevej 7",
        "Myndighedsafdelingen",
        "7900 Nykøbing Mors",
        f"EAN: {a_buyer().ean}",
        "Kommunekode: 773",
        "Reference: Voksenhandicap",
    ):
        assert text in texts, text


def test_r_set_02_a_credit_note_pdf_is_called_kreditnota_and_names_the_invoice_it_credits() -> None:
    texts = a_pdf(a_credit_note())
    pairs = {label: after(texts, label) for label in ("Kreditnotanummer", "Kreditnotadato", "Krediterer faktura nr.")}
    assert texts[0] == "Kreditnota"
    assert pairs["Kreditnotanummer"] == "2025-000018"
    assert pairs["Kreditnotadato"] == "10-04-2025"
    assert pairs["Krediterer faktura nr."] == "2025-000017"
    assert "Forfaldsdato" not in texts
    assert "-64.177,75" in texts and "-31 dage" in texts
    assert texts[texts.index("I alt (krediteret)") + 1] == "-64.177,75 kr."
    assert any("krediterer faktura nr. 2025-000017" in t for t in texts)


def test_r_set_05_r_sup_02_every_pdf_line_shows_its_placement_period_quantity_price_amount_and_rule() -> None:
    texts = a_pdf(a_notice_invoice())
    rows = [texts[i : i + 7] for i, t in enumerate(texts) if t == "P-000101"]
    assert rows == [
        ["P-000101", "Ydelse: Takst", "01-05-2025 - 20-05-2025", "20 dage", "2.070,25 kr./dag", "41.405,00", "R-SET-03"],
        ["P-000101", "Opsigelsesperiode: Takst", "21-05-2025 - 31-05-2025", "11 dage", "2.070,25 kr./dag", "22.772,75", "R-SET-05"],
        ["P-000101", "Tillægsydelse: Ekstra aftenstøtte", "01-05-2025 - 20-05-2025", "30 timer", "385,00 kr./time", "11.550,00", "R-SUP-02"],
    ]  # fmt: skip
    assert texts[texts.index("I alt") + 1] == "75.727,75 kr."


@pytest.mark.parametrize(
    ("rules", "issued", "due", "bound"),
    [
        (nordjylland, date(2025, 3, 31), "30-04-2025", "højst 30 dage"),
        (midtjylland, date(2025, 3, 31), "14-04-2025", "mindst 14 dage"),
    ],
)
def test_r_set_11_the_pdf_states_the_due_date_and_the_agreements_payment_term(rules, issued, due, bound) -> None:
    ruleset = rules()
    terms = PaymentTerms.of(ruleset)
    due_on, findings = due_date(issued, ruleset)
    assert findings == ()
    invoice = dataclasses.replace(an_invoice(), due_on=due_on)
    text = " ".join(a_pdf(invoice, terms=terms))
    assert f"Betales senest {due}: netto {terms.days} dage efter fakturadatoen." in text
    assert f"betalingsfrist på {bound} (R-SET-11)" in text


def test_r_set_13_the_pdf_says_the_services_are_vat_exempt_and_that_the_e_invoice_goes_to_the_buyers_ean() -> None:
    text = " ".join(a_pdf())
    assert "Momsfri: ydelser på det specialiserede socialområde (momslovens § 13, stk. 1, nr. 2). Moms 0,00 kr." in text
    assert f"Sendes elektronisk (OIOUBL, NemHandel) til køberens EAN-nummer {a_buyer().ean}." in text


def test_a_long_invoice_repeats_the_table_header_on_every_page_and_loses_no_line() -> None:
    placements = tuple(a_placement(placement_id=f"P-{n:06d}") for n in range(120))
    pdf = render_invoice_pdf(an_invoice(placements), a_seller(), a_buyer(), compress=False)
    pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
    texts = pdf_texts(pdf)
    assert pages >= 3
    assert texts.count("Indskrivning") == pages
    assert [t for t in texts if t.startswith("P-")] == [f"P-{n:06d}" for n in range(120)]
    assert texts[texts.index("I alt") + 1] == "7.701.330,00 kr."  # 120 × 64.177,75
    assert any(t.startswith(f"Side {pages} af") for t in texts)


def test_the_pdf_is_compressed_by_default_and_marks_demo_data_as_fictitious() -> None:
    compressed = render_invoice_pdf(an_invoice(), a_seller(), a_buyer())
    assert compressed.startswith(b"%PDF") and b"64.177,75" not in compressed
    assert "FIKTIVE DEMODATA - ikke en rigtig faktura" in a_pdf(fictitious=True)
    assert not any("FIKTIVE" in t for t in a_pdf())


def test_an_unissued_invoice_pdf_says_it_has_no_number_yet() -> None:
    texts = a_pdf(dataclasses.replace(an_invoice(), number=""))
    assert texts[texts.index("Fakturanummer") + 1] == "(ikke udstedt)"


# --- guards shared by every writer ------------------------------------------------------------------


def _write_pdf(invoice: Any, seller: Party, buyer: Party) -> object:
    return render_invoice_pdf(invoice, seller, buyer)


def _write_statement(invoice: Any, seller: Party, buyer: Party) -> object:
    return build_statement(buyer, [(seller, [invoice])])


WRITERS = [_write_pdf, OioublWriter().write, _write_statement]


@pytest.mark.parametrize("write", WRITERS, ids=["pdf", "oioubl", "statement"])
@pytest.mark.parametrize("placement_id", ["010190-1234", "0101901234", "P-3112851234"])
def test_no_document_is_made_when_a_placement_id_looks_like_a_cpr_number(write, placement_id) -> None:
    invoice = invoice_of((a_line(placement_id=placement_id),))
    with pytest.raises(DocumentError, match="CPR-nummer"):
        write(invoice, a_seller(), a_buyer())


@pytest.mark.parametrize("write", WRITERS, ids=["pdf", "oioubl", "statement"])
def test_r_set_01_no_document_is_made_for_a_buyer_that_is_not_the_invoices_payer(write) -> None:
    with pytest.raises(DocumentError, match="ikke fakturaens betaler"):
        write(an_invoice(), a_seller(), a_buyer(municipality_code=787))
    with pytest.raises(DocumentError, match="ikke fakturaens driftsherre"):
        write(an_invoice(), a_seller(municipality_code=860), a_buyer())


def test_pseudonymous_placement_ids_and_dates_are_not_taken_for_cpr_numbers() -> None:
    assert not any(looks_like_cpr(t) for t in ("P-000101", "2025-000017", "01-03-2025", "P-1234567890", "4112851234"))
    assert all(looks_like_cpr(t) for t in ("010190-1234", "borger 0101901234", "311285 1234"))


def test_a_party_needs_an_ean_with_a_valid_gs1_check_digit_and_an_eight_digit_cvr() -> None:
    assert gln_check_digit("579800000001") == "8"
    assert with_check_digit("400638133393") == "4006381333931"  # GS1's own example
    with pytest.raises(PartyError, match="kontrolciffer"):
        a_buyer(ean="5798000000019")
    with pytest.raises(PartyError, match="13 cifre"):
        a_buyer(ean="579800000001")
    with pytest.raises(PartyError, match="CVR"):
        a_buyer(cvr="1234567")
    assert a_buyer().address() == ("Jernbanevej 7", "Myndighedsafdelingen", "7900 Nykøbing Mors")


# --- the statement ----------------------------------------------------------------------------------


def hjoerring(**overrides: Any) -> Party:
    values: dict[str, Any] = {
        "name": "Hjørring Kommune (fiktiv)",
        "address_lines": ("Springvandspladsen 5",),
        "postal_code": "9800",
        "city": "Hjørring",
        "ean": with_check_digit("579800000860"),
        "cvr": "10000860",
        "municipality_code": 860,
    }
    values.update(overrides)
    return Party(**values)


def hjoerring_invoice() -> Any:
    supplement = a_line(
        placement_id="P-000202",
        kind=LineKind.SUPPLEMENT,
        label="Tillægsydelse: Ridning",
        quantity=Decimal(3),
        unit="enhed",
        unit_price=Decimal("0.10"),
        rule_id="R-SUP-02",
    )
    day = a_line(placement_id="P-000201", quantity=Decimal(31), unit_price=Decimal("8.12"))
    return invoice_of((day, supplement), operator=860, number="H-2025-0003")


def a_statement() -> Any:
    """Morsø buys from Aalborg (the March invoice, its credit note and the corrected invoice, R-SET-02) and
    from Hjørring."""
    original = an_invoice()
    corrected = an_invoice(
        (a_placement(tariffs=(TariffRate(date(2025, 1, 1), Decimal("2000.00")),)),),
        issued_on=date(2025, 4, 10),
        number="2025-000019",
    )
    entries = [(a_seller(), [corrected, a_credit_note(original), original]), (hjoerring(), [hjoerring_invoice()])]
    return build_statement(a_buyer(), entries)


def test_the_statement_yields_a_row_per_line_then_a_sum_per_operator_and_a_total() -> None:
    rows = list(statement_rows(a_statement()))
    assert [r.kind for r in rows] == [RowKind.LINE] * 3 + [RowKind.OPERATOR_TOTAL] + [RowKind.LINE] * 2 + [
        RowKind.OPERATOR_TOTAL,
        RowKind.TOTAL,
    ]
    assert all(len(r.cells) == len(STATEMENT_COLUMNS) for r in rows)
    first = dict(zip(HEADERS, rows[0].cells, strict=True))
    assert first == {
        "Linjetype": "Linje",
        "Driftsherre": "Aalborg Kommune (fiktiv)",
        "Driftsherrens CVR": "10000851",
        "Dokument": "Faktura",
        "Nummer": "2025-000017",
        "Dato": date(2025, 3, 31),
        "Forfaldsdato": date(2025, 4, 30),
        "Krediterer faktura": None,
        "Indskrivning": "P-000101",
        "Ydelse": "Ydelse: Takst",
        "Fra": date(2025, 3, 1),
        "Til": date(2025, 3, 31),
        "Antal": Decimal(31),
        "Enhed": "dag",
        "Pris": Decimal("2070.25"),
        "Beløb": Decimal("64177.75"),
        "Regel": "R-SET-03",
    }
    credit = dict(zip(HEADERS, rows[1].cells, strict=True))
    assert (credit["Dokument"], credit["Krediterer faktura"], credit["Forfaldsdato"]) == (
        "Kreditnota",
        "2025-000017",
        None,
    )
    assert credit["Beløb"] == Decimal("-64177.75")


def test_r_set_02_the_credit_note_cancels_the_original_so_the_operator_sum_is_the_corrected_invoice() -> None:
    rows = list(statement_rows(a_statement()))
    sums = [dict(zip(HEADERS, r.cells, strict=True)) for r in rows if r.kind is not RowKind.LINE]
    assert [(s["Linjetype"], s["Driftsherre"], s["Beløb"]) for s in sums] == [
        ("Sum for driftsherre", "Aalborg Kommune (fiktiv)", Decimal("62000.00")),  # 31 × 2.000,00
        ("Sum for driftsherre", "Hjørring Kommune (fiktiv)", Decimal("252.02")),  # 31 × 8,12 + 3 × 0,10
        ("Sum i alt", "Alle driftsherrer", Decimal("62252.02")),
    ]
    assert a_statement().total == Decimal("62252.02")


def test_the_statement_csv_is_utf8_with_bom_semicolons_decimal_commas_and_danish_dates() -> None:
    data = render_statement_csv(a_statement())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADERS
    assert rows[1] == [
        "Linje", "Aalborg Kommune (fiktiv)", "10000851", "Faktura", "2025-000017", "31-03-2025", "30-04-2025", "",
        "P-000101", "Ydelse: Takst", "01-03-2025", "31-03-2025", "31", "dag", "2070,25", "64177,75", "R-SET-03",
    ]  # fmt: skip
    assert rows[2][12:16] == ["-31", "dag", "2070,25", "-64177,75"]  # a negative number stays a number
    assert rows[-1][0] == "Sum i alt" and rows[-1][15] == "62252,02"
    assert [r[15] for r in rows if r[0] == "Sum for driftsherre"] == ["62000,00", "252,02"]
    assert data.decode("utf-8-sig").count("\r\n") == len(rows)


def _sheet(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))["Opgørelse"]


def _header_row(ws: Any) -> int:
    return next(r for r in range(1, 20) if ws.cell(r, 1).value == "Linjetype")


def test_the_statement_xlsx_has_a_title_block_real_numbers_real_dates_and_exact_amounts() -> None:
    data = render_statement_xlsx(a_statement())
    ws = _sheet(data)
    assert ws.cell(1, 1).value == "Samlet opgørelse for Morsø Kommune (fiktiv)"
    assert ws.cell(3, 1).value == "Periode: 01-03-2025 – 31-03-2025"
    header = _header_row(ws)
    assert [ws.cell(header, c).value for c in range(1, len(HEADERS) + 1)] == HEADERS
    first = header + 1
    assert ws.cell(first, 6).value.date() == date(2025, 3, 31)
    assert ws.cell(first, 6).number_format == "dd-mm-yyyy"
    assert ws.cell(first, 16).number_format == "#,##0.00"
    assert Decimal(str(ws.cell(first, 16).value)) == Decimal("64177.75")
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>8.12</v>" in sheet and "<v>251.72</v>" in sheet and "<v>62252.02</v>" in sheet  # exact decimal text
    assert "8.119999" not in sheet
    last = ws.max_row
    assert ws.cell(last, 1).value == "Sum i alt"
    assert Decimal(str(ws.cell(last, 16).value)) == Decimal("62252.02")
    assert ws.cell(last, 16).font.bold
    ElementTree.fromstring(sheet)  # well-formed


def test_the_statement_xlsx_opens_in_libreoffice(tmp_path: Path, libreoffice_csv) -> None:
    source = tmp_path / "opgoerelse.xlsx"
    source.write_bytes(render_statement_xlsx(a_statement()))
    text = libreoffice_csv(source)
    assert "Morsø Kommune (fiktiv)" in text
    assert re.search(r"62[.,]?252[.,]02", text), text
    assert re.search(r"-64[.,]?177[.,]75", text), text
    assert any("Linjetype" in row for row in csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r", "\x00"])
def test_statement_text_cells_that_look_like_formulas_are_neutralised_in_xlsx_and_csv(trigger: str) -> None:
    name = f'{trigger}HYPERLINK("http://x")'
    label = f"{trigger}1+1"
    invoice = invoice_of((a_line(label=label),))
    statement = build_statement(a_buyer(), [(a_seller(name=name if trigger != "\x00" else "\x00Evil"), [invoice])])
    rows = list(csv.reader(io.StringIO(render_statement_csv(statement).decode("utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r", "\x00")) for cell in cells), cells
    assert all(not cell.startswith("-") or re.fullmatch(r"-\d+(,\d+)?", cell) for cell in cells), cells
    assert rows[1][9] == "'" + label if trigger != "\x00" else rows[1][9] == "1+1"
    ws = _sheet(render_statement_xlsx(statement))
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts), texts
    sheet = zipfile.ZipFile(io.BytesIO(render_statement_xlsx(statement))).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet


def test_an_empty_statement_has_a_zero_total_and_says_there_are_no_invoices() -> None:
    statement = build_statement(a_buyer(), [])
    rows = list(statement_rows(statement))
    assert [r.kind for r in rows] == [RowKind.TOTAL] and rows[0].cells[15] == Decimal(0)
    ws = _sheet(render_statement_xlsx(statement))
    assert ws.cell(3, 1).value == "Periode: ingen fakturaer"
    assert render_statement_csv(statement).decode("utf-8-sig").splitlines()[-1].endswith(";0,00;")
