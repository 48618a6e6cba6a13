"""Region Midtjylland's changeover to the basis + service model (handbook § 13): the planner's input from the
operator's placements with a citizen schedule, and the plan (``domain.citizen_schedules.plan_changeover``).

At the changeover only the basis part is recalculated; each citizen's service part stays until the next
review, and the total before and after must be equal (zero-sum overall, while single municipalities may pay
more or less). The planner shows that and each municipality's difference; it changes nothing.

Who: an operator, for its own placements only. Each placement read into the planner is logged as a read
(``record_read``), as on the placement list. Decisions (where the handbook is silent): a placement's
municipality is the one that finances it (the paying one, the acting one while that is in doubt); its days
are its days in the year (from its start date, to its end date when it has one); its basis before and
service part are those of its schedule in force on 1 January, or its first schedule when that is later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from rammeaftale.adapters.db.models import PlacementRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.formatting import format_amount
from rammeaftale.domain.citizen_schedules import ChangeoverCitizen, ChangeoverPlan, CitizenSchedule, plan_changeover
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.periods import SettlementError
from rammeaftale.services.audit import record_read
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Forbidden, InvalidSubmission
from rammeaftale.services.refunds import schedules_of_operator

READ_PURPOSE = "changeover.plan"
ROW_COLUMNS = ("indskrivning", "kommunekode", "basistakst før", "ydelsesdel pr. døgn", "dage")


def _in_force(schedules: Sequence[CitizenSchedule], day: date) -> CitizenSchedule:
    earlier = [s for s in schedules if s.effective_from <= day]
    return earlier[-1] if earlier else schedules[0]


def _days_in_year(row: PlacementRow, year: int) -> int:
    first = max(row.start_date, date(year, 1, 1))
    last = min(row.notice_final_date or date(year, 12, 31), date(year, 12, 31))
    return max((last - first).days + 1, 0)


def changeover_citizens(uow: UnitOfWork, actor: Actor, clock: Clock, year: int) -> list[ChangeoverCitizen]:
    """The operator's confirmed placements with a citizen schedule as the planner's rows for ``year``."""
    if not actor.is_operator or actor.organisation_id is None:
        raise Forbidden("Kun driftsherren kan planlægge omlægningen af sine borgerskemaer (§ 13).")
    schedules = schedules_of_operator(uow, actor.organisation_id)
    rows = uow.session.scalars(
        select(PlacementRow)
        .where(PlacementRow.id.in_(list(schedules)), PlacementRow.status == "confirmed")
        .order_by(PlacementRow.placement_id)
    ).all()
    citizens = []
    for row in rows:
        schedule = _in_force(schedules[row.id], date(year, 1, 1))
        financer = row.paying_municipality if row.paying_municipality is not None else row.acting_municipality
        citizens.append(
            ChangeoverCitizen(
                row.placement_id, financer, schedule.basis_daily, schedule.service_daily, _days_in_year(row, year)
            )
        )
    for c in citizens:
        record_read(uow, clock, actor, c.placement_id, READ_PURPOSE, commit=False)
    if citizens:
        uow.commit()
    return citizens


def read_rows(text: str) -> tuple[list[ChangeoverCitizen], list[Finding]]:
    """The planner's rows as typed or pasted from Excel, one per line: placement id; kommunekode; basis before;
    service part per day; days (``;`` or tab between them, Danish decimals). Every bad line is a finding."""
    citizens: list[ChangeoverCitizen] = []
    findings: list[Finding] = []
    for number, line in enumerate(text.replace("\x00", "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.replace("\t", ";").split(";")]
        where = f"linje {number}"
        if len(cells) != len(ROW_COLUMNS):
            findings.append(_error(where, f"Linjen skal have {len(ROW_COLUMNS)} felter: {', '.join(ROW_COLUMNS)}."))
            continue
        try:
            citizens.append(
                ChangeoverCitizen(cells[0][:20], int(cells[1]), amount(cells[2]), amount(cells[3]), int(cells[4]))
            )
        except (ValueError, MoneyError, SettlementError) as exc:
            message = str(exc) if isinstance(exc, MoneyError | SettlementError) else "Kommunekode og dage er hele tal."
            findings.append(_error(where, message))
    return citizens, findings


def rows_text(citizens: Sequence[ChangeoverCitizen]) -> str:
    """The rows as ``read_rows`` reads them (the planner's form, prefilled)."""
    return "\n".join(
        f"{c.placement_id};{c.municipality};{format_amount(c.basis_before)};{format_amount(c.service_daily)};{c.days}"
        for c in citizens
    )


def plan(citizens: Sequence[ChangeoverCitizen], basis_after: str = "") -> ChangeoverPlan:
    """§ 13: the plan; an empty ``basis_after`` means the zero-sum basis (the day-weighted mean of the bases)."""
    try:
        basis = amount(basis_after) if basis_after.strip() else None
        return plan_changeover(citizens, basis)
    except (MoneyError, SettlementError) as exc:
        raise InvalidSubmission("Omlægningen kan ikke beregnes (§ 13).", [_error("basis_after", str(exc))]) from exc


def _error(field: str, message: str) -> Finding:
    return Finding("§ 13", Severity.ERROR, message, field)
