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
    ForeignKeyConstraint,
    Index,
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
    # migration 0010: for the documents' parties (R-SET-13); cvr None and empty address where not known
    cvr: Mapped[str | None] = mapped_column(String(8))
    street: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")


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


# --- accounts, regulations and the reserve ledger (issue 4, handbook § 7; migration 0005) ---------------


class AccountsSubmissionRow(Base):
    """One version of an offer's (or one target group's, R-ACC-01) accounts for a year.

    Append-only (the database refuses UPDATE and DELETE): a stored row is always submitted; a correction
    is a new row with ``supersedes_id`` and a reason, so the current version is the one nobody supersedes.
    ``cost_base_source`` is "tariff" (the approved or published tariff submissions of that offer and year,
    listed in ``cost_base_submissions``) or "stated" (the figure in the accounts).
    """

    __tablename__ = "accounts_submissions"
    __table_args__ = (UniqueConstraint("offer_id", "accounts_year", "target_group", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    accounts_year: Mapped[int] = mapped_column(Integer, index=True)
    target_group: Mapped[str] = mapped_column(String(400), default="")  # "" for accounts per offer
    version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # offer | target_group
    ruleset_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # xlsx | json | form | demo
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # accounts_submission_to_data
    findings: Mapped[list[Any]] = mapped_column(JSON)
    new_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    costs_total: Mapped[Decimal] = mapped_column(AMOUNT)
    income_total: Mapped[Decimal] = mapped_column(AMOUNT)
    cost_base: Mapped[Decimal] = mapped_column(AMOUNT)
    cost_base_source: Mapped[str] = mapped_column(String(10))  # tariff | stated
    cost_base_submissions: Mapped[list[Any]] = mapped_column(JSON)  # tariff submission ids
    result: Mapped[Decimal] = mapped_column(AMOUNT)
    percent: Mapped[Decimal] = mapped_column(Numeric(22, 2))
    kind: Mapped[str] = mapped_column(String(10))  # surplus | deficit
    limit_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    within_limit: Mapped[Decimal] = mapped_column(AMOUNT)
    excess: Mapped[Decimal] = mapped_column(AMOUNT)
    tariff_effect: Mapped[Decimal] = mapped_column(AMOUNT)
    due_year: Mapped[int] = mapped_column(Integer)
    spread: Mapped[bool] = mapped_column(Boolean, default=False)
    reserved: Mapped[Decimal] = mapped_column(AMOUNT)  # the reserve this version leaves in the ledger
    early_repayment: Mapped[Decimal] = mapped_column(AMOUNT)
    rule_ids: Mapped[list[Any]] = mapped_column(JSON)
    remarks: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_submissions.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(Text, default="")


class ReserveLedgerEntryRow(Base):
    """One append-only line of an operator's reserve ledger (the database refuses UPDATE and DELETE)."""

    __tablename__ = "reserve_ledger_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # created | used | expired | transferred | repaid
    amount: Mapped[Decimal] = mapped_column(AMOUNT)  # signed: + created / transferred in, − the others
    origin_year: Mapped[int] = mapped_column(Integer)
    expiry_year: Mapped[int] = mapped_column(Integer)
    booked_year: Mapped[int] = mapped_column(Integer)
    other_offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    accounts_submission_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_submissions.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AccountsRegulationRow(Base):
    """What accounts put into a budget year's tariff (``kind`` "tariff", signed as the regulation line,
    R-TAR-08) or repay to one buyer early (``kind`` "repayment", R-SUR-07; ``budget_year`` is the year paid).

    Append-only. It counts while its accounts submission is the current version (a correction's rows
    replace the earlier ones); a row from an expired reserve (R-SUR-02) has ``ledger_entry_id`` instead.
    """

    __tablename__ = "accounts_regulations"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # tariff | repayment
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    interest: Mapped[Decimal] = mapped_column(AMOUNT)  # R-SUR-06, on top of amount
    origin_year: Mapped[int] = mapped_column(Integer)  # the accounts year (or the reserve's year of origin)
    accounts_submission_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_submissions.id"), index=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("reserve_ledger_entries.id"))
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    purchases: Mapped[Decimal | None] = mapped_column(AMOUNT)
    rule_ids: Mapped[list[Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- placements and their supplements (issue 5, handbook § 9; migration 0006) -----------------------------


class PlacementRow(Base):
    """One citizen's stay in an offer (indskrivning), named everywhere by its pseudonymous ``placement_id``.

    The CPR number is stored only encrypted (``cpr_ciphertext``, AES-256-GCM, with the id of the key that
    encrypted it) and as a keyed HMAC (``cpr_lookup``) to find a citizen's placements without decrypting
    (``adapters/cpr_vault.py``). Municipalities are kommunekoder; ``paying_municipality`` None: in doubt
    (R-SET-01). ``respite_granted_days``: ISO dates, None when the placement is not respite (R-SET-09).
    Never deleted (the database refuses DELETE); every change is in the audit trail with before/after.
    """

    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_operator_status_start", "operator_id", "status", "start_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[str] = mapped_column(String(16), unique=True)
    cpr_key_id: Mapped[str] = mapped_column(String(16))
    cpr_ciphertext: Mapped[str] = mapped_column(String(96))
    cpr_lookup: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    level: Mapped[str] = mapped_column(String(40), default="")
    acting_municipality: Mapped[int] = mapped_column(Integer, index=True)
    paying_municipality: Mapped[int | None] = mapped_column(Integer, index=True)
    contract: Mapped[str] = mapped_column(String(20))  # standard | older (domain.settlement.Contract)
    offer_kind: Mapped[str] = mapped_column(String(20))  # domain.settlement.OfferKind
    start_date: Mapped[date] = mapped_column(Date)
    respite_granted_days: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    negotiated_tariff: Mapped[Decimal | None] = mapped_column(AMOUNT, default=None)
    agreed_notice_months: Mapped[int | None] = mapped_column(Integer, default=None)
    notice_given_on: Mapped[date | None] = mapped_column(Date, default=None)
    notice_final_date: Mapped[date | None] = mapped_column(Date, default=None)
    notice_kind: Mapped[str] = mapped_column(String(20), default="")  # "" | final | provisional | acute_closure
    notice_operator_agrees: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), index=True)  # registered | confirmed | refused
    source: Mapped[str] = mapped_column(String(10))  # api | csv | xlsx | demo
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    refused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    refused_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")


class PlacementSupplementRow(Base):
    """A supplementary service of a placement (§ 8), as the domain's supplement types: ``ata`` (hours per day
    at the ATA rate with its time-of-day coefficient, R-SUP-02), ``daily`` (an amount per day, also negative)
    or ``unit`` (a fixed price per unit for the ``deliveries``: [{"day", "quantity"}]). Never deleted."""

    __tablename__ = "placement_supplements"
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_pk: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # ata | daily | unit
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    hours_per_day: Mapped[Decimal | None] = mapped_column(QUANTITY, default=None)
    staff_category: Mapped[str] = mapped_column(String(100), default="")
    hourly_cost: Mapped[Decimal | None] = mapped_column(AMOUNT, default=None)
    absence_pct: Mapped[Decimal | None] = mapped_column(QUANTITY, default=None)
    time_of_day: Mapped[str] = mapped_column(String(60), default="")
    time_coefficient_pct: Mapped[Decimal | None] = mapped_column(QUANTITY, default=None)
    variable_costs_pct: Mapped[Decimal | None] = mapped_column(QUANTITY, default=None)
    hourly_rate: Mapped[Decimal | None] = mapped_column(AMOUNT, default=None)
    daily_amount: Mapped[Decimal | None] = mapped_column(AMOUNT, default=None)
    unit_price: Mapped[Decimal | None] = mapped_column(AMOUNT, default=None)
    deliveries: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- billing: monthly runs, invoices and credit notes, disputes (issue 5, handbook § 9; migration 0007) ---


class BillingRunRow(Base):
    """One monthly run of an operator (append-only): when, by whom, and what it issued."""

    __tablename__ = "billing_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    placements: Mapped[int] = mapped_column(Integer)
    invoices_issued: Mapped[int] = mapped_column(Integer)
    credit_notes_issued: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    lines_written: Mapped[int] = mapped_column(Integer)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(20), default="month", server_default="month")  # migration 0009


class InvoiceNumberRow(Base):
    """The next invoice number per operator: taken in the run's transaction, so numbers have no gaps."""

    __tablename__ = "invoice_numbers"
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    """An issued invoice or credit note to one payer for one month (R-SET-01). Immutable (R-SET-02): the
    database refuses UPDATE and DELETE; a credit note references the invoice it cancels (``credits_id``)."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("operator_id", "sequence"),
        UniqueConstraint("credits_id"),
        Index("uq_invoices_installment", "financing_id", "installment", "payer_kommunekode", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id"), index=True)
    payer_kommunekode: Mapped[int] = mapped_column(Integer, index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # invoice | credit_note
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    credits_number: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(AMOUNT)
    line_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # issued
    ruleset_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # migration 0009: month | on_account | true_up; objective financing names its agreement and installment
    purpose: Mapped[str] = mapped_column(String(20), default="month", server_default="month")
    financing_id: Mapped[int | None] = mapped_column(Integer)
    installment: Mapped[int | None] = mapped_column(Integer)


class InvoiceLineRow(Base):
    """One line of an issued invoice or credit note, with the rule that produced it (immutable).

    Keyed by (invoice, position). ``invoice_id`` is checked set-wise per statement by a trigger rather than by
    a row-level foreign key (migration 0007): an invoice can never be deleted, so the check at insert is all
    a foreign key would do, at a fraction of its cost for a month's bulk write.
    """

    __tablename__ = "invoice_lines"
    invoice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int | None] = mapped_column(Integer)  # placements.id
    placement_ref: Mapped[str] = mapped_column(String(64))  # the pseudonymous placement id, never a CPR number
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(Text)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(AMOUNT)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    rule_id: Mapped[str] = mapped_column(String(20))


class RefundClaimRow(Base):
    """R-SET-01: what the paying (acting) municipality recovers for one placement and month, as billed on
    ``invoice_id`` (immutable; it counts while that invoice is not credited). Checked like the lines."""

    __tablename__ = "refund_claims"
    invoice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimant_kommunekode: Mapped[int] = mapped_column(Integer, index=True)
    debtor_kommunekode: Mapped[int] = mapped_column(Integer, index=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    rule_id: Mapped[str] = mapped_column(String(20))


class DisputeRow(Base):
    """A buyer's objection to one invoice line (R-SET-02); the invoice itself never changes.

    Resolved once, by the operator, with a correction run (the database allows nothing else: an open
    dispute may only become resolved, filling in the resolution columns; no row is deleted).
    """

    __tablename__ = "disputes"
    __table_args__ = (
        ForeignKeyConstraint(["invoice_id", "line_index"], ["invoice_lines.invoice_id", "invoice_lines.position"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    line_index: Mapped[int] = mapped_column(Integer)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    raised_on: Mapped[date] = mapped_column(Date)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))  # open | resolved
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_runs.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    new_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))


class HealthServiceRow(Base):
    """R-REF-01: a municipal health service given to a resident of an offer, registered by the municipality where
    the offer lies, for one placement and month: in hours or at a documented cost. Append-only (migration 0008)."""

    __tablename__ = "health_services"
    __table_args__ = (Index("ix_health_services_placement_month", "placement_id", "year", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal | None] = mapped_column(QUANTITY)
    documented_cost: Mapped[Decimal | None] = mapped_column(AMOUNT)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class HealthRefundClaimRow(Base):
    """R-REF-01: the month's claim of the offer's municipality on the paying one for one placement; issued
    claims are immutable, one per placement and month (migration 0008)."""

    __tablename__ = "health_refund_claims"
    __table_args__ = (UniqueConstraint("placement_id", "year", "month", name="uq_health_refund_claims_month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"))
    placement_ref: Mapped[str] = mapped_column(String(64))  # the pseudonymous placement id, never a CPR number
    claimant_kommunekode: Mapped[int] = mapped_column(Integer, index=True)
    debtor_kommunekode: Mapped[int] = mapped_column(Integer, index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    rule_id: Mapped[str] = mapped_column(String(20))
    ruleset_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CitizenScheduleRow(Base):
    """Handbook § 13: one version of a placement's citizen schedule (basis daily + hours × hourly rate / 7),
    effective from a date; append-only, a replacement is a new version (migration 0008)."""

    __tablename__ = "citizen_schedules"
    __table_args__ = (UniqueConstraint("placement_id", "version", name="uq_citizen_schedules_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    basis_daily: Mapped[Decimal] = mapped_column(AMOUNT)
    hourly_rate: Mapped[Decimal] = mapped_column(AMOUNT)
    agreed_with_buyer: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CitizenScheduleServiceRow(Base):
    """One service of a citizen schedule version, in hours per week (§ 13)."""

    __tablename__ = "citizen_schedule_services"
    schedule_id: Mapped[int] = mapped_column(ForeignKey("citizen_schedules.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hours_per_week: Mapped[Decimal] = mapped_column(QUANTITY)


class ClosingCostsRow(Base):
    """R-SET-08: the day to which an interim offer's documented closing costs are paid; append-only, the newest
    row of a placement counts (migration 0008)."""

    __tablename__ = "closing_costs"
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FinancingAgreementRow(Base):
    """An offer's objective financing for one year (handbook § 10, R-OBJ-01/03), registered by the secretariat;
    one per offer and year, append-only (migration 0009)."""

    __tablename__ = "financing_agreements"
    __table_args__ = (UniqueConstraint("offer_id", "year", name="uq_financing_agreements_offer_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    region_code: Mapped[int] = mapped_column(Integer, index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    key_kind: Mapped[str] = mapped_column(String(30))
    drawing_right: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FinancingWeightRow(Base):
    """One municipality's weight in an agreement's key: ``stage`` plan (the agreement) or actual (the true-up)."""

    __tablename__ = "financing_weights"
    __table_args__ = (
        UniqueConstraint("agreement_id", "stage", "kommunekode", name="uq_financing_weights_municipality"),
    )
    agreement_id: Mapped[int] = mapped_column(ForeignKey("financing_agreements.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kommunekode: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Numeric(18, 6))


class FinancingTrueUpRow(Base):
    """R-SET-12: an agreement's year-end true-up, at most one, and the run that issued its documents."""

    __tablename__ = "financing_true_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("financing_agreements.id"), unique=True)
    actual_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
