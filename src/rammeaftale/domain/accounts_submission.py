"""Accounts submission (regnskabsindberetning): an operator's actual figures for one offer and year (§ 7).

One frozen value, whatever way it came in (XLSX template, web form, JSON): adapters build it with
``build_accounts_submission`` from a plain mapping (docs/accounts-submission-json.md) and report the
problems as findings with a field path, exactly as ``domain.submission`` does for tariffs. The costs
use the tariff's categories and lines (``CATEGORIES``, R-TAR-02); the income has two lines.

``accounts_consequence`` applies the § 7 rules (``domain.accounts.assess_result``) to the result and
checks what the operator asked for (a reserve, an early repayment) against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.domain.accounts import (
    ACCOUNTS_LEVEL_LABELS,
    AccountsError,
    AccountsLevel,
    Consequence,
    ResultKind,
    assess_result,
)
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.submission import CATEGORIES, CATEGORY_BY_KEY, _read_costs, _Reader

FORMAT = "rammeaftale.accounts/1"

INCOME_LINES: tuple[tuple[str, str], ...] = (
    ("tariff_income", "Takstindtægter"),
    ("other_income", "Andre driftsindtægter"),
)
INCOME_LABELS = dict(INCOME_LINES)

# The top-level keys of the JSON shape; any other is a finding, so a mistyped field never vanishes.
FIELDS = (
    "format",
    "ruleset",
    "accounts_year",
    "offer_code",
    "level",
    "target_group",
    "new_offer",
    "costs",
    "income",
    "cost_base",
    "reserve_requested",
    "early_repayment",
    "remarks",
)

MISSING_COSTS = "Omkostningerne mangler: udfyld årets faktiske omkostninger."

R_ACC = "R-ACC-01"  # the accounts submission itself: offer, year, level (§ 7: per offer or target group)
R_TAR = "R-TAR-02"  # the cost categories and lines, the same as the tariff's


@dataclass(frozen=True)
class AccountsSubmission:
    """One year's accounts for one offer (or one of its target groups, R-ACC-01).

    ``costs`` are the actual costs in the tariff's categories and lines; ``cost_base`` the year's tariff
    cost base as the file states it (a service uses the approved tariff's instead when there is one).
    ``reserve_requested`` is the part of a surplus to put in reserve (None: all R-SUR-01 allows);
    ``early_repayment`` the part of an excess surplus repaid to the buyers now (R-SUR-07).
    """

    ruleset_id: str
    accounts_year: int
    offer_code: str
    level: AccountsLevel
    target_group: str
    new_offer: bool
    costs: Mapping[str, Mapping[str, Decimal]]
    income: Mapping[str, Decimal]
    cost_base: Decimal | None
    reserve_requested: Decimal | None = None
    early_repayment: Decimal | None = None
    remarks: str = ""

    @property
    def costs_total(self) -> Decimal:
        """The actual costs as the cost base counts them: every category's lines, financing income minus."""
        return sum(
            (sum(lines.values(), ZERO) * CATEGORY_BY_KEY[key].sign for key, lines in self.costs.items()),
            ZERO,
        )

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)

    @property
    def result(self) -> Decimal:
        """§ 7: income − costs (positive: surplus, negative: deficit)."""
        return self.income_total - self.costs_total


# --- building from plain data -------------------------------------------------------------------


