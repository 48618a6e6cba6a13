"""E-invoices (R-SET-13): one invoice model, several output formats, behind one interface.

Invoices to public bodies in Denmark are electronic: OIOUBL 2.1 over NemHandel, addressed by the buyer's EAN
(GLN) number; Peppol BIS (Nemhandel BIS 4) replaces it from 2028–29. ``EInvoiceWriter`` is the interface the
services call; ``OioublWriter`` is the first implementation, and a Peppol BIS writer is the second to come
(register it in ``WRITERS``). Both take the domain's ``Invoice`` (an invoice or a credit note) and the parties.

``OioublWriter`` writes a UBL 2.1 ``Invoice`` or ``CreditNote`` in the OIOUBL 2.1 customisation:

- ``cbc:UBLVersionID`` 2.1, ``cbc:CustomizationID`` OIOUBL-2.1, ``cbc:ProfileID`` Procurement-BilSim-1.0
  (billing without an order; schemeAgencyID 320, schemeID urn:oioubl:id:profileid-1.2); a deterministic
  ``cbc:UUID`` (the same invoice always gets the same UUID); currency DKK.
- The parties are addressed by EAN: ``cbc:EndpointID schemeID="GLN" schemeAgencyID="9"``; CVR as
  ``DK:CVR``; the address in OIOUBL's ``StructuredLax`` format; the buyer's reference as ``cac:Contact/cbc:ID``.
- One ``cac:InvoiceLine`` / ``cac:CreditNoteLine`` per domain line: quantity (days ``DAY``, hours ``HUR``,
  units ``EA``) × price = ``cbc:LineExtensionAmount``, the line's period, the placement's pseudonymous id and
  the rule that produced the line (R-SET-03, R-SET-05 …) as item properties. A price is never negative: the
  sign of a negative supplement goes on the quantity, so quantity × price = amount still holds.
- VAT: the specialised social services are exempt from VAT (momsfri; momsloven § 13, stk. 1, nr. 2). Every
  line and the document carry a 0 % tax category (``ZeroRated``) with that exemption reason and a tax amount
  of 0.00. In OIOUBL ``cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount`` is the VAT amount (0.00), unlike
  Peppol BIS, where it is the net amount.
- A credit note states what it credits with positive figures (the domain negates the lines, R-SET-02; the
  writer turns them back) and references the credited invoice in ``cac:BillingReference``.

``check_einvoice`` is the writer's own check (R-SET-13) on the XML it produced, independent of the schema:
every line's amount is quantity × price to the øre, and the lines add up to ``LineExtensionAmount`` and
``PayableAmount`` to the øre; the messages are Danish. The tests validate every document against the OASIS
UBL 2.1 schemas in ``tests/fixtures/ubl-2.1/xsd`` as well.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as SafeET

from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.adapters.documents.invoice_rows import (
    VAT_EXEMPTION_REASON,
    DocumentError,
    check_document,
    payment_terms_text,
    period_text,
)
from rammeaftale.adapters.documents.parties import Party, is_valid_gln
from rammeaftale.domain.invoices import DocumentKind, Invoice
from rammeaftale.domain.money import ORE, ZERO, round_ore_half_up
from rammeaftale.domain.periods import Period
from rammeaftale.domain.settlement import InvoiceLine

XML_MEDIA_TYPE = "application/xml"

UBL_VERSION = "2.1"
CUSTOMIZATION_ID = "OIOUBL-2.1"
PROFILE_ID = "Procurement-BilSim-1.0"
PROFILE_SCHEME = {"schemeAgencyID": "320", "schemeID": "urn:oioubl:id:profileid-1.2"}
CURRENCY = "DKK"

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

_AGENCY = "320"  # OIOUBL's code lists (Digitaliseringsstyrelsen)
_TAX_CATEGORY = {"schemeAgencyID": _AGENCY, "schemeID": "urn:oioubl:id:taxcategoryid-1.1"}
_TAX_SCHEME = {"schemeAgencyID": _AGENCY, "schemeID": "urn:oioubl:id:taxschemeid-1.1"}
_INVOICE_TYPE = {"listAgencyID": _AGENCY, "listID": "urn:oioubl:codelist:invoicetypecode-1.1"}
_ADDRESS_FORMAT = {"listAgencyID": _AGENCY, "listID": "urn:oioubl:codelist:addressformatcode-1.1"}
_GLN = {"schemeAgencyID": "9", "schemeID": "GLN"}
ZERO_RATED = "ZeroRated"  # OIOUBL's 0 % category, with the exemption reason
VAT_SCHEME_ID = "63"  # OIOUBL tax scheme: moms
UNIT_CODES = {"dag": "DAY", "time": "HUR", "enhed": "EA"}  # UN/ECE recommendation 20
_UUID_NAMESPACE = uuid.UUID("604b9c31-6c15-4b0a-989a-f0e8805b4192")
# Characters XML 1.0 cannot carry; they are dropped from texts.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ET.register_namespace("cac", NS_CAC)
ET.register_namespace("cbc", NS_CBC)


class EInvoiceError(DocumentError):
    """An invoice that cannot be sent as an e-invoice (no number, no lines …); the message is Danish."""


class EInvoiceWriter(Protocol):
    """One e-invoice format (R-SET-13): OIOUBL 2.1 now, Peppol BIS (Nemhandel BIS 4) from 2028–29.

    ``write`` returns the document as UTF-8 XML bytes for an issued invoice or credit note, addressed to the
    buyer's EAN; it raises ``DocumentError`` when the invoice cannot be sent (no number, no lines, parties
    that do not match the invoice, a line that would show a CPR number).
    """

    def write(self, invoice: Invoice, seller: Party, buyer: Party) -> bytes: ...


# ---------------------------------------------------------------------------------------------------
# Writing


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _amount(value: Decimal) -> str:
    """'64177.75', '0.00' (never '-0.00')."""
    rounded = value.quantize(ORE)
    return "0.00" if rounded.is_zero() else format(rounded, "f")


def _number(value: Decimal) -> str:
    """A quantity as plain decimal text: '31', '12.5', '0'."""
    return "0" if value.is_zero() else format(value.normalize(), "f")


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS_CAC if prefix == 'cac' else NS_CBC}}}{local}"


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), attributes)
    if text is not None:
        element.text = _text(text)
    return element


def _money(parent: ET.Element, name: str, value: Decimal) -> ET.Element:
    return _add(parent, name, _amount(value), currencyID=CURRENCY)


def document_uuid(invoice: Invoice, seller: Party) -> str:
    """The same UUID every time the same seller's document is written (a resend is recognisable)."""
    return str(uuid.uuid5(_UUID_NAMESPACE, f"{seller.cvr}:{invoice.kind.value}:{invoice.number}"))


