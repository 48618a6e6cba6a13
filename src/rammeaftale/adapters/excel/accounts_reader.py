"""Reads a filled-in regnskabsskema back into accounts, with findings by sheet and cell.

The same steps and cell parsing as the tariff reader (``reader.py``): the upload first through
``safety.check_xlsx_upload`` (``UnsafeUpload``), the template recognised by its hidden ``_meta`` sheet,
only the VALUES of column C read (a formula is a finding, never evaluated; Danish number text such as
"1.100.000,50" is read exactly), the cells turned into the public JSON shape of
``domain.accounts_submission`` and built there. Column D (the budget) and the previews are never read.
"""

from __future__ import annotations

from rammeaftale.adapters.excel.accounts_layout import (
    FORMAT_ID,
    FORMAT_VERSION,
    ROWS,
    SHEET,
    VALUE_ROWS,
    category_row,
    cell_for_field,
    field_map,
    line_rows,
)
from rammeaftale.adapters.excel.reader import (
    CellSink,
    TemplateSpec,
    _set,
    assemble_costs,
    open_workbook,
    read_values,
    template_sheet,
    xlsx_source,
)
from rammeaftale.adapters.excel.safety import check_xlsx_upload
from rammeaftale.domain.accounts_submission import AccountsSubmission, build_accounts_submission
from rammeaftale.domain.findings import Finding, has_errors

NOT_OUR_TEMPLATE = "Filen er ikke et regnskabsskema fra Rammeaftale"
ACCOUNTS_TEMPLATE = TemplateSpec(
    SHEET,
    FORMAT_ID,
    FORMAT_VERSION,
    ROWS,
    field_map(),
    NOT_OUR_TEMPLATE,
    "Hent regnskabsskemaet i Rammeaftale, udfyld det og upload det igen.",
)


def read_accounts_data(raw: bytes, filename: str) -> tuple[dict[str, object] | None, list[Finding]]:
    """The workbook's values in the public JSON shape and the reader's own findings (sheet and cell).

    None when the workbook is not our template. Raises ``UnsafeUpload`` for files refused outright.
    """
    check_xlsx_upload(raw, filename)
    workbook = open_workbook(raw, filename)
    try:
        sheet, refusal = template_sheet(workbook, filename, ACCOUNTS_TEMPLATE)
        if sheet is None:
            return None, refusal
        sink = CellSink(filename)
        values = read_values(sheet, VALUE_ROWS, sink)
    finally:
        workbook.close()
    data: dict[str, object] = {}
    for field, value in values.items():
        if not field.startswith("costs."):
            _set(data, field, value)
    costs = assemble_costs(values, sink, category_row, line_rows)
    if costs:
        data["costs"] = costs
    return data, sink.findings


def read_accounts_template(raw: bytes, filename: str) -> tuple[AccountsSubmission | None, list[Finding]]:
    """Read an uploaded regnskabsskema; None with any error (a cell that could not be read is one)."""
    data, findings = read_accounts_data(raw, filename)
    if data is None:
        return None, findings
    submission, domain_findings = build_accounts_submission(data)
    flagged = {f.field for f in findings}
    located = locate_accounts_xlsx([f for f in domain_findings if f.field not in flagged], filename)
    return (None if has_errors(findings) else submission), [*findings, *located]


def locate_accounts_xlsx(findings: list[Finding], filename: str) -> list[Finding]:
    """Give findings without a source (e.g. from ``accounts_consequence``) their sheet and cell."""
    return [f if f.source else f.located(xlsx_source(filename, cell_for_field(f.field), SHEET)) for f in findings]
