"""Queries of placements and their supplements (issue 5, handbook §§ 8–9).

The CPR number goes in and out only here and only through the vault (``adapters/cpr_vault.py``): ``seal``
encrypts it for a new row, ``lookups`` finds a citizen's rows by HMAC, ``reveal`` decrypts one row's number
for a party that asked, and every stored placement leaves this module with the masked form only.

``billable`` is the billing run's one read: every confirmed placement of an operator's offers that can be
billed in a window, mapped to ``domain.settlement.Placement`` in three queries whatever the number of rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from rammeaftale.adapters.cpr_vault import CprDecryptionError, CprVault, SealedCpr
from rammeaftale.adapters.db import models as m
from rammeaftale.domain.cpr import MASK, Cpr
from rammeaftale.domain.money import ORE
from rammeaftale.domain.notice import Contract, Notice, OfferKind
from rammeaftale.domain.periods import TariffRate
from rammeaftale.domain.settlement import (
    AtaSupplement,
    DailySupplement,
    Delivery,
    Placement,
    Supplement,
    UnitSupplement,
)

REGISTERED, CONFIRMED, REFUSED = "registered", "confirmed", "refused"
FINAL, PROVISIONAL, ACUTE_CLOSURE = "final", "provisional", "acute_closure"
ATA, DAILY, UNIT = "ata", "daily", "unit"
DAILY_UNIT = "dag"  # appendix lines in any other unit (hour, unit, individual) are no daily tariff
LEVEL_MARK = ", niveau "  # "Botilbud, niveau A" (domain.tariffs: basis + service levels)
NEGOTIATED_LABEL = "Forhandlet takst"
# A notice given this long before a window can still pay days in it: the notice period is at most the end
# of the notice month + 12 months (agreed_notice_months is 0–12, R-SET-05), substitution 14 days (R-SET-07).
NOTICE_REACH = timedelta(days=400)
UNREADABLE_MASK = f"xxxxxx-{MASK}"
OFFER_KINDS = {k.value: k for k in OfferKind}
CONTRACTS = {c.value: c for c in Contract}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


@dataclass(frozen=True)
class StoredSupplement:
    id: int
    kind: str  # ata | daily | unit
    name: str
    start: date | None
    end: date | None
    hours_per_day: Decimal | None
    staff_category: str
    hourly_cost: Decimal | None
    absence_pct: Decimal | None
    time_of_day: str
    time_coefficient_pct: Decimal | None
    variable_costs_pct: Decimal | None
    hourly_rate: Decimal | None
    daily_amount: Decimal | None
    unit_price: Decimal | None
    deliveries: tuple[Delivery, ...]
    created_at: datetime

    def to_domain(self) -> Supplement:
        """The domain's supplement (``domain.settlement``): ATA hours, an amount per day, or units delivered."""
        if self.kind == ATA:
            assert self.start is not None and self.hours_per_day is not None and self.hourly_rate is not None
            name = f"{self.name} ({self.time_of_day})" if self.time_of_day else self.name
            return AtaSupplement(name, self.start, self.end, self.hours_per_day, self.hourly_rate)
        if self.kind == DAILY:
            assert self.start is not None and self.daily_amount is not None
            return DailySupplement(self.name, self.start, self.end, self.daily_amount)
        assert self.unit_price is not None
        return UnitSupplement(self.name, self.unit_price, self.deliveries)


@dataclass(frozen=True)
class StoredPlacement:
    """A placement as stored, with the CPR number masked (``DDMMYY-xxxx``) and its supplements."""

    pk: int
    placement_id: str
    masked_cpr: str
    offer_id: int
    service_id: int
    operator_id: int
    level: str
    acting_municipality: int
    paying_municipality: int | None
    contract: str
    offer_kind: str
    start: date
    respite_granted_days: tuple[date, ...] | None
    negotiated_tariff: Decimal | None
    agreed_notice_months: int | None
    notice_given_on: date | None
    notice_final_date: date | None
    notice_kind: str
    notice_operator_agrees: bool
    status: str
    source: str
    created_at: datetime
    created_by: int | None
    confirmed_at: datetime | None
    confirmed_by: int | None
    refused_at: datetime | None
    refused_by: int | None
    refusal_reason: str
    supplements: tuple[StoredSupplement, ...] = ()

    @property
    def notice(self) -> Notice | None:
        return _notice(self.notice_given_on, self.notice_final_date, self.notice_kind, self.notice_operator_agrees)

    def ends_before(self, day: date) -> bool:
        """The citizen's last day (the notice's final date) lies before ``day``."""
        return self.notice_final_date is not None and self.notice_final_date < day


