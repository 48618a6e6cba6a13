"""Use cases of objective financing (handbook § 10): agreements, on-account invoices, the year-end true-up.

- ``register_agreement``: the region's secretariat registers an offer's objective financing for a year: the
  yearly amount in whole kroner and the key (R-OBJ-01), shared by largest remainder (R-OBJ-02); with a
  drawing right the municipalities in the key use the offer without per-use billing (R-OBJ-03, applied by the
  monthly run, ``services/billing.py``). One agreement per offer and year; it is never changed.
- ``issue_installments``: the offer's operator invoices each municipality its on-account installments
  (R-SET-12) whose months have begun, in the operator's gap-free numbering (the same lock and counter as the
  monthly run). Idempotent: an installment already invoiced is never invoiced again.
- ``true_up_agreement``: after the year, the operator settles each municipality's difference between its
  final share of the actual amount (by the agreement's key or an actual one) and what it was invoiced on
  account: an invoice when it pays more, a credit note when it is refunded (R-SET-12). Once per agreement.
- ``agreements`` / ``agreement_detail``: the secretariat sees its region's agreements, the operator its own,
  a municipality those whose key names it (and only its own invoices).

Each use case is one transaction with one audit entry. Danish messages; findings carry the rule id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.adapters.db.billing_repositories import ON_ACCOUNT, TRUE_UP, NewInvoice, StoredInvoice
from rammeaftale.adapters.db.financing_repositories import StoredAgreement
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.financing import (
    Distribution,
    FinancingError,
    Installment,
    KeyKind,
    ObjectiveFinancing,
    TrueUp,
    installment_count,
    installment_period,
    on_account_invoice,
    on_account_plan,
    true_up,
    true_up_document,
)
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.invoices import DocumentKind, Invoice, due_date
from rammeaftale.domain.money import ZERO, MoneyError
from rammeaftale.domain.money import amount as exact_amount
from rammeaftale.domain.registry import Organisation
from rammeaftale.domain.rules import RuleSet
from rammeaftale.services.audit import audit
from rammeaftale.services.billing import FIRST_YEAR, LAST_YEAR, billing_rules, invoice_number, operator_code
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case


@dataclass(frozen=True)
class FinancingIssue:
    """What an issue did: the documents it issued (none when there was nothing new) and all of the
    agreement's invoices and credit notes after it."""

    agreement: StoredAgreement
    run_id: int | None
    issued: tuple[StoredInvoice, ...]
    invoices: tuple[StoredInvoice, ...]

    @property
    def total_issued(self) -> Decimal:
        return sum((i.total for i in self.issued), ZERO)


@dataclass(frozen=True)
class AgreementDetail:
    """An agreement as one party sees it: the plan (shares and installments), its true-up, and the invoices
    it may see (the operator and the secretariat all, a municipality its own)."""

    agreement: StoredAgreement
    operator: Organisation
    distribution: Distribution
    installments: tuple[Installment, ...]
    installments_per_year: int
    true_up: TrueUp | None
    invoices: tuple[StoredInvoice, ...]

    @property
    def invoiced(self) -> Decimal:
        return sum((i.total for i in self.invoices), ZERO)


def _financing(agreement: StoredAgreement) -> ObjectiveFinancing:
    return ObjectiveFinancing(
        offer=agreement.offer_code,
        year=agreement.year,
        amount=agreement.amount,
        key_kind=agreement.key_kind,
        weights=tuple((str(code), weight) for code, weight in agreement.weights),
        drawing_right=agreement.drawing_right,
    )


# --- registering an agreement ----------------------------------------------------------------------------


def _error(rule: str, field: str, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, message, field)


THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")


def _whole_kroner(raw: object, field: str, findings: list[Finding]) -> Decimal | None:
    """A whole-krone amount; "900.000" is read as nine hundred thousand (Danish thousands separator), since
    these amounts have no øre (R-OBJ-02)."""
    if isinstance(raw, str) and THOUSANDS.fullmatch(raw.strip()):
        raw = raw.strip().replace(".", "")
    try:
        value = exact_amount(raw)
    except MoneyError:
        findings.append(_error("R-OBJ-02", field, "Beløbet skal være et tal i hele kroner."))
        return None
    if value < 0 or value != value.to_integral_value():
        findings.append(_error("R-OBJ-02", field, "Beløbet skal være hele kroner, 0 eller mere."))
        return None
    return value.quantize(Decimal(1))


