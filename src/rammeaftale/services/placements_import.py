"""Import of placements from a CSV or XLSX file: every row registered, or none (issue 5, handbook § 9).

The file is read by ``adapters/placements_file.py`` (an XLSX through ``excel/safety.py`` first), each row by
``services/placements_input.py`` and checked like a placement registered one by one
(``services/placements.py``). Findings carry the row and column (CSV) or sheet and cell (XLSX) and the rule
id where one applies, and never show a CPR number: the row's number is "rækkens CPR-nummer".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rammeaftale.adapters.db.placements_repositories import REGISTERED, StoredPlacement
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.excel.safety import UnsafeUpload
from rammeaftale.adapters.placements_file import FileRow, UnreadableFile, read_placements_file
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.services.audit import audit
from rammeaftale.services.compute import display_name
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.placements import store_placement
from rammeaftale.services.placements_access import require_buyer
from rammeaftale.services.placements_input import GENERAL, Checked, check_placement, read_fields
from rammeaftale.services.retry import write_use_case

IMPORT_NOT_SAVED = "Filen har fejl; ingen af indskrivningerne er gemt."
MAX_FINDINGS = 500
NEVER = datetime.min.replace(tzinfo=UTC)  # the creation time of a row not yet stored (never read)


@dataclass(frozen=True)
class Imported:
    placement_ids: tuple[str, ...]
    findings: tuple[Finding, ...]  # warnings only (an error saves nothing)


def _row_findings(row: FileRow, found: Sequence[Finding]) -> list[Finding]:
    return [f if f.source else f.located(row.sources.get(f.field, row.source)) for f in found]


@write_use_case
def import_placements(uow: UnitOfWork, actor: Actor, clock: Clock, raw: bytes, filename: str) -> Imported:
    """Register every placement of a CSV or XLSX file, or none of them (all or nothing).

    Findings point to row and column (CSV) or sheet and cell (XLSX), carry the rule id where one applies and
    never show a CPR number: a row's number is "rækkens CPR-nummer". A citizen twice in the same service
    (in the file or already registered) is an error. Refused files: InvalidSubmission, nothing saved.
    """
    require_buyer(actor)
    name = display_name(filename or "indskrivninger")
    try:
        read = read_placements_file(raw, name)
    except (UnsafeUpload, UnreadableFile) as exc:
        raise InvalidSubmission(str(exc), []) from exc
    findings = list(read.findings)
    if not read.rows and not has_errors(findings):
        findings.append(Finding(GENERAL, Severity.ERROR, "Filen indeholder ingen indskrivninger.", "", name))
    ready: list[Checked] = []
    earlier: list[StoredPlacement] = []
    if not has_errors(findings):
        for row in read.rows:
            placement, found = read_fields(row.values, "rækkens CPR-nummer")
            checked: Checked | None = None
            if placement is not None:
                checked, more = check_placement(uow, actor, placement, today(clock), others=earlier)
                found += more
            findings += _row_findings(row, found)
            if checked is not None:
                ready.append(checked)
                earlier.append(_pending(checked))
            if len(findings) > MAX_FINDINGS:
                break
    if has_errors(findings) or len(ready) != len(read.rows):
        raise InvalidSubmission(IMPORT_NOT_SAVED, findings[:MAX_FINDINGS])
    source = "xlsx" if read.xlsx else "csv"
    ids = tuple(store_placement(uow, actor, clock, checked, source) for checked in ready)
    audit(uow, clock, actor, "placements.imported", "placement_import", name, count=len(ids), before=None, after=None)
    uow.commit()
    return Imported(ids, tuple(findings))


def _pending(checked: Checked) -> StoredPlacement:
    """An earlier row of the same import, as ``check_placement`` compares the citizen's placements."""
    p = checked.placement
    return StoredPlacement(
        pk=0,
        placement_id="",
        masked_cpr=p.cpr.masked,
        offer_id=checked.offer.id,
        service_id=checked.service.id,
        operator_id=checked.offer.operator.id,
        level=p.level,
        acting_municipality=p.acting_municipality,
        paying_municipality=p.paying_municipality,
        contract=p.contract.value,
        offer_kind=checked.offer_kind.value,
        start=p.start,
        respite_granted_days=checked.respite_granted_days,
        negotiated_tariff=p.negotiated_tariff,
        agreed_notice_months=p.agreed_notice_months,
        notice_given_on=None,
        notice_final_date=None,
        notice_kind="",
        notice_operator_agrees=False,
        status=REGISTERED,
        source="",
        created_at=NEVER,
        created_by=None,
        confirmed_at=None,
        confirmed_by=None,
        refused_at=None,
        refused_by=None,
        refusal_reason="",
    )