def _notice(given_on: date | None, final: date | None, kind: str, agrees: bool) -> Notice | None:
    if given_on is None or final is None:
        return None
    return Notice(
        given_on,
        final,
        provisional=kind == PROVISIONAL,
        operator_agrees=agrees,
        acute_closure=kind == ACUTE_CLOSURE,
    )


def _raw(column: Any) -> Any:
    """A column read as the driver hands it over (no SQLAlchemy result processing; see ``_day``, ``_ore``)."""
    return type_coerce(column, NullType)


def _day(value: date | str) -> date:
    """A date as the driver gives it: a ``date`` (psycopg) or ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _ore(value: Decimal | float | int | str) -> Decimal:
    """An amount column as the driver gives it (``Decimal`` from psycopg; SQLite's number), in øre."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))
    return number.quantize(ORE)


def _json(value: Any) -> Any:
    """A JSON column as the driver gives it: parsed (psycopg) or text (sqlite3)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _days(raw: list[Any] | None) -> tuple[date, ...] | None:
    return None if raw is None else tuple(sorted(date.fromisoformat(str(d)) for d in raw))


def _deliveries(raw: list[Any] | None) -> tuple[Delivery, ...]:
    return tuple(Delivery(date.fromisoformat(str(d["day"])), Decimal(str(d["quantity"]))) for d in raw or ())


def _supplement(row: m.PlacementSupplementRow) -> StoredSupplement:
    return StoredSupplement(
        id=row.id,
        kind=row.kind,
        name=row.name,
        start=row.start_date,
        end=row.end_date,
        hours_per_day=row.hours_per_day,
        staff_category=row.staff_category,
        hourly_cost=row.hourly_cost,
        absence_pct=row.absence_pct,
        time_of_day=row.time_of_day,
        time_coefficient_pct=row.time_coefficient_pct,
        variable_costs_pct=row.variable_costs_pct,
        hourly_rate=row.hourly_rate,
        daily_amount=row.daily_amount,
        unit_price=row.unit_price,
        deliveries=_deliveries(row.deliveries),
        created_at=_utc(row.created_at),
    )


def level_of_line(service_line: str) -> str:
    """The level an appendix line prices: "A" for "Botilbud, niveau A"; "" for a service's single tariff
    (and for the basis tariff of a basis + service offer)."""
    head, mark, level = service_line.rpartition(LEVEL_MARK)
    return level.strip() if mark and head else ""


TariffKey = tuple[int, str]  # (service id, level)


class PlacementRepository:
    def __init__(self, session: Session, vault: Callable[[], CprVault]) -> None:
        self.session = session
        self._vault_of = vault
        self._vault: CprVault | None = None

    @property
    def vault(self) -> CprVault:
        """Built on first use, so a unit of work that never touches a CPR number needs no key."""
        if self._vault is None:
            self._vault = self._vault_of()
        return self._vault

    # --- CPR numbers ------------------------------------------------------------------------------------

    def seal(self, cpr: Cpr, placement_id: str) -> SealedCpr:
        return self.vault.seal(cpr, placement_id)

    def reveal(self, placement: StoredPlacement) -> Cpr:
        """The placement's CPR number, decrypted. Only for a party of the placement that asked (services)."""
        row = self.session.get(m.PlacementRow, placement.pk)
        assert row is not None
        return self.vault.open(row.cpr_key_id, row.cpr_ciphertext, row.placement_id)

    def _masked(self, key_id: str, ciphertext: str, placement_id: str) -> str:
        try:
            return self.vault.open(key_id, ciphertext, placement_id).masked
        except CprDecryptionError:
            return UNREADABLE_MASK

    def with_cpr(self, cpr: Cpr) -> list[StoredPlacement]:
        """Every placement of the citizen, found by the HMAC under each configured key (nothing decrypted)."""
        return self._load(select(m.PlacementRow).where(m.PlacementRow.cpr_lookup.in_(self.vault.lookups(cpr))))

    def reseal(self, limit: int = 1000) -> int:
        """Re-encrypt up to ``limit`` rows sealed with an older key under the current one; returns how many."""
        vault = self.vault
        rows = list(
            self.session.scalars(
                select(m.PlacementRow)
                .where(m.PlacementRow.cpr_key_id != vault.current_key_id)
                .order_by(m.PlacementRow.id)
                .limit(limit)
                .with_for_update()
            )
        )
        for row in rows:
            sealed = vault.seal(vault.open(row.cpr_key_id, row.cpr_ciphertext, row.placement_id), row.placement_id)
            row.cpr_key_id, row.cpr_ciphertext, row.cpr_lookup = sealed.key_id, sealed.ciphertext, sealed.lookup
        self.session.flush()
        return len(rows)

    # --- writing ----------------------------------------------------------------------------------------

    def add(self, row: m.PlacementRow) -> int:
        self.session.add(row)
        self.session.flush()
        return row.id

    def add_supplement(self, row: m.PlacementSupplementRow) -> int:
        self.session.add(row)
        self.session.flush()
        return row.id

    def id_taken(self, placement_id: str) -> bool:
        return (self.session.scalar(select(func.count()).where(m.PlacementRow.placement_id == placement_id)) or 0) > 0

    def row_for_update(self, placement_id: str) -> m.PlacementRow | None:
        """The row to change, locked until the transaction ends (PostgreSQL; SQLite holds its write lock)."""
        return self.session.scalar(
            select(m.PlacementRow).where(m.PlacementRow.placement_id == placement_id).with_for_update()
        )

    def supplement_row(self, placement_pk: int, supplement_id: int) -> m.PlacementSupplementRow | None:
        return self.session.scalar(
            select(m.PlacementSupplementRow).where(
                m.PlacementSupplementRow.id == supplement_id, m.PlacementSupplementRow.placement_pk == placement_pk
            )
        )

    # --- reading ----------------------------------------------------------------------------------------

    def get(self, placement_id: str) -> StoredPlacement | None:
        found = self._load(select(m.PlacementRow).where(m.PlacementRow.placement_id == placement_id))
        return found[0] if found else None

    def for_municipality(
        self, kommunekode: int, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[StoredPlacement], int]:
        """Placements where the municipality acts or pays, newest first, and how many there are in all."""
        where = or_(
            m.PlacementRow.acting_municipality == kommunekode, m.PlacementRow.paying_municipality == kommunekode
        )
        return self._page(where, status, limit, offset)

    def for_operator(
        self, operator_id: int, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[StoredPlacement], int]:
        """Placements in the operator's offers, newest first, and how many there are in all."""
        return self._page(m.PlacementRow.operator_id == operator_id, status, limit, offset)

    def _page(
        self, where: ColumnElement[bool], status: str | None, limit: int, offset: int
    ) -> tuple[list[StoredPlacement], int]:
        conditions = [where] if status is None else [where, m.PlacementRow.status == status]
        total = self.session.scalar(select(func.count()).select_from(m.PlacementRow).where(*conditions)) or 0
        query = (
            select(m.PlacementRow)
            .where(*conditions)
            .order_by(m.PlacementRow.start_date.desc(), m.PlacementRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return self._load(query), total

    def _load(self, query: Select[tuple[m.PlacementRow]]) -> list[StoredPlacement]:
        """Placements with their supplements, in two queries."""
        rows = list(self.session.scalars(query))
        if not rows:
            return []
        supplements: dict[int, list[StoredSupplement]] = defaultdict(list)
        for s in self.session.scalars(
            select(m.PlacementSupplementRow)
            .where(m.PlacementSupplementRow.placement_pk.in_([r.id for r in rows]))
            .order_by(m.PlacementSupplementRow.id)
        ):
            supplements[s.placement_pk].append(_supplement(s))
        return [self._stored(r, tuple(supplements.get(r.id, ()))) for r in rows]

    def _stored(self, row: m.PlacementRow, supplements: tuple[StoredSupplement, ...]) -> StoredPlacement:
        return StoredPlacement(
            pk=row.id,
            placement_id=row.placement_id,
            masked_cpr=self._masked(row.cpr_key_id, row.cpr_ciphertext, row.placement_id),
            offer_id=row.offer_id,
            service_id=row.service_id,
            operator_id=row.operator_id,
            level=row.level,
            acting_municipality=row.acting_municipality,
            paying_municipality=row.paying_municipality,
            contract=row.contract,
            offer_kind=row.offer_kind,
            start=row.start_date,
            respite_granted_days=_days(row.respite_granted_days),
            negotiated_tariff=row.negotiated_tariff,
            agreed_notice_months=row.agreed_notice_months,
            notice_given_on=row.notice_given_on,
            notice_final_date=row.notice_final_date,
            notice_kind=row.notice_kind,
            notice_operator_agrees=row.notice_operator_agrees,
            status=row.status,
            source=row.source,
            created_at=_utc(row.created_at),
            created_by=row.created_by,
            confirmed_at=_utc_or_none(row.confirmed_at),
            confirmed_by=row.confirmed_by,
            refused_at=_utc_or_none(row.refused_at),
            refused_by=row.refused_by,
            refusal_reason=row.refusal_reason,
            supplements=supplements,
        )

    # --- tariffs from the published appendix --------------------------------------------------------------

    def published_daily_tariffs(
        self, service_ids: Iterable[int] | None = None, operator_id: int | None = None
    ) -> dict[TariffKey, list[TariffRate]]:
        """The daily tariffs of the newest published appendix version of each year, per (service, level),
        as ``TariffRate`` effective 1 January of the budget year, oldest first (R-SET-03)."""
        newest = (
            select(
                m.TariffAppendixRow.region_code,
                m.TariffAppendixRow.year,
                func.max(m.TariffAppendixRow.version).label("version"),
            )
            .group_by(m.TariffAppendixRow.region_code, m.TariffAppendixRow.year)
            .subquery()
        )
        query = (
            select(
                m.TariffSubmissionRow.service_id,
                m.TariffAppendixRow.year,
                m.AppendixLine.service,
                m.AppendixLine.tariff,
            )
            .join(m.AppendixLine, m.AppendixLine.appendix_id == m.TariffAppendixRow.id)
            .join(
                newest,
                (newest.c.region_code == m.TariffAppendixRow.region_code)
                & (newest.c.year == m.TariffAppendixRow.year)
                & (newest.c.version == m.TariffAppendixRow.version),
            )
            .join(m.TariffSubmissionRow, m.TariffSubmissionRow.id == m.AppendixLine.submission_id)
            .where(m.AppendixLine.unit == DAILY_UNIT, m.AppendixLine.tariff.is_not(None))
            .order_by(m.TariffAppendixRow.year, m.AppendixLine.position)
        )
        if service_ids is not None:
            query = query.where(m.TariffSubmissionRow.service_id.in_(list(service_ids)))
        if operator_id is not None:
            query = query.where(m.TariffSubmissionRow.operator_id == operator_id)
        rates: dict[TariffKey, dict[int, TariffRate]] = defaultdict(dict)
        for service_id, year, line, tariff in self.session.execute(query):
            key = (service_id, level_of_line(line))
            rates[key].setdefault(year, TariffRate(date(year, 1, 1), tariff, f"{line}, takstbilag {year}"))
        return {key: [by_year[y] for y in sorted(by_year)] for key, by_year in rates.items()}

    # --- the billing run's read ---------------------------------------------------------------------------

    def billable(
        self,
        operator_id: int,
        first: date,
        last: date,
        fallback_rates: Mapping[int, tuple[TariffRate, ...]] | None = None,
    ) -> list[tuple[int, Placement]]:
        """Every confirmed placement of the operator's offers that can be billed for a day in [first, last],
        as ``(placements.id, domain Placement)``, ordered by placement id. Three queries in all.

        Returned: status confirmed, start date <= ``last``, and either no notice, a final date >= ``first``,
        or a notice given at most 400 days before ``first`` (its notice period may still pay days in the
        window, R-SET-05/07). So a placement may come back whose bill for the window is empty: the domain
        (``bill_month``) decides what is billed, never this query.

        Mapping: the ``Placement`` carries the placement id, offer kind, contract, acting and paying
        municipality (kommunekoder; paying None: in doubt, R-SET-01), start date, notice (provisional /
        operator agrees / acute closure from the notice kind), agreed notice months, respite's granted days
        (None when not respite, R-SET-09) and the supplements in the order they were added. Tariffs: the
        negotiated tariff alone, effective from the start date, when there is one; otherwise one
        ``TariffRate`` per budget year with a published daily tariff for the service and level (newest
        appendix version of the year), effective 1 January. ``drawing_right`` is False (objective financing
        decides it, R-OBJ-03). A placement without a negotiated or published tariff takes ``fallback_rates``
        (its citizen schedule's rates, § 13) when it has some; one without any tariff cannot be a domain
        ``Placement`` and is left out.
        """
        window = (
            (m.PlacementRow.operator_id == operator_id)
            & (m.PlacementRow.status == CONFIRMED)
            & (m.PlacementRow.start_date <= last)
            & (
                m.PlacementRow.notice_final_date.is_(None)
                | (m.PlacementRow.notice_final_date >= first)
                | (m.PlacementRow.notice_given_on >= first - NOTICE_REACH)
            )
        )
        p = m.PlacementRow
        # Core, and the driver's own rows (no ORM loading, no per-value result processing: ``_day``, ``_ore``,
        # ``_flag``, ``_json`` read what psycopg or sqlite3 hand over): 100,000 placements in about a second.
        found = self.session.connection().execute(
            select(
                p.id,
                p.placement_id,
                p.service_id,
                p.level,
                p.offer_kind,
                p.contract,
                p.acting_municipality,
                p.paying_municipality,
                _raw(p.start_date),
                _raw(p.negotiated_tariff),
                p.agreed_notice_months,
                _raw(p.notice_given_on),
                _raw(p.notice_final_date),
                p.notice_kind,
                _raw(p.notice_operator_agrees),
                _raw(p.respite_granted_days),
            )
            .where(window)
            .order_by(p.placement_id)
        )
        rows = found.cursor.fetchall() if found.cursor is not None else []
        found.close()
        if not rows:
            return []
        supplements: dict[int, list[Supplement]] = defaultdict(list)
        for s in self.session.scalars(
            select(m.PlacementSupplementRow)
            .where(m.PlacementSupplementRow.placement_pk.in_(select(p.id).where(window)))
            .order_by(m.PlacementSupplementRow.id)
        ):
            supplements[s.placement_pk].append(_supplement(s).to_domain())
        published = {key: tuple(rates) for key, rates in self.published_daily_tariffs(operator_id=operator_id).items()}
        result: list[tuple[int, Placement]] = []
        append = result.append
        for (
            pk,
            placement_id,
            service_id,
            level,
            offer_kind,
            contract,
            acting,
            paying,
            start_raw,
            negotiated_raw,
            agreed_months,
            given_raw,
            final_raw,
            notice_kind,
            agrees,
            respite,
        ) in rows:
            start = _day(start_raw)
            if negotiated_raw is not None:
                rates: tuple[TariffRate, ...] = (TariffRate(start, _ore(negotiated_raw), NEGOTIATED_LABEL),)
            else:
                rates = published.get((service_id, level), ())
            if not rates and fallback_rates:
                rates = fallback_rates.get(pk, ())  # a citizen schedule as its only tariff (§ 13)
            if not rates:
                continue
            notice = None
            if given_raw is not None and final_raw is not None:
                notice = _notice(_day(given_raw), _day(final_raw), notice_kind, bool(agrees))
            placement = Placement(
                placement_id,
                OFFER_KINDS[offer_kind],
                CONTRACTS[contract],
                acting,
                paying,
                start,
                rates,
                notice,
                tuple(supplements[pk]) if pk in supplements else (),
                None if respite is None else _days(_json(respite)),
                (),
                False,
                agreed_months,
            )
            append((pk, placement))
        return result


def tariff_rates(
    published: dict[TariffKey, list[TariffRate]],
    service_id: int,
    level: str,
    start: date,
    negotiated: Decimal | None,
) -> tuple[TariffRate, ...]:
    """The placement's tariffs: the negotiated one from the start date, else the published ones (R-SET-03)."""
    if negotiated is not None:
        return (TariffRate(start, negotiated, NEGOTIATED_LABEL),)
    return tuple(published.get((service_id, level), ()))


def published_levels(published: Mapping[TariffKey, Sequence[TariffRate]], service_id: int) -> set[str]:
    return {level for sid, level in published if sid == service_id}
