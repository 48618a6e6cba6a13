"""Unit of work: one transaction per use case; commits only at the boundary."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rammeaftale.adapters.cpr_vault import CprVault, vault_from_environment
from rammeaftale.adapters.db.accounts_repositories import (
    AccountsRepository,
    RegulationRepository,
    ReserveLedgerRepository,
)
from rammeaftale.adapters.db.billing_repositories import BillingRepository
from rammeaftale.adapters.db.financing_repositories import FinancingRepository
from rammeaftale.adapters.db.placements_repositories import PlacementRepository
from rammeaftale.adapters.db.repositories import (
    AppendixRepository,
    AuditRepository,
    LoginAttemptRepository,
    OfferRepository,
    OrganisationRepository,
    SubmissionRepository,
    UserRepository,
    UserSessionRepository,
)


class UnitOfWork:
    def __init__(self, engine: Engine, cpr_vault: CprVault | None = None) -> None:
        self._factory = sessionmaker(engine, expire_on_commit=False)
        self._cpr_vault = cpr_vault  # None: the keys of RAMMEAFTALE_CPR_KEY, read at the first CPR use

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory()
        self.organisations = OrganisationRepository(self.session)
        self.users = UserRepository(self.session)
        self.offers = OfferRepository(self.session)
        self.submissions = SubmissionRepository(self.session)
        self.appendices = AppendixRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.user_sessions = UserSessionRepository(self.session)
        self.login_attempts = LoginAttemptRepository(self.session)
        self.accounts = AccountsRepository(self.session)
        self.regulations = RegulationRepository(self.session)
        self.reserves = ReserveLedgerRepository(self.session)
        self.billing = BillingRepository(self.session)
        self.financing = FinancingRepository(self.session)
        vault = self._cpr_vault
        self.placements = PlacementRepository(self.session, (lambda: vault) if vault else vault_from_environment)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()
