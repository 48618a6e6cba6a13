"""Jinja2 environment for the Danish pages, with the Danish number and date filters."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from rammeaftale.adapters.documents import formatting

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters.update(
    kr=formatting.format_kr,
    amount=formatting.format_amount,
    number=formatting.format_number,
    pct=formatting.format_pct,
    dato=formatting.format_date,
    tidspunkt=formatting.format_datetime,
    unit_label=formatting.unit_label,
)
