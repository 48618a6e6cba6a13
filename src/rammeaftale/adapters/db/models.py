"""SQLAlchemy 2 tables. Rows never enter the domain: repositories map them to plain values.

History is effective-dated (offer_versions, service_versions): a change closes the current version
(valid_to) and adds a new one; nothing is overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

AMOUNT = Numeric(16, 2)
QUANTITY = Numeric(12, 2)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # municipality | region
    name: Mapped[str] = mapped_column(String(200))
    kommunekode: Mapped[int | None] = mapped_column(Integer, unique=True)
    ean: Mapped[str | None] = mapped_column(String(13))
    region_code: Mapped[int] = mapped_column(Integer, index=True)


class AgreementPeriod(Base):
    __tablename__ = "agreement_periods"
    __table_args__ = (UniqueConstraint("region_code", "first_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[int] = mapped_column(Integer, index=True)
    agreement_name: Mapped[str] = mapped_column(String(200))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    ruleset_id: Mapped[str] = mapped_column(String(100))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # secretariat | operator | buyer
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Second factor (TOTP, RFC 6238): the confirmed secret, one being set up, and the last time step
    # accepted, so a code is never accepted twice (services/second_factor.py).
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # An initial password (services/users.py) works only until it expires and must be changed at once.
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class Offer(Base):
    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfferVersion(Base):
    __tablename__ = "offer_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(60))
    target_groups: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[int] = mapped_column(Integer)
    agreed_places: Mapped[Decimal] = mapped_column(QUANTITY)
    physical_places: Mapped[Decimal] = mapped_column(QUANTITY)
    status: Mapped[str] = mapped_column(String(20))  # planned | active | closing | closed
    opening_date: Mapped[date | None] = mapped_column(Date)
    closing_date: Mapped[date | None] = mapped_column(Date)
    enhanced_collaboration: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")


class Service(Base):
    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)


class ServiceVersion(Base):
    __tablename__ = "service_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    tariff_type: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TariffSubmissionRow(Base):
    """One version of an operator's submission for a service and budget year.

    Content is immutable once submitted; a correction of an approved version is a new row with
    ``supersedes_id`` and a reason.
    """

    __tablename__ = "tariff_submissions"
    __table_args__ = (UniqueConstraint("service_id", "budget_year", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft | submitted | returned | approved | published | superseded
    source: Mapped[str] = mapped_column(String(20))  # xlsx | json | form | demo
    ruleset_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    daily_tariff: Mapped[Decimal | None] = mapped_column(AMOUNT)
    cost_base: Mapped[Decimal] = mapped_column(AMOUNT)
    remarks: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_submissions.id"))
    correction_reason: Mapped[str] = mapped_column(Text, default="")


class TariffAppendixRow(Base):
    __tablename__ = "tariff_appendices"
    __table_args__ = (UniqueConstraint("region_code", "year", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[int] = mapped_column(Integer, index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    missing_operators: Mapped[list[Any]] = mapped_column(JSON)
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)


class AppendixLine(Base):
    __tablename__ = "appendix_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    appendix_id: Mapped[int] = mapped_column(ForeignKey("tariff_appendices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[int] = mapped_column(ForeignKey("tariff_submissions.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    operator: Mapped[str] = mapped_column(String(200))
    offer: Mapped[str] = mapped_column(String(200))
    offer_code: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(60))
    target_group: Mapped[str] = mapped_column(String(400))
    service: Mapped[str] = mapped_column(String(300))
    places: Mapped[Decimal] = mapped_column(QUANTITY)
    occupancy_pct: Mapped[Decimal] = mapped_column(QUANTITY)
    tariff: Mapped[Decimal | None] = mapped_column(AMOUNT)
    unit: Mapped[str] = mapped_column(String(20))
    annual_tariff_per_place: Mapped[Decimal | None] = mapped_column(AMOUNT)
    direct_support_hours_per_week: Mapped[Decimal | None] = mapped_column(QUANTITY)
    change_pct: Mapped[Decimal | None] = mapped_column(QUANTITY)


class AuditEntry(Base):
    """Append-only: one row per change (who, when in UTC, what)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class UserSession(Base):
    """A server-side login session. The cookie holds a random 256-bit id; only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str] = mapped_column(String(20), default="")  # logout | idle | absolute | disabled | …
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # A password was right but the second factor is still to come: such a session is nobody's yet.
    awaiting_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    second_factor_failures: Mapped[int] = mapped_column(Integer, default=0)


class LoginAttempt(Base):
    """One password check (web login or HTTP Basic); failures within a window throttle further attempts."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)  # as typed, trimmed and lower-cased
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class PersonalDataRead(Base):
    """Append-only: one row per read of citizen data (who, organisation, when in UTC, whom, why).

    ``subject_ref`` is the pseudonymous placement or citizen reference, never a CPR number. The
    database refuses UPDATE and DELETE (migration 0002), like ``audit_log``.
    """

    __tablename__ = "personal_data_reads"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    subject_ref: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
