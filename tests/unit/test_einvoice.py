"""E-invoices (R-SET-13): UBL 2.1 Invoice and CreditNote in the OIOUBL 2.1 customisation, addressed by EAN.

Every document is validated against the OASIS UBL 2.1 schemas committed in tests/fixtures/ubl-2.1/xsd (no
network) and passes the writer's own checks: each line's amount is quantity × price to the øre, and the lines
add up to LineExtensionAmount and PayableAmount to the øre. Hypothesis writes random invoices and credit notes.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.adapters.documents.einvoice import (
    NS_CAC,
    NS_CBC,
    NS_CREDIT_NOTE,
    NS_INVOICE,
    WRITERS,
    EInvoiceError,
    EInvoiceWriter,
    OioublWriter,
    check_einvoice,
)
from rammeaftale.adapters.documents.invoice_rows import looks_like_cpr
from rammeaftale.adapters.documents.parties import cvr_from, is_valid_cvr
from rammeaftale.domain.invoices import DocumentKind, Invoice, credit_note
from rammeaftale.domain.money import round_ore_half_up
from rammeaftale.domain.periods import Period
from rammeaftale.domain.settlement import InvoiceLine, LineKind
from tests.unit.invoice_factories import (
    a_buyer,
    a_credit_note,
    a_line,
    a_notice_invoice,
    a_seller,
    an_invoice,
    invoice_of,
)

XSD = Path(__file__).resolve().parents[1] / "fixtures" / "ubl-2.1" / "xsd"
NS = {"cac": NS_CAC, "cbc": NS_CBC}


@pytest.fixture(scope="module")
def ubl() -> xmlschema.XMLSchema10:
    """The OASIS UBL 2.1 Invoice and CreditNote schemas, loaded once (about three seconds)."""
    return xmlschema.XMLSchema10(
        [str(XSD / "maindoc" / "UBL-Invoice-2.1.xsd"), str(XSD / "maindoc" / "UBL-CreditNote-2.1.xsd")]
    )


def write(invoice: Invoice | None = None, **parties: Any) -> bytes:
    return OioublWriter().write(
        invoice or an_invoice(), parties.get("seller", a_seller()), parties.get("buyer", a_buyer())
    )


def assert_valid(ubl: xmlschema.XMLSchema10, xml: bytes) -> None:
    errors = [str(e).splitlines()[0] + " " + str(e.path) for e in ubl.iter_errors(xml.decode("utf-8"))]
    assert errors == [], errors
    assert check_einvoice(xml) == []


def text(root: ET.Element, path: str) -> str:
    found = root.find(path, NS)
    assert found is not None, path
    return found.text or ""


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


# --- the documents ------------------------------------------------------------------------------------


def test_r_set_13_a_full_march_is_a_schema_valid_oioubl_invoice_of_64177_75_kr_addressed_by_the_buyers_ean(ubl) -> None:
    xml = write()
    assert_valid(ubl, xml)
    root = parse(xml)
    assert root.tag == f"{{{NS_INVOICE}}}Invoice"
    assert text(root, "cbc:ID") == "2025-000017"
    assert (text(root, "cbc:IssueDate"), text(root, "cbc:DueDate")) == ("2025-03-31", "2025-04-30")
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:DocumentCurrencyCode") == "DKK"
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert endpoint is not None and endpoint.text == a_buyer().ean
    assert (endpoint.get("schemeID"), endpoint.get("schemeAgencyID")) == ("GLN", "9")
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") == a_seller().ean
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID") == "DK10000773"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:ID") == "Voksenhandicap"
    monetary = root.find("cac:LegalMonetaryTotal", NS)
    assert monetary is not None
    totals = {e.tag.rpartition("}")[2]: e.text for e in monetary}
    assert totals == {
        "LineExtensionAmount": "64177.75",
        "TaxExclusiveAmount": "0.00",  # OIOUBL: the VAT amount
        "TaxInclusiveAmount": "64177.75",
        "PayableAmount": "64177.75",
    }
    line = root.find("cac:InvoiceLine", NS)
    assert line is not None
    quantity = line.find("cbc:InvoicedQuantity", NS)
    assert quantity is not None and (quantity.text, quantity.get("unitCode")) == ("31", "DAY")
    assert text(line, "cbc:LineExtensionAmount") == "64177.75"
    assert text(line, "cac:Price/cbc:PriceAmount") == "2070.25"


def test_r_set_13_the_header_names_ubl_2_1_the_oioubl_customisation_and_the_billing_profile() -> None:
    root = parse(write())
    assert text(root, "cbc:UBLVersionID") == "2.1"
    assert text(root, "cbc:CustomizationID") == "OIOUBL-2.1"
    profile = root.find("cbc:ProfileID", NS)
    assert profile is not None and profile.text == "Procurement-BilSim-1.0"
    assert (profile.get("schemeAgencyID"), profile.get("schemeID")) == ("320", "urn:oioubl:id:profileid-1.2")
    assert write().startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<Invoice ")


def test_r_set_13_the_vat_exempt_services_carry_a_zero_percent_category_with_the_exemption_reason() -> None:
    root = parse(write())
    for scope in (root, root.find("cac:InvoiceLine", NS)):
        assert scope is not None
        assert text(scope, "cac:TaxTotal/cbc:TaxAmount") == "0.00"
        category = scope.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
        assert category is not None
        assert (text(category, "cbc:ID"), text(category, "cbc:Percent")) == ("ZeroRated", "0")
        assert "Momsfri" in text(category, "cbc:TaxExemptionReason")
        assert text(category, "cac:TaxScheme/cbc:ID") == "63"
    assert text(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == "64177.75"


def test_r_set_02_a_credit_note_is_a_schema_valid_creditnote_that_references_the_invoice_it_credits(ubl) -> None:
    xml = write(a_credit_note())
    assert_valid(ubl, xml)
    root = parse(xml)
    assert root.tag == f"{{{NS_CREDIT_NOTE}}}CreditNote"
    assert text(root, "cbc:ID") == "2025-000018"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "2025-000017"
    line = root.find("cac:CreditNoteLine", NS)
    assert line is not None
    assert text(line, "cbc:CreditedQuantity") == "31"  # what is credited, stated positively
    assert text(line, "cbc:LineExtensionAmount") == "64177.75"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "64177.75"
    assert root.find("cbc:DueDate", NS) is None and root.find("cac:InvoiceLine", NS) is None


def test_r_set_05_r_sup_02_every_line_carries_its_period_placement_rule_unit_and_price(ubl) -> None:
    xml = write(a_notice_invoice())
    assert_valid(ubl, xml)
    lines = parse(xml).findall("cac:InvoiceLine", NS)
    found = [
        (
            text(line, "cbc:ID"),
            text(line, "cbc:InvoicedQuantity"),
            line.find("cbc:InvoicedQuantity", NS).get("unitCode"),  # type: ignore[union-attr]
            text(line, "cac:Price/cbc:PriceAmount"),
            text(line, "cbc:LineExtensionAmount"),
            text(line, "cac:InvoicePeriod/cbc:StartDate"),
            text(line, "cac:InvoicePeriod/cbc:EndDate"),
            {
                text(p, "cbc:Name"): text(p, "cbc:Value")
                for p in line.findall("cac:Item/cac:AdditionalItemProperty", NS)
            },
        )
        for line in lines
    ]
    placement_and = lambda rule: {"Indskrivning": "P-000101", "Regel": rule}  # noqa: E731
    assert found == [
        ("1", "20", "DAY", "2070.25", "41405.00", "2025-05-01", "2025-05-20", placement_and("R-SET-03")),
        ("2", "11", "DAY", "2070.25", "22772.75", "2025-05-21", "2025-05-31", placement_and("R-SET-05")),
        ("3", "30", "HUR", "385.00", "11550.00", "2025-05-01", "2025-05-20", placement_and("R-SUP-02")),
    ]
    assert text(lines[2], "cac:Item/cbc:Name") == "Tillægsydelse: Ekstra aftenstøtte"
    assert text(parse(xml), "cac:LegalMonetaryTotal/cbc:PayableAmount") == "75727.75"


def test_r_set_13_a_negative_supplement_has_a_positive_price_and_the_sign_on_the_quantity(ubl) -> None:
    stay = a_line(label="Hospitalsophold", quantity=Decimal(5), unit_price=Decimal("-350.50"), rule_id="R-SUP-02")
    xml = write(invoice_of((a_line(), stay)))
    assert_valid(ubl, xml)
    line = parse(xml).findall("cac:InvoiceLine", NS)[1]
    assert (text(line, "cbc:InvoicedQuantity"), text(line, "cac:Price/cbc:PriceAmount")) == ("-5", "350.50")
    assert text(line, "cbc:LineExtensionAmount") == "-1752.50"
    assert text(parse(xml), "cac:LegalMonetaryTotal/cbc:PayableAmount") == "62425.25"


def test_r_set_13_the_same_invoice_always_gets_the_same_uuid_and_a_credit_note_another() -> None:
    first, again, credit = (text(parse(write(i)), "cbc:UUID") for i in (an_invoice(), an_invoice(), a_credit_note()))
    assert first == again != credit
    assert text(parse(write(an_invoice(number="2025-000020"))), "cbc:UUID") != first


def test_r_set_13_an_unissued_invoice_or_one_without_lines_is_not_sent() -> None:
    with pytest.raises(EInvoiceError, match="udstedt"):
        write(dataclasses.replace(an_invoice(), number=""))
    with pytest.raises(EInvoiceError, match="mindst én linje"):
        write(invoice_of(()))


def test_r_set_13_the_writer_sits_behind_the_einvoice_writer_interface_so_peppol_bis_can_follow() -> None:
    writer: EInvoiceWriter = WRITERS["oioubl-2.1"]
    assert isinstance(writer, OioublWriter)
    assert writer.write(an_invoice(), a_seller(), a_buyer()) == write()


def test_texts_xml_cannot_carry_are_dropped_and_markup_is_escaped(ubl) -> None:
    xml = write(invoice_of((a_line(label="Ydelse <b>&amp;\x00\x1f</b>"),)), buyer=a_buyer(name="Morsø & Co\x07"))
    assert_valid(ubl, xml)
    root = parse(xml)
    assert text(root, "cac:InvoiceLine/cac:Item/cbc:Name") == "Ydelse <b>&amp;</b>"
    assert text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name") == "Morsø & Co"


# --- the own checks (R-SET-13) ------------------------------------------------------------------------


def replaced(xml: bytes, old: str, new: str, count: int = 1) -> bytes:
    assert old.encode() in xml, old
    return xml.replace(old.encode(), new.encode(), count)


def test_r_set_13_the_own_check_finds_a_line_amount_that_is_not_quantity_times_price_to_the_ore() -> None:
    xml = write()
    wrong_line = replaced(
        xml, '<cbc:PriceAmount currencyID="DKK">2070.25<', '<cbc:PriceAmount currencyID="DKK">2070.26<'
    )
    assert check_einvoice(wrong_line) == [
        "Linje 1: beløbet 64.177,75 kr. er ikke antal × pris afrundet til øre (31 × 2070.26 = 64.178,06 kr.)."
    ]
    fraction = replaced(
        xml,
        ">64177.75</cbc:LineExtensionAmount>\n    <cac:InvoicePeriod>",
        ">64177.749</cbc:LineExtensionAmount>\n    <cac:InvoicePeriod>",
    )
    assert any("brøkdele af en øre" in p for p in check_einvoice(fraction))


def test_r_set_13_the_own_check_finds_totals_that_differ_from_the_sum_of_the_lines_by_one_ore() -> None:
    xml = write(a_notice_invoice())
    extension = replaced(
        xml,
        '<cbc:LineExtensionAmount currencyID="DKK">75727.75<',
        '<cbc:LineExtensionAmount currencyID="DKK">75727.76<',
    )
    assert check_einvoice(extension) == [
        "Linjernes sum (75.727,75 kr.) er ikke LineExtensionAmount (75.727,76 kr.).",
        "PayableAmount (75.727,75 kr.) er ikke LineExtensionAmount (75.727,76 kr.).",
    ]
    payable = replaced(
        xml, '<cbc:PayableAmount currencyID="DKK">75727.75<', '<cbc:PayableAmount currencyID="DKK">75727.74<'
    )
    assert check_einvoice(payable) == [
        "PayableAmount (75.727,74 kr.) er ikke LineExtensionAmount (75.727,75 kr.).",
        "TaxInclusiveAmount (75.727,75 kr.) er ikke PayableAmount (75.727,74 kr.).",
    ]


def test_r_set_13_the_own_check_wants_dkk_a_valid_ean_zero_vat_and_a_credit_notes_reference() -> None:
    xml = write()
    assert check_einvoice(replaced(xml, 'currencyID="DKK"', 'currencyID="EUR"')) == [
        "Beløbet i TaxAmount er i EUR, ikke DKK."
    ]
    ean = a_buyer().ean
    broken = replaced(xml, f">{ean}<", f">{ean[:-1]}{(int(ean[-1]) + 1) % 10}<")
    assert check_einvoice(broken) == [
        'Køberen skal adresseres med et gyldigt EAN-nummer (cbc:EndpointID schemeID="GLN").'
    ]
    vat = replaced(xml, '<cbc:TaxAmount currencyID="DKK">0.00<', '<cbc:TaxAmount currencyID="DKK">25.00<')
    assert "Momsbeløbet er 25,00 kr., men skal være 0,00 kr. (momsfri)." in check_einvoice(vat)
    credit = write(a_credit_note())
    unreferenced = replaced(credit, "<cbc:ID>2025-000017</cbc:ID>", "<cbc:ID> </cbc:ID>")
    assert check_einvoice(unreferenced) == [
        "Kreditnotaen skal henvise til den faktura, den krediterer (cac:BillingReference)."
    ]
    assert check_einvoice(replaced(xml, "<cbc:CustomizationID>OIOUBL-2.1<", "<cbc:CustomizationID>OIOUBL-2.02<")) == [
        "cbc:CustomizationID skal være 'OIOUBL-2.1', ikke 'OIOUBL-2.02'."
    ]


def test_r_set_13_the_own_check_refuses_what_is_not_a_ubl_document_and_xml_with_entities() -> None:
    assert check_einvoice(b"<Order/>") == ["Dokumentet er hverken en UBL-faktura eller en UBL-kreditnota (Order)."]
    assert check_einvoice(b"not xml")[0].startswith("Dokumentet er ikke gyldig XML")
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    assert check_einvoice(bomb)[0].startswith("Dokumentet er ikke gyldig XML")


# --- hypothesis: random invoices and credit notes ---------------------------------------------------------

UNITS = ("dag", "time", "enhed")
RULES = ("R-SET-03", "R-SET-05", "R-SET-07", "R-SET-08", "R-SET-09", "R-OBJ-03", "R-SUP-02", "R-REF-01")


@st.composite
def invoice_lines(draw: st.DrawFn, month: Period) -> InvoiceLine:
    unit = draw(st.sampled_from(UNITS))
    if unit == "dag":
        quantity = Decimal(draw(st.integers(0, 31)))
    else:
        quantity = Decimal(draw(st.integers(0, 50_000))).scaleb(-draw(st.integers(0, 2)))
    price = Decimal(draw(st.integers(-500_000_00, 500_000_00))).scaleb(-2)
    start = month.start + timedelta(days=draw(st.integers(0, month.days - 1)))
    end = start + timedelta(days=draw(st.integers(0, (month.end - start).days)))
    label = draw(st.text(max_size=40))
    placement = draw(st.from_regex(r"P-[0-9]{6}", fullmatch=True))
    return InvoiceLine(
        placement,
        draw(st.sampled_from(list(LineKind))),
        label,
        Period(start, end),
        quantity,
        unit,
        price,
        round_ore_half_up(quantity * price),
        draw(st.sampled_from(RULES)),
    )


@st.composite
def documents(draw: st.DrawFn) -> Invoice:
    year, month_number = draw(st.integers(2024, 2029)), draw(st.integers(1, 12))
    first = date(year, month_number, 1)
    month = Period(first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
    lines = tuple(draw(st.lists(invoice_lines(month), min_size=1, max_size=8)))
    issued = month.end + timedelta(days=draw(st.integers(0, 20)))
    invoice = invoice_of(
        lines,
        month=month,
        issued_on=issued,
        due_on=issued + timedelta(days=draw(st.integers(14, 30))),
        number=f"{year}-{draw(st.integers(1, 999_999)):06d}",
    )
    if draw(st.booleans()):
        return dataclasses.replace(credit_note(invoice, issued + timedelta(days=3)), number=f"K-{invoice.number}")
    return invoice


@settings(max_examples=60, deadline=None)
@given(documents())
def test_r_set_13_random_invoices_and_credit_notes_always_validate_against_ubl_2_1_and_pass_the_own_checks(
    ubl, invoice
) -> None:
    if any(looks_like_cpr(line.label) for line in invoice.lines):
        return  # such a document is refused (tested above)
    xml = write(invoice)
    assert_valid(ubl, xml)
    root = parse(xml)
    sign = -1 if invoice.kind is DocumentKind.CREDIT_NOTE else 1
    assert Decimal(text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount")) == sign * invoice.total
    line_tag = "cac:CreditNoteLine" if invoice.kind is DocumentKind.CREDIT_NOTE else "cac:InvoiceLine"
    assert len(root.findall(line_tag, NS)) == len(invoice.lines)
    assert all(Decimal(p.text or "") >= 0 for p in root.iter(f"{{{NS_CBC}}}PriceAmount"))


# --- CVR numbers of the parties (R-SET-13) -----------------------------------------------------------------


def test_r_set_13_a_cvr_number_has_a_modulus_11_check_digit():
    assert is_valid_cvr("29189420")  # weighted sum 2·2+9·7+1·6+8·5+9·4+4·3+2·2+0·1 = 165 = 15 × 11
    assert not is_valid_cvr("29189421") and not is_valid_cvr("2918942") and not is_valid_cvr("2918942a")
    assert cvr_from(2918942) == "29189420"


@given(st.integers(min_value=1_000_000, max_value=9_999_988))
def test_r_set_13_every_generated_cvr_number_is_valid(first_seven):
    assert is_valid_cvr(cvr_from(first_seven))
