"""Publishing and reading the tariff appendix (takstbilag) of a region and year.

A published version never changes; publishing again creates version N+1 with a reason.
"""

from __future__ import annotations

from decimal import Decimal

from rammeaftale.adapters.db.models import AppendixLine, TariffAppendixRow, TariffSubmissionRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.appendix import AppendixRow, TariffAppendix, tariff_change_pct
from rammeaftale.domain.registry import Offer
from rammeaftale.services.access import require_secretariat_of
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case

INCLUDED = ("approved", "published")


def _approved_by_service(uow: UnitOfWork, offers: list[Offer], year: int) -> dict[int, TariffSubmissionRow]:
    """The newest approved (or already published) version per service."""
    chosen: dict[int, TariffSubmissionRow] = {}
    operator_ids = sorted({o.operator.id for o in offers})
    for row in uow.submissions.for_year(operator_ids, year):
        if row.status in INCLUDED and (row.service_id not in chosen or row.version > chosen[row.service_id].version):
            chosen[row.service_id] = row
    return chosen


def _last_year_tariffs(uow: UnitOfWork, region_code: int, year: int) -> dict[tuple[str, str], Decimal | None]:
    previous = uow.appendices.latest(region_code, year - 1)
    if previous is None:
        return {}
    return {(line.offer_code, line.service): line.tariff for line in uow.appendices.lines(previous.id)}


def build_lines(
    uow: UnitOfWork, region_code: int, year: int
) -> tuple[list[AppendixLine], list[TariffSubmissionRow], list[str]]:
    """Appendix lines from approved submissions, and the operators missing (R-CYC-04)."""
    offers = [o for o in uow.offers.in_region(region_code) if o.covered and o.current.status.value != "closed"]
    chosen = _approved_by_service(uow, offers, year)
    last_year = _last_year_tariffs(uow, region_code, year)
    lines: list[AppendixLine] = []
    included: list[TariffSubmissionRow] = []
    missing: set[str] = set()
    for offer in offers:
        for service in offer.services:
            row = chosen.get(service.id)
            if row is None:
                missing.add(offer.operator.name)
                continue
            included.append(row)
            lines.extend(_lines_for(offer, row, last_year, start=len(lines)))
    return lines, included, sorted(missing)


def _lines_for(
    offer: Offer, row: TariffSubmissionRow, last_year: dict[tuple[str, str], Decimal | None], start: int
) -> list[AppendixLine]:
    payload = row.payload
    occupancy = Decimal(payload["occupancy"]["percent"])
    places = Decimal(payload["offer"]["places"])
    lines = []
    for i, s in enumerate(row.result["services"]):
        tariff = _dec(s["tariff"])
        lines.append(
            AppendixLine(
                position=start + i,
                submission_id=row.id,
                offer_id=offer.id,
                operator=offer.operator.name,
                offer=offer.current.name,
                offer_code=offer.code,
                legal_basis=offer.current.legal_basis,
                target_group="; ".join(offer.current.target_groups),
                service=s["name"],
                places=places,
                occupancy_pct=occupancy,
                tariff=tariff,
                unit=s["unit"],
                annual_tariff_per_place=_dec(s["annual_tariff_per_place"]),
                direct_support_hours_per_week=_dec(s["direct_support_hours_per_place_per_week"]),
                change_pct=tariff_change_pct(tariff, last_year.get((offer.code, s["name"]))),
            )
        )
    return lines


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@write_use_case
def publish(uow: UnitOfWork, actor: Actor, clock: Clock, region_code: int, year: int, reason: str = "") -> int:
    """Publish the region's appendix for a year as a new version (R-CYC-03).

    Concurrent publishers of one region and year are serialised (``lock_publication``), so the second
    one sees the first one's version; should two still compute the same version number, the unique
    constraint refuses one, ``write_use_case`` retries it once and then answers Conflict.
    """
    require_secretariat_of(actor, region_code)
    uow.appendices.lock_publication(region_code, year)
    lines, included, missing = build_lines(uow, region_code, year)
    if not lines:
        raise Conflict("Der er ingen godkendte indberetninger at offentliggøre.")
    latest = uow.appendices.latest(region_code, year)
    if latest is not None and not reason.strip():
        raise InvalidSubmission(
            f"Takstbilaget for {year} er allerede offentliggjort (version {latest.version}); en ny version kræver en begrundelse.",
            [],
        )
    appendix = TariffAppendixRow(
        region_code=region_code,
        year=year,
        version=(latest.version + 1) if latest else 1,
        published_at=clock(),
        published_by=actor.user_id,
        reason=reason.strip(),
        missing_operators=missing,
        fictitious=True,
    )
    uow.appendices.add(appendix, lines)
    newly_published = sorted(row.id for row in included if row.status != "published")
    for row in included:
        row.status = "published"
    audit(
        uow,
        clock,
        actor,
        "appendix.published",
        "tariff_appendix",
        appendix.id,
        region_code=region_code,
        year=year,
        version=appendix.version,
        lines=len(lines),
        missing=missing,
        reason=reason,
        before={
            "version": latest.version if latest else None,
            "submissions": {str(i): "approved" for i in newly_published},
        },
        after={"version": appendix.version, "submissions": {str(i): "published" for i in newly_published}},
    )
    uow.commit()
    return appendix.version


def load_appendix(uow: UnitOfWork, region_code: int, year: int, version: int | None = None) -> TariffAppendix:
    """Published appendices are public (anyone may read them)."""
    row = uow.appendices.get(region_code, year, version) if version else uow.appendices.latest(region_code, year)
    region = uow.organisations.region(region_code)
    if row is None or region is None:
        raise NotFound(f"Der er intet offentliggjort takstbilag for region {region_code} og {year}.")
    ruleset_id = uow.organisations.period_ruleset(region_code, year)
    agreement = ruleset_id or ""
    if ruleset_id:
        agreement = get_ruleset(ruleset_id).agreement_name
    return TariffAppendix(
        region_code=region_code,
        region_name=region.name,
        agreement_name=agreement,
        year=year,
        version=row.version,
        published_on=row.published_at.date(),
        rows=tuple(_appendix_row(line) for line in uow.appendices.lines(row.id)),
        missing_operators=tuple(row.missing_operators),
        reason=row.reason,
        fictitious=row.fictitious,
    )


def _appendix_row(line: AppendixLine) -> AppendixRow:
    return AppendixRow(
        operator=line.operator,
        offer=line.offer,
        offer_id=line.offer_code,
        legal_basis=line.legal_basis,
        target_group=line.target_group,
        service=line.service,
        places=line.places,
        occupancy_pct=line.occupancy_pct,
        tariff=line.tariff,
        unit=line.unit,
        annual_tariff_per_place=line.annual_tariff_per_place,
        direct_support_hours_per_week=line.direct_support_hours_per_week,
        change_pct=line.change_pct,
    )