def read_weights(
    uow: UnitOfWork, region_code: int, raw: Iterable[tuple[object, object]], field: str, findings: list[Finding]
) -> list[tuple[int, Decimal]]:
    """The key's weights as (kommunekode, weight): each a municipality of the region, once, weight 0 or more,
    at least one above 0 (R-OBJ-01). Every problem is a finding at ``field[n]``."""
    codes = {o.kommunekode for o in uow.organisations.in_region(region_code) if o.kommunekode is not None}
    weights: list[tuple[int, Decimal]] = []
    for n, (raw_code, raw_weight) in enumerate(raw):
        where = f"{field}[{n}]"
        try:
            code = int(str(raw_code).strip())
            weight = exact_amount(raw_weight)
        except (ValueError, MoneyError):
            findings.append(_error("R-OBJ-01", where, "Kommunekode og vægt skal være tal."))
            continue
        if code not in codes:
            findings.append(_error("R-OBJ-01", where, f"Kommunekode {code} er ikke en kommune i regionen."))
        elif any(code == c for c, _ in weights):
            findings.append(_error("R-OBJ-01", where, f"Kommunekode {code} står mere end én gang i nøglen."))
        elif weight < 0 or weight >= Decimal(10) ** 12:
            findings.append(_error("R-OBJ-01", where, "Vægten skal være 0 eller mere."))
        elif weight != weight.quantize(Decimal("0.000001")):
            findings.append(_error("R-OBJ-01", where, "Vægten kan højst have 6 decimaler."))
        else:
            weights.append((code, weight))
    if not findings and not any(w > 0 for _, w in weights):
        findings.append(_error("R-OBJ-01", field, "Fordelingsnøglen skal have mindst én kommune med en vægt over 0."))
    return weights


@write_use_case
def register_agreement(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    offer_code: str,
    year: int,
    amount: object,
    key_kind: str,
    weights: Sequence[tuple[object, object]],
    drawing_right: bool = True,
) -> StoredAgreement:
    """Register an offer's objective financing for a year (R-OBJ-01 … R-OBJ-03); every finding at once and
    nothing saved when there is one."""
    if actor.role not in ("secretariat", "system"):
        raise Forbidden("Kun sekretariatet kan registrere objektiv finansiering.")
    offer = uow.offers.by_code(_code(offer_code))
    if offer is None or (actor.role != "system" and offer.operator.region_code != actor.region_code):
        raise NotFound("Tilbuddet findes ikke.")
    findings: list[Finding] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        findings.append(_error("R-OBJ-01", "year", f"Året {year} ligger uden for aftalens perioder."))
    elif uow.financing.find(offer.id, year) is not None:
        findings.append(
            _error("R-OBJ-01", "year", f"{offer.code} har allerede en aftale om objektiv finansiering for {year}.")
        )
    kroner = _whole_kroner(amount, "amount", findings)
    if key_kind not in {k.value for k in KeyKind}:
        findings.append(
            _error("R-OBJ-01", "key_kind", "Nøglen skal være befolkningstal, delbefolkning eller historisk forbrug.")
        )
    key = read_weights(uow, offer.operator.region_code, weights, "weights", findings)
    if findings or kroner is None:
        raise InvalidSubmission("Aftalen om objektiv finansiering er ikke gemt.", findings)
    now = clock()
    agreement_id = uow.financing.add_agreement(
        key,
        offer_id=offer.id,
        operator_id=offer.operator.id,
        region_code=offer.operator.region_code,
        year=year,
        amount=kroner,
        key_kind=key_kind,
        drawing_right=drawing_right,
        created_at=now,
        created_by=actor.user_id,
    )
    agreement = uow.financing.get(agreement_id)
    assert agreement is not None
    shares = _financing(agreement).distribution()
    audit(
        uow,
        clock,
        actor,
        "financing.register",
        "financing_agreement",
        agreement_id,
        offer=offer.code,
        year=year,
        after={
            "amount": f"{kroner:.0f}",
            "key_kind": key_kind,
            "drawing_right": drawing_right,
            "shares": {a.municipality: f"{a.amount:.0f}" for a in shares.allocations},
        },
    )
    uow.commit()
    return agreement


# --- issuing invoices ----------------------------------------------------------------------------------


