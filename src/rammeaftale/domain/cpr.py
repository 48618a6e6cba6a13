"""CPR numbers (the Danish civil registration number) as a value that never shows itself.

Only the form is checked: ``DDMMYY-SSSS`` or ten digits, and a real date in ``DDMMYY`` in the century the
seventh digit gives (the CPR office's table below). The modulus-11 check is NOT applied: since 2007 numbers
are issued that fail it, and they are valid (issue 5).

A ``Cpr`` never prints its digits: ``repr`` and ``str`` give the masked form ``DDMMYY-xxxx``, so a CPR number
that reaches a log line, a traceback or an f-string by mistake shows only the birth date. The digits are
read through ``digits`` or ``formatted``, and only where the number is encrypted, looked up or revealed to a
party of the placement. Messages never echo the number that was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MASK = "xxxx"
FORMAT_MESSAGE = "CPR-nummeret skal skrives som DDMMÅÅ-SSSS eller som 10 cifre."
DATE_MESSAGE = "CPR-nummerets første seks cifre er ikke en gyldig dato (DDMMÅÅ)."


class CprError(ValueError):
    """A text that is not a CPR number; the Danish message never repeats the text.

    ``reason`` is "format" (not DDMMYY-SSSS or ten digits) or "date" (DDMMYY is no real date).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def century(year_digits: int, seventh_digit: int) -> int:
    """The century of the birth year, from the first digit of the serial number (CPR office's table).

    0–3: 1900s; 4 and 9: 2000s up to year 36, else 1900s; 5–8: 2000s up to year 57, else 1800s.
    """
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if year_digits <= 36 else 1900
    return 2000 if year_digits <= 57 else 1800


@dataclass(frozen=True)
class Cpr:
    """A CPR number in its ten digits; shown only masked (``DDMMYY-xxxx``)."""

    digits: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.digits) != 10 or not (self.digits.isascii() and self.digits.isdigit()):
            raise CprError(FORMAT_MESSAGE, "format")
        if self._birth_date() is None:
            raise CprError(DATE_MESSAGE, "date")

    def _birth_date(self) -> date | None:
        day, month, year = int(self.digits[0:2]), int(self.digits[2:4]), int(self.digits[4:6])
        try:
            return date(century(year, int(self.digits[6])) + year, month, day)
        except ValueError:
            return None

    @property
    def birth_date(self) -> date:
        born = self._birth_date()
        assert born is not None  # checked on construction
        return born

    @property
    def masked(self) -> str:
        """``DDMMYY-xxxx``: what responses, pages and exports show."""
        return f"{self.digits[:6]}-{MASK}"

    @property
    def formatted(self) -> str:
        """``DDMMYY-SSSS``: only for a party of the placement that asked to see the number."""
        return f"{self.digits[:6]}-{self.digits[6:]}"

    def __repr__(self) -> str:
        return f"Cpr({self.masked})"

    def __str__(self) -> str:
        return self.masked


def parse_cpr(text: object) -> Cpr:
    """``DDMMYY-SSSS`` or ten digits (surrounding blanks ignored) as a ``Cpr``; ``CprError`` otherwise."""
    if not isinstance(text, str):
        raise CprError(FORMAT_MESSAGE, "format")
    cleaned = text.strip()
    if len(cleaned) == 11 and cleaned[6] == "-":
        cleaned = cleaned[:6] + cleaned[7:]
    if len(cleaned) != 10 or not (cleaned.isascii() and cleaned.isdigit()):
        raise CprError(FORMAT_MESSAGE, "format")
    return Cpr(cleaned)


def passes_modulus_11(cpr: Cpr) -> bool:
    """The old modulus-11 check. Informational only: a number that fails it is still valid (issue 5)."""
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(cpr.digits, weights, strict=True)) % 11 == 0
