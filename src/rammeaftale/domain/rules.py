"""RuleSet: the governance agreement's parameters for one region and period (handbook § 5).

The values live in versioned TOML files under ``rulesets/``; this module only checks their shape and
turns them into an immutable value. Reading the file is the adapter's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from rammeaftale.domain.money import MoneyError, amount

ParamKind = Literal["int", "decimal", "optional_decimal", "text", "month_day", "bool", "list"]


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: its kind, rule and label; ``choices`` limits a text parameter to those values.

    An ``optional_decimal`` is written as ``""`` when the region has not set it (handbook § 15: "no
    defaults from the sources"); it is then ``None``.
    """

    name: str
    kind: ParamKind
    rule_id: str
    label: str
    choices: tuple[str, ...] = ()


# Every parameter of handbook § 5, plus the few the handbook makes parameters in §§ 6.4, 9 and 15.
PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("days_in_tariff_year", "int", "R-TAR-01", "Dage i et takstår"),
    ParameterSpec("occupancy_min_pct", "decimal", "R-OCC-01", "Mindste budgetterede belægning, dag og døgn"),
    ParameterSpec("occupancy_max_pct", "decimal", "R-OCC-01", "Største budgetterede belægning"),
    ParameterSpec("occupancy_recommended_min_pct", "decimal", "R-OCC-01", "Anbefalet belægning, fra"),
    ParameterSpec("occupancy_recommended_max_pct", "decimal", "R-OCC-01", "Anbefalet belægning, til"),
    ParameterSpec(
        "occupancy_min_pct_short_stay",
        "decimal",
        "R-OCC-02",
        "Mindste belægning, korttid, akut og aflastning",
    ),
    ParameterSpec("reserve_max_pct", "decimal", "R-SUR-01", "Overskud der må hensættes (% af grundlaget)"),
    ParameterSpec("reserve_use_years", "int", "R-SUR-02", "År en hensættelse skal bruges inden for"),
    ParameterSpec("excess_due_years", "int", "R-SUR-03", "Senest regnskabsår + n for indregning i taksten"),
    ParameterSpec("deficit_own_pct", "decimal", "R-SUR-04", "Underskud der ikke må indregnes (%)"),
    ParameterSpec(
        "deficit_excess_due_years", "int", "R-SUR-05", "Underskud ud over grænsen: senest regnskabsår + n i taksten"
    ),
    ParameterSpec(
        "carry_forward_interest_pct",
        "decimal",
        "R-SUR-06",
        "Rente på overførte over- og underskud (% om året, samme begge veje)",
    ),
    ParameterSpec(
        "expired_reserve_due_years",
        "int",
        "R-SUR-02",
        "Udløbet hensættelse nedsætter taksten i udløbsåret + n",
    ),
    ParameterSpec("new_offer_loss_spread_years", "int", "R-NEW-02", "År et nyt tilbuds underskud kan fordeles"),
    ParameterSpec("civil_servant_pension_pct", "decimal", "R-TAR-07", "Tjenestemandspension (% af løn)"),
    ParameterSpec("supplement_variable_costs_pct", "decimal", "R-SUP-02", "Variable følgeomkostninger (%)"),
    ParameterSpec("normal_working_time", "text", "R-SUP-03", "Normal arbejdstid for ATA-takst"),
    ParameterSpec("notice_extra_months", "int", "R-SET-05", "Opsigelse: løbende måned + antal måneder"),
    ParameterSpec("substitution_notice_days", "int", "R-SET-07", "Opsigelse, substitutionsbehandling (dage)"),
    ParameterSpec(
        "interim_closing_costs_extra_months",
        "int",
        "R-SET-08",
        "Midlertidigt tilbud: dokumenterede lukkeomkostninger højst løbende måned + antal måneder",
    ),
    ParameterSpec("respite_billed_by", "text", "R-SET-09", "Aflastning afregnes efter", ("granted_days", "used_days")),
    ParameterSpec("closure_hearing_months", "int", "R-GOV-02", "Høringsperiode ved lukning (måneder)"),
    ParameterSpec(
        "capacity_change_board_threshold_places",
        "int",
        "R-GOV-03",
        "Pladsændring der kræver styregruppen (0 = enhver)",
    ),
    ParameterSpec("tariff_pact", "bool", "R-PACT-01", "Takstaftale: taksterne må ikke stige"),
    ParameterSpec("tariff_submission_deadline", "month_day", "R-CYC-02", "Frist for takstindberetning"),
    ParameterSpec("accounts_deadline", "month_day", "R-CYC-01", "Frist for regnskab"),
    ParameterSpec("significant_tariff_change_pct", "decimal", "R-TAR-13", "Væsentlig takstændring (%)"),
    ParameterSpec("payment_days", "int", "R-SET-11", "Betalingsfrist (dage)"),
    ParameterSpec(
        "payment_days_bound",
        "text",
        "R-SET-11",
        "Betalingsfristen er en største eller mindste frist",
        ("at_most", "at_least"),
    ),
    ParameterSpec("billing_in_advance_allowed", "bool", "R-SET-11", "Fakturering forud er tilladt"),
    ParameterSpec(
        "on_account_installments_per_year",
        "int",
        "R-SET-12",
        "A conto-rater om året for objektivt finansierede pladser",
    ),
    ParameterSpec(
        "health_refund_hourly_price",
        "optional_decimal",
        "R-REF-01",
        "Refusion af sundhedsydelser: fælles timepris (tom = ingen aftalt)",
    ),
    ParameterSpec(
        "health_refund_minimum_claim",
        "optional_decimal",
        "R-REF-01",
        "Refusion af sundhedsydelser: bagatelgrænse pr. krav (tom = ingen)",
    ),
    ParameterSpec("required_categories", "list", "R-TAR-02", "Krævede omkostningskategorier"),
    ParameterSpec("citizen_directed_lines", "list", "R-TAR-04", "Linjer der følger borgeren (ydelsesdel)"),
)
PARAMETER_BY_NAME = {p.name: p for p in PARAMETERS}