def _operator_agreement(uow: UnitOfWork, actor: Actor, agreement_id: int) -> tuple[StoredAgreement, Organisation]:
    """The agreement when the actor is its operator (or the system); another organisation answers NotFound."""
    if actor.role != "system" and not actor.is_operator:
        raise Forbidden("Kun driftsherren kan fakturere objektiv finansiering.")
    agreement = uow.financing.get(agreement_id)
    if agreement is None or (actor.role != "system" and actor.organisation_id != agreement.operator_id):
        raise NotFound("Aftalen om objektiv finansiering findes ikke.")
    operator = uow.organisations.get(agreement.operator_id)
    assert operator is not None
    return agreement, operator


@dataclass(frozen=True)
class _Document:
    invoice: Invoice
    installment: int | None
    credits_id: int | None = None


def _issue(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    agreement: StoredAgreement,
    operator: Organisation,
    rules: RuleSet,
    purpose: str,
    month: int,
    documents: Sequence[_Document],
) -> tuple[int, tuple[StoredInvoice, ...]]:
    """Write one run of objective financing and its documents with the operator's next numbers (the caller
    holds the operator's billing lock). A run without documents (a true-up with no differences) takes none."""
    started = clock()
    first = uow.billing.next_number(operator.id) if documents else 0
    issued_on = today(clock)
    run_id = uow.billing.add_run(
        operator_id=operator.id,
        year=agreement.year,
        month=month,
        ruleset_id=rules.id,
        issued_on=issued_on,
        started_at=started,
        finished_at=started,
        actor_id=actor.user_id,
        actor_name=actor.username[:100],
        placements=0,
        invoices_issued=sum(1 for d in documents if d.invoice.kind.value == "invoice"),
        credit_notes_issued=sum(1 for d in documents if d.invoice.kind.value == "credit_note"),
        unchanged=0,
        lines_written=sum(len(d.invoice.lines) for d in documents),
        findings=[],
        purpose=purpose,
    )
    new = [
        NewInvoice(
            operator_id=operator.id,
            run_id=run_id,
            payer=d.invoice.payer,
            year=agreement.year,
            month=d.invoice.month.start.month,
            period=d.invoice.month,
            kind=d.invoice.kind,
            sequence=first + n,
            number=invoice_number(operator, first + n),
            credits_id=d.credits_id,
            credits_number=d.invoice.credits,
            issued_on=d.invoice.issued_on,
            due_on=d.invoice.due_on,
            total=d.invoice.total,
            ruleset_id=rules.id,
            created_at=started,
            lines=tuple((None, line) for line in d.invoice.lines),
            purpose=purpose,
            financing_id=agreement.id,
            installment=d.installment,
        )
        for n, d in enumerate(documents)
    ]
    issued = tuple(uow.billing.add_invoices(new))
    if new:
        uow.billing.numbers_used(operator.id, first + len(new))
    return run_id, issued


def _due(issued_on: date, rules: RuleSet) -> date:
    due, terms = due_date(issued_on, rules)
    if any(f.severity is Severity.ERROR for f in terms):
        raise InvalidSubmission("Regelsættets betalingsbetingelser kan ikke bruges (R-SET-11).", list(terms))
    return due


def _installment_rules(uow: UnitOfWork, operator: Organisation, year: int) -> tuple[RuleSet, int]:
    rules = billing_rules(uow, operator.region_code, year)
    try:
        return rules, installment_count(rules)
    except FinancingError as exc:
        raise InvalidSubmission(str(exc), [_error("R-SET-12", "on_account_installments_per_year", str(exc))]) from exc


