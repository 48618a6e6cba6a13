"""Invoices, credit notes and parties for the document tests: the handbook's examples unless told otherwise.

The invoices come from the domain itself (``bill_month`` → ``invoices_for_month`` → numbered as the service
issues them), so the documents are tested on what the monthly run really produces. The parties are fictitious.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.documents.parties import Party, with_check_digit
from rammeaftale.domain.invoices import Invoice, credit_note, invoices_for_month
from rammeaftale.domain.money import round_ore_half_up
from rammeaftale.domain.notice import Contract, Notice, OfferKind
from rammeaftale.domain.periods import Period, TariffRate
from rammeaftale.domain.settlement import AtaSupplement, InvoiceLine, LineKind, Placement, bill_month
from tests.unit.factories import nordjylland

AALBORG = 851  # the operator (driftsherre) in the examples
MORSOE = 773  # the paying municipality
MARCH_2025 = Period(date(2025, 3, 1), date(2025, 3, 31))


def a_seller(**overrides: Any) -> Party:
    values: dict[str, Any] = {
        "name": "Aalborg Kommune (fiktiv)",
        "address_lines": ("Boulevarden 13",),
        "postal_code": "9000",
        "city": "Aalborg",
        "ean": with_check_digit("579800000001"),
        "cvr": "10000851",
        "municipality_code": AALBORG,
    }
    values.update(overrides)
    return Party(**values)


def a_buyer(**overrides: Any) -> Party:
    values: dict[str, Any] = {
        "name": "Morsø Kommune (fiktiv)",
        "address_lines": ("Jernbanevej 7", "Myndighedsafdelingen"),
        "postal_code": "7900",
        "city": "Nykøbing Mors",
        "ean": with_check_digit("579800000773"),
        "cvr": "10000773",
        "municipality_code": MORSOE,
        "reference": "Voksenhandicap",
    }
    values.update(overrides)
    return Party(**values)


def a_placement(**changes: Any) -> Placement:
    """Fjordgården at 2.070,25 kr. a day from 1 January 2025; older contract, so Morsø is billed (R-SET-01)."""
    values: dict[str, Any] = {
        "placement_id": "P-000101",
        "offer_kind": OfferKind.STANDARD,
        "contract": Contract.OLDER,
        "acting_municipality": MORSOE,
        "paying_municipality": MORSOE,
        "start": date(2025, 1, 1),
        "tariffs": (TariffRate(date(2025, 1, 1), Decimal("2070.25")),),
    }
    values.update(changes)
    return Placement(**values)


def an_invoice(
    placements: tuple[Placement, ...] | None = None,
    year: int = 2025,
    month: int = 3,
    issued_on: date | None = None,
    number: str = "2025-000017",
) -> Invoice:
    """The domain's invoice for the placements' month, numbered: by default a full March (64.177,75 kr.)."""
    rules = nordjylland()
    bills = [bill_month(p, year, month, rules) for p in placements or (a_placement(),)]
    issued = issued_on or bills[0].month.end
    invoices, findings = invoices_for_month(AALBORG, bills, issued, rules)
    assert len(invoices) == 1 and not findings, findings
    return dataclasses.replace(invoices[0], number=number)


def a_notice_invoice() -> Invoice:
    """The handbook's notice example billed for May 2025: service to 20 May (R-SET-03), notice to 31 May
    (R-SET-05) and an ATA supplement to 20 May (R-SUP-02)."""
    placement = a_placement(
        notice=Notice(date(2025, 5, 20), date(2025, 5, 20)),
        supplements=(AtaSupplement("Ekstra aftenstøtte", date(2025, 5, 1), None, Decimal("1.5"), Decimal("385.00")),),
    )
    return an_invoice((placement,), month=5, number="2025-000042")


def a_credit_note(invoice: Invoice | None = None, number: str = "2025-000018") -> Invoice:
    """R-SET-02: the credit note for an issued invoice, numbered."""
    return dataclasses.replace(credit_note(invoice or an_invoice(), date(2025, 4, 10)), number=number)


def a_line(**overrides: Any) -> InvoiceLine:
    values: dict[str, Any] = {
        "placement_id": "P-000101",
        "kind": LineKind.SERVICE,
        "label": "Ydelse",
        "period": MARCH_2025,
        "quantity": Decimal(31),
        "unit": "dag",
        "unit_price": Decimal("2070.25"),
        "rule_id": "R-SET-03",
    }
    values.update(overrides)
    values.setdefault("amount", round_ore_half_up(values["quantity"] * values["unit_price"]))
    return InvoiceLine(**values)


def invoice_of(lines: tuple[InvoiceLine, ...], **overrides: Any) -> Invoice:
    """An invoice made directly from lines (for shapes the monthly run rarely makes)."""
    values: dict[str, Any] = {
        "operator": AALBORG,
        "payer": MORSOE,
        "month": MARCH_2025,
        "issued_on": date(2025, 3, 31),
        "due_on": date(2025, 4, 30),
        "lines": lines,
        "total": sum((line.amount for line in lines), Decimal(0)),
        "number": "2025-000099",
    }
    values.update(overrides)
    return Invoice(**values)
