"""Results and findings as JSON-ready data (amounts as decimal strings), shared by API, CLI and storage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.tariffs import ServiceTariff, TariffResult, TraceStep


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def service_to_data(s: ServiceTariff) -> dict[str, Any]:
    return {
        "name": s.name,
        "tariff_type": s.tariff_type.value,
        "unit": s.unit,
        "cost_base": str(s.cost_base),
        "daily_tariff": _s(s.tariff) if s.unit == "dag" else None,
        "tariff": _s(s.tariff),
        "annual_tariff_per_place": _s(s.annual_tariff_per_place),
        "basis_tariff": _s(s.basis_tariff),
        "service_tariff": _s(s.service_tariff),
        "direct_support_hours_per_place_per_week": _s(s.direct_support_hours_per_place_per_week),
    }


def trace_to_data(step: TraceStep) -> dict[str, Any]:
    return {
        "rule_id": step.rule_id,
        "label": step.label,
        "formula": step.formula,
        "value": str(step.value),
        "unit": step.unit,
    }


def result_to_data(result: TariffResult) -> dict[str, Any]:
    return {
        "cost_base": str(result.cost_base),
        "available_place_days": str(result.available_place_days),
        "occupied_place_days": str(result.occupied_place_days),
        "categories": [{"key": k, "label": label, "amount": str(v)} for k, label, v in result.category_totals],
        "services": [service_to_data(s) for s in result.services],
        "trace": [trace_to_data(t) for t in result.trace],
    }


def finding_to_data(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": Severity(f.severity).value,
        "message": f.message,
        "source": f.source or f.field,
        "field": f.field,
        "needs_remark": f.needs_remark,
    }


def finding_from_data(d: dict[str, Any]) -> Finding:
    return Finding(
        d["rule_id"],
        Severity(d["severity"]),
        d["message"],
        d.get("field", ""),
        d.get("source", ""),
        d.get("needs_remark", False),
    )
