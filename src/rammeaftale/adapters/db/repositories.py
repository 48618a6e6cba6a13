"""Every query lives here. Rows are mapped to domain values before they leave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rammeaftale.adapters.db import models as m
from rammeaftale.domain.registry import Offer, OfferStatus, OfferVersion, Organisation, Service


def _organisation(row: m.Organisation) -> Organisation:
    return Organisation(
        row.id,
        row.kind,
        row.name,
        row.kommunekode,
        row.ean,
        row.region_code,
        row.cvr,
        row.street,
        row.postal_code,
        row.city,
    )


def _offer_version(row: m.OfferVersion) -> OfferVersion:
    return OfferVersion(
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        name=row.name,
        legal_basis=row.legal_basis,
        target_groups=tuple(t for t in row.target_groups.split(";") if t),
        kind=row.kind,
        category=row.category,
        agreed_places=row.agreed_places,
        physical_places=row.physical_places,
        status=OfferStatus(row.status),
        opening_date=row.opening_date,
        closing_date=row.closing_date,
        enhanced_collaboration=row.enhanced_collaboration,
        address=row.address,
        reason=row.reason,
    )


class OrganisationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, organisation_id: int) -> Organisation | None:
        row = self.session.get(m.Organisation, organisation_id)
        return _organisation(row) if row else None

    def by_kommunekode(self, code: int) -> Organisation | None:
        row = self.session.scalar(select(m.Organisation).where(m.Organisation.kommunekode == code))
        return _organisation(row) if row else None

    def region(self, region_code: int) -> Organisation | None:
        row = self.session.scalar(
            select(m.Organisation).where(m.Organisation.kind == "region", m.Organisation.region_code == region_code)
        )
        return _organisation(row) if row else None

    def regions(self) -> list[Organisation]:
        rows = self.session.scalars(select(m.Organisation).where(m.Organisation.kind == "region").order_by("name"))
        return [_organisation(r) for r in rows]

    def in_region(self, region_code: int) -> list[Organisation]:
        rows = self.session.scalars(
            select(m.Organisation).where(m.Organisation.region_code == region_code).order_by(m.Organisation.name)
        )
        return [_organisation(r) for r in rows]

    def add(
        self,
        kind: str,
        name: str,
        region_code: int,
        kommunekode: int | None,
        ean: str | None,
        *,
        cvr: str | None = None,
        address: tuple[str, str, str] = ("", "", ""),  # street, postal code, city
    ) -> int:
        street, postal_code, city = address
        row = m.Organisation(
            kind=kind,
            name=name,
            region_code=region_code,
            kommunekode=kommunekode,
            ean=ean,
            cvr=cvr,
            street=street,
            postal_code=postal_code,
            city=city,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def add_period(
        self, region_code: int, agreement_name: str, first_year: int, last_year: int, ruleset_id: str
    ) -> None:
        self.session.add(
            m.AgreementPeriod(
                region_code=region_code,
                agreement_name=agreement_name,
                first_year=first_year,
                last_year=last_year,
                ruleset_id=ruleset_id,
            )
        )

    def period_ruleset(self, region_code: int, year: int) -> str | None:
        return self.session.scalar(
            select(m.AgreementPeriod.ruleset_id).where(
                m.AgreementPeriod.region_code == region_code,
                m.AgreementPeriod.first_year <= year,
                m.AgreementPeriod.last_year >= year,
            )
        )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_username(self, username: str) -> m.User | None:
        return self.session.scalar(select(m.User).where(m.User.username == username))

    def get(self, user_id: int) -> m.User | None:
        return self.session.get(m.User, user_id)

    def add(self, username: str, display_name: str, password_hash: str, role: str, organisation_id: int) -> int:
        row = m.User(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            organisation_id=organisation_id,
            active=True,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def all(self) -> list[m.User]:
        return list(self.session.scalars(select(m.User).order_by(m.User.username)))


class OfferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, code: str, operator_id: int, version: OfferVersion, now: datetime) -> int:
        offer = m.Offer(code=code, operator_id=operator_id, created_at=now)
        self.session.add(offer)
        self.session.flush()
        self.add_version(offer.id, version, now)
        return offer.id

    def add_version(self, offer_id: int, v: OfferVersion, now: datetime) -> None:
        """Close the version in force (valid_to = new valid_from) and add the new one."""
        current = self._current_row(offer_id)
        if current is not None:
            current.valid_to = v.valid_from
        self.session.add(
            m.OfferVersion(
                offer_id=offer_id,
                valid_from=v.valid_from,
                valid_to=None,
                name=v.name,
                legal_basis=v.legal_basis,
                target_groups=";".join(v.target_groups),
                kind=v.kind,
                category=v.category,
                agreed_places=v.agreed_places,
                physical_places=v.physical_places,
                status=v.status.value,
                opening_date=v.opening_date,
                closing_date=v.closing_date,
                enhanced_collaboration=v.enhanced_collaboration,
                address=v.address,
                recorded_at=now,
                reason=v.reason,
            )
        )
        self.session.flush()

    def add_service(
        self, offer_id: int, name: str, tariff_type: str, description: str, valid_from: date, now: datetime
    ) -> int:
        service = m.Service(offer_id=offer_id)
        self.session.add(service)
        self.session.flush()
        self.session.add(
            m.ServiceVersion(
                service_id=service.id,
                valid_from=valid_from,
                valid_to=None,
                name=name,
                tariff_type=tariff_type,
                description=description,
                recorded_at=now,
            )
        )
        self.session.flush()
        return service.id

    def _current_row(self, offer_id: int) -> m.OfferVersion | None:
        return self.session.scalar(
            select(m.OfferVersion).where(m.OfferVersion.offer_id == offer_id, m.OfferVersion.valid_to.is_(None))
        )

    def code_exists(self, code: str) -> bool:
        return self.session.scalar(select(func.count()).where(m.Offer.code == code)) == 1

    def lock(self, offer_id: int) -> None:
        """Serialise changes of one offer until the transaction ends (a second writer waits, then reads the first's).

        PostgreSQL: ``SELECT … FOR UPDATE`` on the offer's row. SQLite: the write use case already holds the
        database's write lock (``BEGIN IMMEDIATE``, see ``engine.py``); the statement is harmless there.
        """
        self.session.execute(select(m.Offer.id).where(m.Offer.id == offer_id).with_for_update())

    def get(self, offer_id: int) -> Offer | None:
        found = self._load(select(m.Offer).where(m.Offer.id == offer_id))
        return found[0] if found else None

    def by_code(self, code: str) -> Offer | None:
        found = self._load(select(m.Offer).where(m.Offer.code == code))
        return found[0] if found else None

    def in_region(self, region_code: int) -> list[Offer]:
        return self._load(
            select(m.Offer)
            .join(m.Organisation, m.Organisation.id == m.Offer.operator_id)
            .where(m.Organisation.region_code == region_code)
        )

    def all(self) -> list[Offer]:
        return self._load(select(m.Offer))

    def versions(self, offer_id: int) -> tuple[OfferVersion, ...]:
        rows = self.session.scalars(
            select(m.OfferVersion).where(m.OfferVersion.offer_id == offer_id).order_by(m.OfferVersion.valid_from)
        )
        return tuple(_offer_version(r) for r in rows)

    def service(self, service_id: int) -> Service | None:
        row = self.session.scalar(
            select(m.ServiceVersion).where(
                m.ServiceVersion.service_id == service_id, m.ServiceVersion.valid_to.is_(None)
            )
        )
        if row is None:
            return None
        offer_id = self.session.scalar(select(m.Service.offer_id).where(m.Service.id == service_id))
        assert offer_id is not None
        return Service(service_id, offer_id, row.name, row.tariff_type, row.description)

    def _load(self, query: Any) -> list[Offer]:
        """Offers with operator, current version and current services, in three queries."""
        offers = list(self.session.scalars(query))
        if not offers:
            return []
        ids = [o.id for o in offers]
        versions = {
            v.offer_id: v
            for v in self.session.scalars(
                select(m.OfferVersion).where(m.OfferVersion.offer_id.in_(ids), m.OfferVersion.valid_to.is_(None))
            )
        }
        services: dict[int, list[Service]] = {}
        for service, version in self.session.execute(
            select(m.Service, m.ServiceVersion)
            .join(m.ServiceVersion, m.ServiceVersion.service_id == m.Service.id)
            .where(m.Service.offer_id.in_(ids), m.ServiceVersion.valid_to.is_(None))
            .order_by(m.Service.id)
        ):
            services.setdefault(service.offer_id, []).append(
                Service(service.id, service.offer_id, version.name, version.tariff_type, version.description)
            )
        operator_ids = {o.operator_id for o in offers}
        operators = {
            r.id: _organisation(r)
            for r in self.session.scalars(select(m.Organisation).where(m.Organisation.id.in_(operator_ids)))
        }
        result = [
            Offer(o.id, o.code, operators[o.operator_id], _offer_version(versions[o.id]), tuple(services.get(o.id, [])))
            for o in offers
        ]
        return sorted(result, key=lambda o: (o.operator.name, o.current.name))


class SubmissionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: m.TariffSubmissionRow) -> m.TariffSubmissionRow:
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, submission_id: int) -> m.TariffSubmissionRow | None:
        return self.session.get(m.TariffSubmissionRow, submission_id)

    def get_for_update(self, submission_id: int) -> m.TariffSubmissionRow | None:
        return self.session.scalar(
            select(m.TariffSubmissionRow).where(m.TariffSubmissionRow.id == submission_id).with_for_update()
        )

    def next_version(self, service_id: int, year: int) -> int:
        current = self.session.scalar(
            select(func.max(m.TariffSubmissionRow.version)).where(
                m.TariffSubmissionRow.service_id == service_id, m.TariffSubmissionRow.budget_year == year
            )
        )
        return (current or 0) + 1

    def latest(self, service_id: int, year: int, statuses: Sequence[str] | None = None) -> m.TariffSubmissionRow | None:
        query = select(m.TariffSubmissionRow).where(
            m.TariffSubmissionRow.service_id == service_id, m.TariffSubmissionRow.budget_year == year
        )
        if statuses:
            query = query.where(m.TariffSubmissionRow.status.in_(statuses))
        return self.session.scalar(query.order_by(m.TariffSubmissionRow.version.desc()).limit(1))

    def for_year(self, operator_ids: Sequence[int], year: int) -> list[m.TariffSubmissionRow]:
        return list(
            self.session.scalars(
                select(m.TariffSubmissionRow)
                .where(m.TariffSubmissionRow.operator_id.in_(operator_ids), m.TariffSubmissionRow.budget_year == year)
                .order_by(m.TariffSubmissionRow.service_id, m.TariffSubmissionRow.version)
            )
        )

    def for_offer(self, offer_id: int) -> list[m.TariffSubmissionRow]:
        return list(
            self.session.scalars(
                select(m.TariffSubmissionRow)
                .where(m.TariffSubmissionRow.offer_id == offer_id)
                .order_by(m.TariffSubmissionRow.budget_year.desc(), m.TariffSubmissionRow.version.desc())
            )
        )


class AppendixRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def latest(self, region_code: int, year: int) -> m.TariffAppendixRow | None:
        return self.session.scalar(
            select(m.TariffAppendixRow)
            .where(m.TariffAppendixRow.region_code == region_code, m.TariffAppendixRow.year == year)
            .order_by(m.TariffAppendixRow.version.desc())
            .limit(1)
        )

    def get(self, region_code: int, year: int, version: int) -> m.TariffAppendixRow | None:
        return self.session.scalar(
            select(m.TariffAppendixRow).where(
                m.TariffAppendixRow.region_code == region_code,
                m.TariffAppendixRow.year == year,
                m.TariffAppendixRow.version == version,
            )
        )

    def versions(self, region_code: int, year: int) -> list[m.TariffAppendixRow]:
        return list(
            self.session.scalars(
                select(m.TariffAppendixRow)
                .where(m.TariffAppendixRow.region_code == region_code, m.TariffAppendixRow.year == year)
                .order_by(m.TariffAppendixRow.version)
            )
        )

    def published(self) -> list[m.TariffAppendixRow]:
        return list(
            self.session.scalars(
                select(m.TariffAppendixRow).order_by(
                    m.TariffAppendixRow.region_code, m.TariffAppendixRow.year.desc(), m.TariffAppendixRow.version.desc()
                )
            )
        )

    def add(self, appendix: m.TariffAppendixRow, lines: list[m.AppendixLine]) -> m.TariffAppendixRow:
        self.session.add(appendix)
        self.session.flush()
        for line in lines:
            line.appendix_id = appendix.id
        self.session.add_all(lines)
        self.session.flush()
        return appendix

    def lines(self, appendix_id: int) -> list[m.AppendixLine]:
        return list(
            self.session.scalars(
                select(m.AppendixLine)
                .where(m.AppendixLine.appendix_id == appendix_id)
                .order_by(m.AppendixLine.position)
            )
        )

    def offer_history(self, offer_id: int) -> list[tuple[int, m.AppendixLine]]:
        """(year, line) of the newest published version of each year's appendix for an offer."""
        newest = (
            select(
                m.TariffAppendixRow.region_code,
                m.TariffAppendixRow.year,
                func.max(m.TariffAppendixRow.version).label("v"),
            )
            .group_by(m.TariffAppendixRow.region_code, m.TariffAppendixRow.year)
            .subquery()
        )
        rows = self.session.execute(
            select(m.TariffAppendixRow.year, m.AppendixLine)
            .join(m.AppendixLine, m.AppendixLine.appendix_id == m.TariffAppendixRow.id)
            .join(
                newest,
                (newest.c.region_code == m.TariffAppendixRow.region_code)
                & (newest.c.year == m.TariffAppendixRow.year)
                & (newest.c.v == m.TariffAppendixRow.version),
            )
            .where(m.AppendixLine.offer_id == offer_id)
            .order_by(m.TariffAppendixRow.year, m.AppendixLine.position)
        )
        return [(year, line) for year, line in rows]

    def lock_publication(self, region_code: int, year: int) -> None:
        """Serialise publishing of one region and year until the transaction ends.

        PostgreSQL: a transaction-scoped advisory lock, so a second publisher waits and then reads the
        version the first one published. SQLite: nothing to do; a write use case already holds the
        database's write lock from its first statement (``BEGIN IMMEDIATE``, see ``engine.py``).
        """
        if self.session.get_bind().dialect.name == "postgresql":
            key = f"tariff_appendix:{region_code}:{year}"
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: m.AuditEntry) -> None:
        self.session.add(entry)

    def for_entity(self, entity: str, entity_id: str) -> list[m.AuditEntry]:
        return list(
            self.session.scalars(
                select(m.AuditEntry)
                .where(m.AuditEntry.entity == entity, m.AuditEntry.entity_id == entity_id)
                .order_by(m.AuditEntry.id)
            )
        )

    def recent(self, limit: int = 50) -> list[m.AuditEntry]:
        return list(self.session.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit)))

    def add_read(self, read: m.PersonalDataRead) -> None:
        """Log a read of citizen data (append-only, like the audit trail)."""
        self.session.add(read)
        self.session.flush()

    def reads_of(self, subject_ref: str) -> list[m.PersonalDataRead]:
        """Who read this citizen's or placement's data, oldest first (the citizen's right of access)."""
        return list(
            self.session.scalars(
                select(m.PersonalDataRead)
                .where(m.PersonalDataRead.subject_ref == subject_ref)
                .order_by(m.PersonalDataRead.id)
            )
        )