@write_use_case
def issue_installments(
    uow: UnitOfWork, actor: Actor, clock: Clock, agreement_id: int, through: int | None = None
) -> FinancingIssue:
    """R-SET-12: invoice every on-account installment of the agreement up to number ``through`` (default: all
    whose months have begun) that is not invoiced yet; one invoice per municipality and installment."""
    agreement, operator = _operator_agreement(uow, actor, agreement_id)
    rules, count = _installment_rules(uow, operator, agreement.year)
    issued_on = today(clock)
    begun = [n for n in range(1, count + 1) if installment_period(agreement.year, n, count).start <= issued_on]
    if through is not None:
        if not 1 <= through <= count:
            raise InvalidSubmission(f"Raten {through} findes ikke; året har {count} rater (R-SET-12).", [])
        if through not in begun:
            start = installment_period(agreement.year, through, count).start
            raise InvalidSubmission(f"Rate {through} kan faktureres fra {start:%d-%m-%Y} (R-SET-12).", [])
        begun = [n for n in begun if n <= through]
    if agreement.trued_up:
        raise InvalidSubmission("Året er allerede afregnet; der udstedes ikke flere a conto-rater (R-SET-12).", [])
    uow.billing.lock(operator.id)  # the numbers and the check below see what the operator last committed
    done = {(i.installment, i.payer) for i in uow.billing.of_financing(agreement.id) if i.purpose == ON_ACCOUNT}
    due = _due(issued_on, rules)
    financing = _financing(agreement)
    documents = []
    for installment in on_account_plan(financing.distribution(), rules):
        payer = int(installment.municipality)
        if installment.number not in begun or (installment.number, payer) in done:
            continue
        invoice = on_account_invoice(operator_code(operator), payer, financing, installment, count, issued_on, due)
        if invoice is not None:
            documents.append(_Document(invoice, installment.number))
    documents.sort(key=lambda d: (d.installment or 0, d.invoice.payer))
    if not documents:
        return _result(uow, agreement, None, ())
    run_id, issued = _issue(
        uow, actor, clock, agreement, operator, rules, ON_ACCOUNT, documents[0].invoice.month.start.month, documents
    )
    audit(
        uow,
        clock,
        actor,
        "financing.on_account",
        "financing_agreement",
        agreement.id,
        operator_id=operator.id,
        year=agreement.year,
        run_id=run_id,
        issued=[i.number for i in issued],
        after={"invoices": {i.number: f"{i.total:.2f}" for i in issued}},
    )
    uow.commit()
    return _result(uow, agreement, run_id, issued)


def _result(
    uow: UnitOfWork, agreement: StoredAgreement, run_id: int | None, issued: tuple[StoredInvoice, ...]
) -> FinancingIssue:
    found = uow.financing.get(agreement.id)
    assert found is not None
    return FinancingIssue(found, run_id, issued, tuple(uow.billing.of_financing(agreement.id)))


def paid_on_account(invoices: Iterable[StoredInvoice]) -> dict[str, Decimal]:
    """What each municipality (kommunekode as text) was invoiced on account (R-SET-12)."""
    paid: dict[str, Decimal] = {}
    for i in invoices:
        if i.purpose == ON_ACCOUNT:
            paid[str(i.payer)] = paid.get(str(i.payer), ZERO) + i.total
    return paid


@write_use_case
def true_up_agreement(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    agreement_id: int,
    actual_amount: object,
    actual_weights: Sequence[tuple[object, object]] | None = None,
) -> FinancingIssue:
    """R-SET-12: the year-end true-up against the actual amount (whole kroner) shared by the actual key (default
    the agreement's): an invoice for each municipality that pays more, a credit note for each that is refunded."""
    agreement, operator = _operator_agreement(uow, actor, agreement_id)
    rules, count = _installment_rules(uow, operator, agreement.year)
    issued_on = today(clock)
    findings: list[Finding] = []
    actual = _whole_kroner(actual_amount, "actual_amount", findings)
    weights = (
        list(agreement.weights)
        if actual_weights is None
        else read_weights(uow, agreement.region_code, actual_weights, "actual_weights", findings)
    )
    if issued_on.year <= agreement.year:
        findings.append(
            _error("R-SET-12", "year", f"Året {agreement.year} kan afregnes fra 01-01-{agreement.year + 1}.")
        )
    if agreement.trued_up:
        findings.append(_error("R-SET-12", "agreement", f"Året {agreement.year} er allerede afregnet."))
    if findings or actual is None:
        raise InvalidSubmission("Årsafregningen er ikke foretaget.", findings)
    uow.billing.lock(operator.id)
    invoices = uow.billing.of_financing(agreement.id)
    invoiced = {(i.installment, i.payer) for i in invoices if i.purpose == ON_ACCOUNT}
    financing = _financing(agreement)
    plan = on_account_plan(financing.distribution(), rules)
    planned = {(i.number, int(i.municipality)) for i in plan if i.amount != ZERO}
    if planned - invoiced:
        raise InvalidSubmission("Fakturér først alle årets a conto-rater; så kan året afregnes (R-SET-12).", [])
    result = true_up(paid_on_account(invoices), actual, [(str(c), w) for c, w in weights])
    last_invoice = {i.payer: i for i in invoices if i.purpose == ON_ACCOUNT}
    due = _due(issued_on, rules)
    documents = []
    for line in result.lines:
        payer = int(line.municipality)
        last = last_invoice.get(payer)
        document = true_up_document(
            operator_code(operator), payer, financing, line, issued_on, due, last.number if last else ""
        )
        if document is not None:
            credits_id = last.id if last is not None and document.kind is DocumentKind.CREDIT_NOTE else None
            documents.append(_Document(document, None, credits_id))
    run_id, issued = _issue(uow, actor, clock, agreement, operator, rules, TRUE_UP, 12, documents)
    uow.financing.add_true_up(
        agreement.id, weights, actual_amount=actual, run_id=run_id, created_at=clock(), created_by=actor.user_id
    )
    audit(
        uow,
        clock,
        actor,
        "financing.true_up",
        "financing_agreement",
        agreement.id,
        operator_id=operator.id,
        year=agreement.year,
        installments_per_year=count,
        issued=[i.number for i in issued],
        before={"paid_on_account": f"{result.paid_on_account:.0f}"},
        after={
            "actual": f"{actual:.0f}",
            "differences": {ln.municipality: f"{ln.difference:.0f}" for ln in result.lines},
        },
    )
    uow.commit()
    return _result(uow, agreement, run_id, issued)


