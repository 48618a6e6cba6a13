"""The parties on an invoice, a credit note or a statement: plain data the document writers print and address.

A ``Party`` is what a document needs to know about the operator (seller) or the municipality (buyer): its
name and postal address, its EAN number (a GS1 GLN, 13 digits: the address an e-invoice is sent to over
NemHandel, R-SET-13), its CVR number and, for a municipality or a region, its code (kommunekode / regionskode,
handbook § 14). The writers take parties as they are; repositories and services map their rows to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = re.compile(r"\d+")


class PartyError(ValueError):
    """Party data a document cannot be addressed with; the message is Danish."""


def gln_check_digit(first_twelve: str) -> str:
    """The GS1 check digit of a GLN/EAN-13 from its first 12 digits ('579800000001' -> '5')."""
    if len(first_twelve) != 12 or not _DIGITS.fullmatch(first_twelve):
        raise PartyError("Et EAN-nummer har 12 cifre før kontrolcifferet.")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first_twelve)))
    return str((10 - total % 10) % 10)


def with_check_digit(first_twelve: str) -> str:
    """A whole EAN number from its first 12 digits (for demo data and tests)."""
    return first_twelve + gln_check_digit(first_twelve)


CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def is_valid_cvr(cvr: str) -> bool:
    """A CVR number: 8 digits whose weighted sum (2, 7, 6, 5, 4, 3, 2, 1) is divisible by 11 (modulus 11)."""
    if len(cvr) != 8 or not _DIGITS.fullmatch(cvr):
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


def cvr_from(first_seven: int) -> str:
    """The CVR number with these first 7 digits and the modulus-11 check digit, or the next base that has one
    (for demo data and tests: a check digit of 10 does not exist)."""
    for base in range(first_seven, first_seven + 11):
        head = f"{base:07d}"
        check = -sum(int(d) * w for d, w in zip(head, CVR_WEIGHTS, strict=False)) % 11
        if check < 10:
            return head + str(check)
    raise PartyError("Der er intet CVR-nummer med de første cifre.")  # pragma: no cover - 11 bases always hold one


def is_valid_gln(ean: str) -> bool:
    return len(ean) == 13 and bool(_DIGITS.fullmatch(ean)) and gln_check_digit(ean[:12]) == ean[12]


@dataclass(frozen=True)
class Party:
    """A seller or buyer as documents show it.

    ``address_lines``: street lines ("Boulevarden 13", "1. sal"); ``postal_code`` and ``city`` complete the
    address. ``ean``: the 13-digit EAN (GLN) number with a valid check digit; ``cvr``: 8 digits;
    ``municipality_code``: the kommunekode (or regionskode) when the party is a municipality or a region, which
    the writers compare with the invoice's operator and payer. ``reference``: the buyer's person or order
    reference for the e-invoice (cac:Contact/cbc:ID), empty when there is none.
    """

    name: str
    address_lines: tuple[str, ...]
    postal_code: str
    city: str
    ean: str
    cvr: str
    municipality_code: int | None = None
    reference: str = ""
    country: str = "DK"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PartyError("Parten skal have et navn.")
        if not is_valid_gln(self.ean):
            raise PartyError(
                f"EAN-nummeret for {self.name} skal være 13 cifre med et gyldigt kontrolciffer (GLN), ikke '{self.ean}'."
            )
        if len(self.cvr) != 8 or not _DIGITS.fullmatch(self.cvr):
            raise PartyError(f"CVR-nummeret for {self.name} skal være 8 cifre, ikke '{self.cvr}'.")
        if len(self.country) != 2 or not self.country.isalpha() or not self.country.isupper():
            raise PartyError("Landekoden skal være to store bogstaver (ISO 3166-1), fx 'DK'.")

    @property
    def postal_line(self) -> str:
        """'9000 Aalborg'."""
        return " ".join(part for part in (self.postal_code.strip(), self.city.strip()) if part)

    def address(self) -> tuple[str, ...]:
        """The address as printed: the street lines and the postal line, without empty lines."""
        lines = [line.strip() for line in self.address_lines]
        return tuple(line for line in (*lines, self.postal_line) if line)