# --- accounts and sessions (issue 3) ------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class StoredSession:
    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None
    end_reason: str
    user_agent: str
    awaiting_second_factor: bool = False
    second_factor_failures: int = 0


def _stored_session(row: m.UserSession) -> StoredSession:
    return StoredSession(
        row.id,
        row.user_id,
        _utc(row.created_at),
        _utc(row.last_seen_at),
        _utc(row.revoked_at) if row.revoked_at is not None else None,
        row.end_reason,
        row.user_agent,
        bool(row.awaiting_second_factor),
        int(row.second_factor_failures or 0),
    )


class UserSessionRepository:
    """Server-side sessions, found by the SHA-256 of the id in the cookie (the id itself is never stored)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, token_hash: str, user_id: int, now: datetime, user_agent: str = "", awaiting_second_factor: bool = False
    ) -> int:
        row = m.UserSession(
            token_hash=token_hash,
            user_id=user_id,
            created_at=_utc(now),
            last_seen_at=_utc(now),
            revoked_at=None,
            end_reason="",
            user_agent=user_agent[:200],
            awaiting_second_factor=awaiting_second_factor,
            second_factor_failures=0,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def by_token_hash(self, token_hash: str) -> StoredSession | None:
        row = self.session.scalar(select(m.UserSession).where(m.UserSession.token_hash == token_hash))
        return _stored_session(row) if row else None

    def for_user(self, user_id: int) -> list[StoredSession]:
        rows = self.session.scalars(
            select(m.UserSession).where(m.UserSession.user_id == user_id).order_by(m.UserSession.id)
        )
        return [_stored_session(r) for r in rows]

    def open_for_user(self, user_id: int) -> list[StoredSession]:
        """The user's sessions that have not ended (some may have expired unnoticed), oldest first."""
        rows = self.session.scalars(
            select(m.UserSession)
            .where(m.UserSession.user_id == user_id, m.UserSession.revoked_at.is_(None))
            .order_by(m.UserSession.id)
        )
        return [_stored_session(r) for r in rows]

    def count_second_factor_failure(self, session_id: int) -> int:
        """One more wrong second-factor code for a waiting session; returns the new count."""
        row = self.session.get(m.UserSession, session_id)
        if row is None:
            return 0
        row.second_factor_failures = int(row.second_factor_failures or 0) + 1
        self.session.flush()
        return row.second_factor_failures

    def touch(self, session_id: int, now: datetime) -> None:
        self.session.execute(
            update(m.UserSession)
            .where(m.UserSession.id == session_id, m.UserSession.revoked_at.is_(None))
            .values(last_seen_at=_utc(now))
        )

    def revoke(self, session_id: int, now: datetime, reason: str) -> None:
        self.session.execute(
            update(m.UserSession)
            .where(m.UserSession.id == session_id, m.UserSession.revoked_at.is_(None))
            .values(revoked_at=_utc(now), end_reason=reason[:20])
        )

    def revoke_all_for_user(self, user_id: int, now: datetime, reason: str) -> int:
        """End every open session of a user; returns how many were open."""
        result = self.session.execute(
            update(m.UserSession)
            .where(m.UserSession.user_id == user_id, m.UserSession.revoked_at.is_(None))
            .values(revoked_at=_utc(now), end_reason=reason[:20])
        )
        return int(getattr(result, "rowcount", 0) or 0)