@dataclass(frozen=True)
class _Figures:
    """A line as the document states it: a credit note's lines turned positive; the price never negative."""

    quantity: Decimal
    price: Decimal
    amount: Decimal


def _figures(line: InvoiceLine, kind: DocumentKind) -> _Figures:
    sign = -1 if kind is DocumentKind.CREDIT_NOTE else 1
    quantity, price, amount = sign * line.quantity, line.unit_price, sign * line.amount
    if price < ZERO:
        quantity, price = -quantity, -price
    return _Figures(quantity, price, amount)


class OioublWriter:
    """UBL 2.1 Invoice / CreditNote in the OIOUBL 2.1 customisation (see the module's docstring)."""

    name = "oioubl-2.1"
    media_type = XML_MEDIA_TYPE

    def write(self, invoice: Invoice, seller: Party, buyer: Party) -> bytes:
        check_document(invoice, seller, buyer)
        if not invoice.number:
            raise EInvoiceError("Kun en udstedt faktura (med nummer) kan sendes som e-faktura.")
        if not invoice.lines:
            raise EInvoiceError("En e-faktura skal have mindst én linje.")
        credit = invoice.kind is DocumentKind.CREDIT_NOTE
        sign = -1 if credit else 1
        namespace = NS_CREDIT_NOTE if credit else NS_INVOICE
        # the document's own namespace as the default one (xmlns="…"); cac: and cbc: are prefixed
        root = ET.Element("CreditNote" if credit else "Invoice", {"xmlns": namespace})
        _add(root, "cbc:UBLVersionID", UBL_VERSION)
        _add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
        _add(root, "cbc:ProfileID", PROFILE_ID, **PROFILE_SCHEME)
        _add(root, "cbc:ID", invoice.number)
        _add(root, "cbc:CopyIndicator", "false")
        _add(root, "cbc:UUID", document_uuid(invoice, seller))
        _add(root, "cbc:IssueDate", invoice.issued_on.isoformat())
        if credit:
            _add(root, "cbc:CreditNoteTypeCode", "381")
        else:
            _add(root, "cbc:DueDate", invoice.due_on.isoformat())
            _add(root, "cbc:InvoiceTypeCode", "380", **_INVOICE_TYPE)
        _add(root, "cbc:Note", f"{VAT_EXEMPTION_REASON}. Periode {period_text(invoice.month)}.", languageID="da")
        _add(root, "cbc:DocumentCurrencyCode", CURRENCY)
        _period(root, invoice.month)
        if credit:
            reference = _add(_add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
            _add(reference, "cbc:ID", invoice.credits)
        _party(_add(root, "cac:AccountingSupplierParty"), seller)
        _party(_add(root, "cac:AccountingCustomerParty"), buyer)
        if not credit:
            means = _add(root, "cac:PaymentMeans")
            _add(means, "cbc:ID", "1")
            _add(means, "cbc:PaymentMeansCode", "1")
            _add(means, "cbc:PaymentDueDate", invoice.due_on.isoformat())
        terms = _add(root, "cac:PaymentTerms")
        _add(terms, "cbc:Note", payment_terms_text(invoice), languageID="da")
        total = sign * invoice.total
        _tax_total(root, total)
        monetary = _add(root, "cac:LegalMonetaryTotal")
        _money(monetary, "cbc:LineExtensionAmount", total)
        _money(monetary, "cbc:TaxExclusiveAmount", ZERO)  # OIOUBL: the VAT amount
        _money(monetary, "cbc:TaxInclusiveAmount", total)
        _money(monetary, "cbc:PayableAmount", total)
        for number, line in enumerate(invoice.lines, start=1):
            _line(root, number, line, invoice.kind)
        ET.indent(root)
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _period(parent: ET.Element, period: Period) -> None:
    element = _add(parent, "cac:InvoicePeriod")
    _add(element, "cbc:StartDate", period.start.isoformat())
    _add(element, "cbc:EndDate", period.end.isoformat())


def _party(parent: ET.Element, party: Party) -> None:
    element = _add(parent, "cac:Party")
    _add(element, "cbc:EndpointID", party.ean, **_GLN)
    _add(_add(element, "cac:PartyIdentification"), "cbc:ID", f"DK{party.cvr}", schemeID="DK:CVR")
    _add(_add(element, "cac:PartyName"), "cbc:Name", party.name)
    address = _add(element, "cac:PostalAddress")
    _add(address, "cbc:AddressFormatCode", "StructuredLax", **_ADDRESS_FORMAT)
    lines = [line.strip() for line in party.address_lines if line.strip()]
    if lines:
        _add(address, "cbc:StreetName", lines[0])
    if len(lines) > 1:
        _add(address, "cbc:AdditionalStreetName", ", ".join(lines[1:]))
    if party.city.strip():
        _add(address, "cbc:CityName", party.city.strip())
    if party.postal_code.strip():
        _add(address, "cbc:PostalZone", party.postal_code.strip())
    _add(_add(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    tax = _add(element, "cac:PartyTaxScheme")
    _add(tax, "cbc:CompanyID", f"DK{party.cvr}", schemeID="DK:SE")
    _tax_scheme(tax)
    legal = _add(element, "cac:PartyLegalEntity")
    _add(legal, "cbc:RegistrationName", party.name)
    _add(legal, "cbc:CompanyID", f"DK{party.cvr}", schemeID="DK:CVR")
    if party.reference.strip():
        _add(_add(element, "cac:Contact"), "cbc:ID", party.reference.strip())


def _tax_scheme(parent: ET.Element) -> None:
    scheme = _add(parent, "cac:TaxScheme")
    _add(scheme, "cbc:ID", VAT_SCHEME_ID, **_TAX_SCHEME)
    _add(scheme, "cbc:Name", "Moms")


def _tax_total(parent: ET.Element, taxable: Decimal) -> None:
    """A 0 % VAT total: the specialised social services are VAT exempt (momsfri)."""
    total = _add(parent, "cac:TaxTotal")
    _money(total, "cbc:TaxAmount", ZERO)
    subtotal = _add(total, "cac:TaxSubtotal")
    _money(subtotal, "cbc:TaxableAmount", taxable)
    _money(subtotal, "cbc:TaxAmount", ZERO)
    category = _add(subtotal, "cac:TaxCategory")
    _add(category, "cbc:ID", ZERO_RATED, **_TAX_CATEGORY)
    _add(category, "cbc:Percent", "0")
    _add(category, "cbc:TaxExemptionReason", VAT_EXEMPTION_REASON, languageID="da")
    _tax_scheme(category)


def _line(parent: ET.Element, number: int, line: InvoiceLine, kind: DocumentKind) -> None:
    credit = kind is DocumentKind.CREDIT_NOTE
    figures = _figures(line, kind)
    unit = UNIT_CODES.get(line.unit, "EA")
    element = _add(parent, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _add(element, "cbc:ID", str(number))
    placement = f"Indskrivning {line.placement_id}; " if line.placement_id else ""  # none: objective financing
    _add(element, "cbc:Note", f"{placement}regel {line.rule_id}", languageID="da")
    _add(
        element, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", _number(figures.quantity), unitCode=unit
    )
    _money(element, "cbc:LineExtensionAmount", figures.amount)
    _period(element, line.period)
    _tax_total(element, figures.amount)
    item = _add(element, "cac:Item")
    _add(item, "cbc:Description", f"{line.label}, {period_text(line.period)}", languageID="da")
    _add(item, "cbc:Name", line.label)
    _add(_add(item, "cac:SellersItemIdentification"), "cbc:ID", line.kind.value)
    for name, value in (("Indskrivning", line.placement_id), ("Regel", line.rule_id)):
        if not value:
            continue
        prop = _add(item, "cac:AdditionalItemProperty")
        _add(prop, "cbc:Name", name)
        _add(prop, "cbc:Value", value)
    price = _add(element, "cac:Price")
    _money(price, "cbc:PriceAmount", figures.price)
    _add(price, "cbc:BaseQuantity", "1", unitCode=unit)


WRITERS: dict[str, EInvoiceWriter] = {OioublWriter.name: OioublWriter()}


# ---------------------------------------------------------------------------------------------------
# The writer's own checks (R-SET-13)


def _find(element: ET.Element, path: str) -> ET.Element | None:
    return element.find(path, {"cac": NS_CAC, "cbc": NS_CBC})


def _findall(element: ET.Element, path: str) -> list[ET.Element]:
    return element.findall(path, {"cac": NS_CAC, "cbc": NS_CBC})


def _decimal(element: ET.Element | None, what: str, problems: list[str]) -> Decimal | None:
    if element is None or element.text is None:
        problems.append(f"{what} mangler.")
        return None
    try:
        value = Decimal(element.text.strip())
    except InvalidOperation:
        problems.append(f"{what} er ikke et tal: '{element.text.strip()}'.")
        return None
    if not value.is_finite():
        problems.append(f"{what} er ikke et endeligt tal.")
        return None
    return value


def _amount_of(element: ET.Element | None, what: str, problems: list[str]) -> Decimal | None:
    value = _decimal(element, what, problems)
    if value is None:
        return None
    if value != value.quantize(ORE):
        problems.append(f"{what} ({element.text if element is not None else ''}) har brøkdele af en øre.")
    return value


def check_einvoice(xml: bytes) -> list[str]:
    """R-SET-13: the own checks of an e-invoice; an empty list when it passes.

    Every line's amount is quantity × price (per base quantity) rounded to the øre; the lines add up to
    ``LineExtensionAmount``, which equals ``PayableAmount`` and ``TaxInclusiveAmount`` (VAT 0, momsfri), to the
    øre; every amount is in DKK; both parties are addressed by a valid EAN (GLN); a credit note references the
    invoice it credits. The messages are Danish.
    """
    problems: list[str] = []
    try:
        root = SafeET.fromstring(xml)
    except Exception as exc:  # defusedxml raises ParseError or its own refusals (entities, DTDs)
        return [f"Dokumentet er ikke gyldig XML: {exc}"]
    credit = root.tag == f"{{{NS_CREDIT_NOTE}}}CreditNote"
    if not credit and root.tag != f"{{{NS_INVOICE}}}Invoice":
        return [f"Dokumentet er hverken en UBL-faktura eller en UBL-kreditnota ({root.tag})."]
    for path, expected in (
        ("cbc:UBLVersionID", UBL_VERSION),
        ("cbc:CustomizationID", CUSTOMIZATION_ID),
        ("cbc:ProfileID", PROFILE_ID),
        ("cbc:DocumentCurrencyCode", CURRENCY),
    ):
        found = _find(root, path)
        value = found.text.strip() if found is not None and found.text else ""
        if value != expected:
            problems.append(f"{path} skal være '{expected}', ikke '{value}'.")
    for element in root.iter():
        currency = element.get("currencyID")
        if currency is not None and currency != CURRENCY:
            problems.append(f"Beløbet i {element.tag.rpartition('}')[2]} er i {currency}, ikke {CURRENCY}.")
    for role in ("AccountingSupplierParty", "AccountingCustomerParty"):
        endpoint = _find(root, f"cac:{role}/cac:Party/cbc:EndpointID")
        who = "Sælgeren" if role == "AccountingSupplierParty" else "Køberen"
        if endpoint is None or endpoint.get("schemeID") != "GLN" or not is_valid_gln((endpoint.text or "").strip()):
            problems.append(f'{who} skal adresseres med et gyldigt EAN-nummer (cbc:EndpointID schemeID="GLN").')
    if credit:
        reference = _find(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
        if reference is None or not (reference.text or "").strip():
            problems.append("Kreditnotaen skal henvise til den faktura, den krediterer (cac:BillingReference).")
    line_tag, quantity_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity") if credit else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    lines = _findall(root, line_tag)
    if not lines:
        problems.append("Dokumentet har ingen linjer.")
    line_sum = ZERO
    for index, line in enumerate(lines, start=1):
        line_id = _find(line, "cbc:ID")
        name = f"Linje {(line_id.text or '').strip() if line_id is not None else index}"
        quantity = _decimal(_find(line, quantity_tag), f"{name}: antallet", problems)
        price = _decimal(_find(line, "cac:Price/cbc:PriceAmount"), f"{name}: prisen", problems)
        base_element = _find(line, "cac:Price/cbc:BaseQuantity")
        base = Decimal(1) if base_element is None else _decimal(base_element, f"{name}: basisantallet", problems)
        amount = _amount_of(_find(line, "cbc:LineExtensionAmount"), f"{name}: beløbet", problems)
        if amount is not None:
            line_sum += amount
        if quantity is None or price is None or base is None or amount is None:
            continue
        if base.is_zero():
            problems.append(f"{name}: basisantallet kan ikke være 0.")
            continue
        computed = round_ore_half_up(quantity * price / base)
        if computed != amount:
            problems.append(
                f"{name}: beløbet {format_kr(amount)} er ikke antal × pris afrundet til øre "
                f"({_number(quantity)} × {_amount(price)} = {format_kr(computed)})."
            )
    monetary = _find(root, "cac:LegalMonetaryTotal")
    if monetary is None:
        problems.append("cac:LegalMonetaryTotal mangler.")
        return problems
    extension = _amount_of(_find(monetary, "cbc:LineExtensionAmount"), "LineExtensionAmount", problems)
    payable = _amount_of(_find(monetary, "cbc:PayableAmount"), "PayableAmount", problems)
    if extension is not None and extension != line_sum:
        problems.append(f"Linjernes sum ({format_kr(line_sum)}) er ikke LineExtensionAmount ({format_kr(extension)}).")
    if extension is not None and payable is not None and payable != extension:
        problems.append(f"PayableAmount ({format_kr(payable)}) er ikke LineExtensionAmount ({format_kr(extension)}).")
    inclusive = _find(monetary, "cbc:TaxInclusiveAmount")
    if inclusive is not None:
        inclusive_amount = _amount_of(inclusive, "TaxInclusiveAmount", problems)
        if inclusive_amount is not None and payable is not None and inclusive_amount != payable:
            problems.append(
                f"TaxInclusiveAmount ({format_kr(inclusive_amount)}) er ikke PayableAmount ({format_kr(payable)})."
            )
    for tax in _findall(root, "cac:TaxTotal/cbc:TaxAmount"):
        tax_amount = _amount_of(tax, "Momsbeløbet", problems)
        if tax_amount is not None and not tax_amount.is_zero():
            problems.append(f"Momsbeløbet er {format_kr(tax_amount)}, men skal være 0,00 kr. (momsfri).")
    return problems