class RuleSetError(ValueError):
    """A rule-set file that does not match the schema; ``problems`` lists every problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Parameter:
    spec: ParameterSpec
    value: object
    assumed: bool
    note: str = ""


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: int
    region_code: int
    region_name: str
    agreement_name: str
    first_year: int
    last_year: int
    parameters: Mapping[str, Parameter] = field(repr=False)

    # Typed accessors keep callers free of string keys.
    def decimal(self, name: str) -> Decimal:
        value = self.parameters[name].value
        assert isinstance(value, Decimal)
        return value

    def integer(self, name: str) -> int:
        value = self.parameters[name].value
        assert isinstance(value, int)
        return value

    def optional_decimal(self, name: str) -> Decimal | None:
        value = self.parameters[name].value
        assert value is None or isinstance(value, Decimal)
        return value

    def text(self, name: str) -> str:
        value = self.parameters[name].value
        assert isinstance(value, str)
        return value

    def flag(self, name: str) -> bool:
        value = self.parameters[name].value
        assert isinstance(value, bool)
        return value

    def names(self, name: str) -> tuple[str, ...]:
        value = self.parameters[name].value
        assert isinstance(value, tuple)
        return value

    @property
    def days_in_year(self) -> int:
        return self.integer("days_in_tariff_year")

    def covers(self, budget_year: int) -> bool:
        return self.first_year <= budget_year <= self.last_year

    def tariff_submission_deadline(self, budget_year: int) -> date:
        """R-CYC-02: the deadline lies in the year before the budget year."""
        month, day = self._month_day("tariff_submission_deadline")
        return date(budget_year - 1, month, day)

    def accounts_deadline(self, accounts_year: int) -> date:
        """R-CYC-01: the accounts deadline lies in the year after the accounts year."""
        month, day = self._month_day("accounts_deadline")
        return date(accounts_year + 1, month, day)

    def _month_day(self, name: str) -> tuple[int, int]:
        value = self.parameters[name].value
        assert isinstance(value, tuple)
        return int(value[0]), int(value[1])

    @property
    def assumed_parameters(self) -> tuple[str, ...]:
        return tuple(name for name, p in self.parameters.items() if p.assumed)


_HEADER_FIELDS: dict[str, type] = {
    "id": str,
    "version": int,
    "region_code": int,
    "region_name": str,
    "agreement_name": str,
    "first_year": int,
    "last_year": int,
}


def parse_ruleset(data: Mapping[str, object]) -> RuleSet:
    """Check a rule set read from TOML against the schema and build it. Lists every problem."""
    problems: list[str] = []
    header: dict[str, object] = {}
    for name, kind in _HEADER_FIELDS.items():
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"'{name}' mangler eller er ikke {kind.__name__}")
        header[name] = value
    raw_params = data.get("parameters")
    if not isinstance(raw_params, Mapping):
        raise RuleSetError([*problems, "'parameters' mangler"])
    unknown = sorted(set(raw_params) - set(PARAMETER_BY_NAME))
    problems.extend(f"ukendt parameter '{name}'" for name in unknown)
    params: dict[str, Parameter] = {}
    for spec in PARAMETERS:
        entry = raw_params.get(spec.name)
        if not isinstance(entry, Mapping) or "value" not in entry:
            problems.append(f"parameter '{spec.name}' ({spec.rule_id}) mangler eller har ingen 'value'")
            continue
        if entry.get("rule", spec.rule_id) != spec.rule_id:
            problems.append(f"parameter '{spec.name}' hører til {spec.rule_id}, ikke {entry.get('rule')}")
        try:
            value = _convert(spec, entry["value"])
        except (ValueError, TypeError) as exc:
            problems.append(f"parameter '{spec.name}': {exc}")
            continue
        assumed = entry.get("assumed", False)
        if not isinstance(assumed, bool):
            problems.append(f"parameter '{spec.name}': 'assumed' skal være true eller false")
            assumed = False
        params[spec.name] = Parameter(spec, value, assumed, str(entry.get("note", "")))
    if not problems and int(header["first_year"]) > int(header["last_year"]):  # type: ignore[call-overload]
        problems.append("'first_year' ligger efter 'last_year'")
    if problems:
        raise RuleSetError(problems)
    return RuleSet(
        id=str(header["id"]),
        version=int(header["version"]),  # type: ignore[call-overload]
        region_code=int(header["region_code"]),  # type: ignore[call-overload]
        region_name=str(header["region_name"]),
        agreement_name=str(header["agreement_name"]),
        first_year=int(header["first_year"]),  # type: ignore[call-overload]
        last_year=int(header["last_year"]),  # type: ignore[call-overload]
        parameters=params,
    )


def _convert(spec: ParameterSpec, value: object) -> object:
    if spec.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("skal være et heltal")
        return value
    if spec.kind == "decimal":
        if isinstance(value, float):
            raise TypeError('skal skrives som heltal eller tekst ("2.5"), ikke kommatal')
        try:
            return amount(value)
        except MoneyError as exc:
            raise ValueError(str(exc)) from exc
    if spec.kind == "optional_decimal":
        if isinstance(value, str) and value.strip() == "":
            return None
        return _convert(ParameterSpec(spec.name, "decimal", spec.rule_id, spec.label), value)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise TypeError("skal være true eller false")
        return value
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError("skal være en liste af tekster")
        return tuple(value)
    if not isinstance(value, str):
        raise TypeError("skal være tekst")
    if spec.kind == "month_day":
        month_text, _, day_text = value.partition("-")
        month, day = int(month_text), int(day_text)
        date(2001, month, day)  # raises ValueError for an impossible date
        return (month, day)
    if spec.choices and value not in spec.choices:
        raise ValueError(f"skal være en af {', '.join(spec.choices)}, ikke '{value}'")
    return value