class LoginAttemptRepository:
    """Password checks by username and client address, for throttling across processes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, username: str, ip: str, at: datetime, success: bool) -> None:
        self.session.add(m.LoginAttempt(username=username[:100], ip=ip[:64], at=_utc(at), success=success))
        self.session.flush()

    def failures_for_username(self, username: str, since: datetime, limit: int) -> list[datetime]:
        """The newest failures for a username after ``since`` and after its last successful login."""
        last_success = self.session.scalar(
            select(func.max(m.LoginAttempt.at)).where(
                m.LoginAttempt.username == username, m.LoginAttempt.success.is_(True), m.LoginAttempt.at > _utc(since)
            )
        )
        query = select(m.LoginAttempt.at).where(
            m.LoginAttempt.username == username, m.LoginAttempt.success.is_(False), m.LoginAttempt.at > _utc(since)
        )
        if last_success is not None:
            query = query.where(m.LoginAttempt.at > last_success)
        return self._newest(query, limit)

    def failures_for_ip(self, ip: str, since: datetime, limit: int) -> list[datetime]:
        """The newest failures from a client address after ``since``."""
        query = select(m.LoginAttempt.at).where(
            m.LoginAttempt.ip == ip, m.LoginAttempt.success.is_(False), m.LoginAttempt.at > _utc(since)
        )
        return self._newest(query, limit)

    def _newest(self, query: Any, limit: int) -> list[datetime]:
        rows = self.session.scalars(query.order_by(m.LoginAttempt.at.desc()).limit(limit))
        return [_utc(at) for at in rows]