# --- reading --------------------------------------------------------------------------------------------


def agreements(uow: UnitOfWork, actor: Actor, year: int | None = None) -> tuple[StoredAgreement, ...]:
    """The agreements the actor may see: the secretariat its region's, an operator its own, a municipality
    those whose key names it; the board its region's."""
    if actor.role in ("secretariat", "board") and actor.region_code is not None:
        return tuple(uow.financing.of_region(actor.region_code, year))
    if actor.is_operator and actor.organisation_id is not None:
        return tuple(uow.financing.of_operator(actor.organisation_id, year))
    code = _buyer_code(uow, actor)
    if code is not None:
        return tuple(uow.financing.of_municipality(code, year))
    raise Forbidden("Du kan ikke se aftaler om objektiv finansiering.")


def _code(offer_code: str) -> str:
    """An offer code as typed, without NUL (text columns hold none) and surrounding blanks."""
    return offer_code.replace("\x00", "").strip()


def _visible(uow: UnitOfWork, actor: Actor, agreement: StoredAgreement | None) -> StoredAgreement | None:
    if agreement is None or actor.role == "system":
        return agreement
    return agreement if agreement.id in {a.id for a in agreements(uow, actor, agreement.year)} else None


def find_agreement(uow: UnitOfWork, actor: Actor, offer_code: str, year: int) -> StoredAgreement:
    """The offer's agreement for the year, for a party that may see it; otherwise NotFound."""
    offer = uow.offers.by_code(_code(offer_code))
    agreement = _visible(uow, actor, uow.financing.find(offer.id, year) if offer else None)
    if agreement is None:
        raise NotFound(f"{offer_code} har ingen aftale om objektiv finansiering for {year}.")
    return agreement


def _buyer_code(uow: UnitOfWork, actor: Actor) -> int | None:
    if actor.role != "buyer" or actor.organisation_id is None:
        return None
    organisation = uow.organisations.get(actor.organisation_id)
    return organisation.kommunekode if organisation is not None else None


def agreement_detail(uow: UnitOfWork, actor: Actor, agreement_id: int) -> AgreementDetail:
    """One agreement for a party that may see it (``agreements``, and the system); another answers NotFound."""
    agreement = _visible(uow, actor, uow.financing.get(agreement_id))
    if agreement is None:
        raise NotFound("Aftalen om objektiv finansiering findes ikke.")
    operator = uow.organisations.get(agreement.operator_id)
    assert operator is not None
    rules, count = _installment_rules(uow, operator, agreement.year)
    shares = _financing(agreement).distribution()
    every = uow.billing.of_financing(agreement.id)
    settled = None
    if agreement.actual_amount is not None:  # the true-up as it was made, from every municipality's payments
        weights = [(str(c), w) for c, w in agreement.actual_weights]
        settled = true_up(paid_on_account(every), agreement.actual_amount, weights)
    code = _buyer_code(uow, actor)
    invoices = tuple(i for i in every if code is None or i.payer == code)
    return AgreementDetail(agreement, operator, shares, on_account_plan(shares, rules), count, settled, invoices)