def build_accounts_submission(data: Mapping[str, object]) -> tuple[AccountsSubmission | None, list[Finding]]:
    """Build accounts from the public JSON shape (docs/accounts-submission-json.md).

    Every problem is reported at once; with any error the submission is None. Amounts are numbers or
    decimal strings (Danish "1.234,50" too) in whole øre.
    """
    r = _Reader()
    for key in data:
        if key not in FIELDS:
            r.error(_short(key), f"Ukendt felt '{_short(key)}' i regnskabet.", R_ACC)
    fmt = data.get("format")
    if fmt not in (None, "", FORMAT):
        r.error("format", f"Formatet '{_short(fmt)}' er ukendt; regnskaber har formatet '{FORMAT}'.", R_ACC)
    ruleset_id = _text(r, data, "ruleset", "Regelsæt", "Regelsæt mangler (fx 'nordjylland-2023-2024').")
    year = data.get("accounts_year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2999:
        r.error("accounts_year", "Regnskabsår mangler eller er ikke et årstal.", R_ACC)
        year = 0
    offer_code = _text(r, data, "offer_code", "Tilbudskode", "Tilbudskode mangler (fx 'N-851-01').")
    level_value = r.enum(AccountsLevel, data.get("level") or "offer", "level", "Regnskabsniveau", R_ACC)
    level = level_value if isinstance(level_value, AccountsLevel) else AccountsLevel.OFFER
    target_group = _text(r, data, "target_group", "Målgruppen")
    if isinstance(level_value, AccountsLevel) and not any(f.field == "target_group" for f in r.findings):
        if level is AccountsLevel.TARGET_GROUP and not target_group:
            r.error("target_group", "Målgruppen mangler: regnskabet er aflagt pr. målgruppe.", R_ACC)
        if level is AccountsLevel.OFFER and target_group:
            r.error(
                "target_group",
                f"Regnskabet er aflagt {ACCOUNTS_LEVEL_LABELS[level]}; en målgruppe angives kun pr. målgruppe.",
                R_ACC,
            )
    new_offer = r.flag(data.get("new_offer"), "new_offer", "Nyt tilbud", "R-NEW-02")
    costs = _read_accounts_costs(r, data.get("costs"))
    income = _read_income(r, data.get("income"))
    cost_base = _amount(r, data.get("cost_base"), "cost_base", "Takstberegningsgrundlaget", "R-SUR-01")
    if cost_base is not None and cost_base <= ZERO:
        r.error("cost_base", "Takstberegningsgrundlaget skal være over 0 kr.", "R-SUR-01")
    reserve = _amount(r, data.get("reserve_requested"), "reserve_requested", "Ønsket hensættelse", "R-SUR-01")
    if reserve is not None and reserve < ZERO:
        r.error("reserve_requested", "Ønsket hensættelse kan ikke være negativ.", "R-SUR-01")
    repayment = _amount(r, data.get("early_repayment"), "early_repayment", "Tilbagebetalingen", "R-SUR-07")
    if repayment is not None and repayment < ZERO:
        r.error("early_repayment", "Tilbagebetalingen kan ikke være negativ.", "R-SUR-07")
    remarks = _text(r, data, "remarks", "Bemærkninger")
    if any(f.is_error for f in r.findings):
        return None, r.findings
    submission = AccountsSubmission(
        ruleset_id=ruleset_id,
        accounts_year=year,
        offer_code=offer_code,
        level=level,
        target_group=target_group,
        new_offer=new_offer,
        costs=costs,
        income=income,
        cost_base=cost_base,
        reserve_requested=reserve,
        early_repayment=repayment,
        remarks=remarks,
    )
    return submission, r.findings


def _text(r: _Reader, data: Mapping[str, object], key: str, label: str, missing: str = "") -> str:
    """A text field, stripped. Anything but text is a finding; so is no text when ``missing`` says why."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        r.error(key, f"{label} skal være tekst.", R_ACC)
        return ""
    text = (value or "").strip()
    if not text and missing:
        r.error(key, missing, R_ACC)
    return text


def _short(key: object) -> str:
    """A key from the input as a finding names it: at most 40 characters (it may be anything)."""
    text = str(key)
    return text if len(text) <= 40 else f"{text[:40]}…"


def _amount(r: _Reader, value: object, path: str, label: str, rule_id: str) -> Decimal | None:
    """An optional amount in whole øre (§ 15: the accounts rules reckon in øre)."""
    d = r.decimal(value, path, rule_id)
    if d is not None and d != round_ore_half_up(d):
        r.error(path, f"{label} skal angives i hele øre.", rule_id)
        return None
    return d


def _read_accounts_costs(r: _Reader, raw: object) -> dict[str, dict[str, Decimal]]:
    """The tariff's categories and lines (``domain.submission._read_costs``), as actual costs in øre."""
    if raw is None:
        r.error("costs", MISSING_COSTS, R_TAR)
        return {}
    if not isinstance(raw, Mapping):
        r.error("costs", "Omkostningerne skal være et objekt med kategorier.", R_TAR)
        return {}
    costs, pension_basis = _read_costs(r, raw)
    if pension_basis is not None:
        r.error(
            "costs.civil_servant_pension.salary_basis",
            "I regnskabet angives tjenestemandspensionen som den faktiske udgift, ikke som lønsum.",
            R_TAR,
        )
    for spec in CATEGORIES:
        for line, value in costs.get(spec.key, {}).items():
            path = f"costs.{spec.key}.{line}"
            if value != round_ore_half_up(value):
                r.error(path, "Beløbet skal angives i hele øre.", R_TAR)
            elif value < ZERO and not spec.may_be_negative:
                r.error(path, f"Beløbet i kategorien {spec.label} kan ikke være negativt.", R_TAR)
    kept = {key: lines for key, lines in costs.items() if lines}
    if not kept and not any(f.field.startswith("costs") for f in r.findings):
        r.error("costs", MISSING_COSTS, R_TAR)
    return kept


def _read_income(r: _Reader, raw: object) -> dict[str, Decimal]:
    if not isinstance(raw, Mapping):
        r.error("income", "Indtægterne mangler (takstindtægter og andre driftsindtægter).", R_ACC)
        return {}
    income: dict[str, Decimal] = {}
    for key in raw:
        if key not in INCOME_LABELS:
            r.error(f"income.{_short(key)}", f"Ukendt indtægtslinje '{_short(key)}'.", R_ACC)
    for key, label in INCOME_LINES:
        d = _amount(r, raw.get(key), f"income.{key}", label, R_ACC)
        if d is not None:
            income[key] = d
    if "tariff_income" not in income and raw.get("tariff_income") in (None, ""):
        r.error("income.tariff_income", "Takstindtægterne mangler.", R_ACC)
    return income


def accounts_submission_to_data(s: AccountsSubmission) -> dict[str, object]:
    """The canonical JSON shape (amounts as decimal strings); ``build_accounts_submission`` inverts it."""
    data: dict[str, object] = {
        "format": FORMAT,
        "ruleset": s.ruleset_id,
        "accounts_year": s.accounts_year,
        "offer_code": s.offer_code,
        "level": s.level.value,
        "target_group": s.target_group,
        "new_offer": s.new_offer,
        "costs": {key: {line: str(v) for line, v in lines.items()} for key, lines in s.costs.items()},
        "income": {key: str(v) for key, v in s.income.items()},
    }
    for key, value in (
        ("cost_base", s.cost_base),
        ("reserve_requested", s.reserve_requested),
        ("early_repayment", s.early_repayment),
    ):
        if value is not None:
            data[key] = str(value)
    data["remarks"] = s.remarks
    return data


# --- consequences -------------------------------------------------------------------------------


def accounts_consequence(
    s: AccountsSubmission, rules: RuleSet, cost_base: Decimal | None
) -> tuple[Consequence | None, list[Finding]]:
    """The § 7 consequence of the result against ``cost_base`` (``assess_result``, with ``new_offer``).

    Findings: a reserve requested above what R-SUR-01 allows or on a deficit; an early repayment above
    the excess or on a deficit (R-SUR-07). Without a usable cost base (None, 0 or less, fractions of an
    øre) there is no consequence: None and one finding.
    """
    if cost_base is None or not cost_base.is_finite() or cost_base <= ZERO:
        return None, [
            _error(
                "R-SUR-01" if s.result >= ZERO else "R-SUR-04",
                "cost_base",
                "Takstberegningsgrundlaget for året mangler, så resultatet kan ikke måles i procent af det.",
            )
        ]
    try:
        consequence = assess_result(s.result, cost_base, s.accounts_year, rules, new_offer=s.new_offer)
    except AccountsError as exc:
        return None, [_error("R-SUR-01" if s.result >= ZERO else "R-SUR-04", "cost_base", str(exc))]
    findings: list[Finding] = []
    deficit = consequence.kind is ResultKind.DEFICIT
    if s.reserve_requested is not None and s.reserve_requested > ZERO:
        if deficit:
            findings.append(_error("R-SUR-01", "reserve_requested", "Der kan ikke hensættes af et underskud."))
        elif s.reserve_requested > consequence.reserve_allowed:
            findings.append(
                _error(
                    "R-SUR-01",
                    "reserve_requested",
                    f"Der må højst hensættes {_kr(consequence.reserve_allowed)} "
                    f"({rules.decimal('reserve_max_pct')} % af takstberegningsgrundlaget); "
                    f"der er bedt om {_kr(s.reserve_requested)}.",
                )
            )
    if s.early_repayment is not None and s.early_repayment > ZERO:
        if deficit:
            findings.append(_error("R-SUR-07", "early_repayment", "Et underskud kan ikke tilbagebetales til køberne."))
        elif s.early_repayment > consequence.excess:
            findings.append(
                _error(
                    "R-SUR-07",
                    "early_repayment",
                    f"Kun overskuddet ud over grænsen kan tilbagebetales: højst {_kr(consequence.excess)}; "
                    f"der er angivet {_kr(s.early_repayment)}.",
                )
            )
    return consequence, findings


def _error(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.ERROR, message, field)


def _kr(value: Decimal) -> str:
    """A Danish amount in a finding's message ('1.234,50 kr.')."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{frac} kr."
