"""Published tariff appendices (takstbilag): the public index, one appendix as a table, and downloads."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.documents.appendix_pdf import render_appendix_pdf
from rammeaftale.adapters.documents.appendix_rows import APPENDIX_COLUMNS, appendix_table, format_cell, title_lines
from rammeaftale.adapters.documents.appendix_xlsx import render_appendix_xlsx
from rammeaftale.entrypoints.deps import UowDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import ViewerDep, render
from rammeaftale.services import appendix, offers

router = APIRouter()
PUBLIC = [policy(Policy.PUBLIC)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VERSION = Query(ge=1, description="Version; uden angivelse den nyeste")


def _filename(region_code: int, year: int, version: int, extension: str) -> str:
    return f"takstbilag-{region_code}-{year}-v{version}.{extension}"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/takstbilag", response_class=HTMLResponse, dependencies=PUBLIC)
def appendix_index(request: Request, uow: UowDep, viewer: ViewerDep) -> HTMLResponse:
    """Every published appendix per region and year (public)."""
    by_region: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in uow.appendices.published():
        by_region[row.region_code][row.year].append(row)
    regions = [
        {"code": r.region_code, "name": r.name, "years": sorted(by_region[r.region_code].items(), reverse=True)}
        for r in uow.organisations.regions()
    ]
    return render(request, viewer, "appendix_index.html", {"regions": regions})


@router.get("/takstbilag/{region_code}/{year}.xlsx", dependencies=PUBLIC)
def appendix_xlsx(region_code: int, year: int, uow: UowDep, version: Annotated[int | None, VERSION] = None) -> Response:
    document = appendix.load_appendix(uow, region_code, year, version)
    return _download(render_appendix_xlsx(document), XLSX, _filename(region_code, year, document.version, "xlsx"))


@router.get("/takstbilag/{region_code}/{year}.pdf", dependencies=PUBLIC)
def appendix_pdf(region_code: int, year: int, uow: UowDep, version: Annotated[int | None, VERSION] = None) -> Response:
    document = appendix.load_appendix(uow, region_code, year, version)
    return _download(
        render_appendix_pdf(document), "application/pdf", _filename(region_code, year, document.version, "pdf")
    )


@router.get("/takstbilag/{region_code}/{year}", response_class=HTMLResponse, dependencies=PUBLIC)
def appendix_page(
    region_code: int,
    year: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    version: Annotated[int | None, VERSION] = None,
) -> HTMLResponse:
    document = appendix.load_appendix(uow, region_code, year, version)
    headers, cells = appendix_table(document)
    offer_ids = {o.code: o.id for o in offers.list_offers(uow, offers.OfferFilter(region_code=region_code))}
    rows = [
        {
            "cells": [
                {"text": format_cell(value, column.kind), "kind": column.kind.value}
                for value, column in zip(row, APPENDIX_COLUMNS, strict=True)
            ],
            "offer_id": offer_ids.get(source.offer_id),
        }
        for row, source in zip(cells, document.rows, strict=True)
    ]
    context = {
        "appendix": document,
        "title_lines": title_lines(document),
        "headers": headers,
        "kinds": [column.kind.value for column in APPENDIX_COLUMNS],
        "rows": rows,
        "versions": uow.appendices.versions(region_code, year),
        "latest": version is None,
    }
    return render(request, viewer, "appendix.html", context)
