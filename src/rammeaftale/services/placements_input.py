"""A placement as the buyer registers it: read from JSON or from one row of an imported file, then checked
against the registry (issue 5, handbook § 9).

Reading (``read_fields``) turns loose values (JSON values, CSV text, XLSX cells) into a ``PlacementInput``
and findings by field; ``check_placement`` adds what only the database knows (the offer and service, the
published tariffs, the municipalities, the citizen's other placements). Neither ever echoes a value that
could be a CPR number: the CPR field is named "rækkens CPR-nummer" / "CPR-nummeret", and any other value
that is shown is cut short with CPR-shaped numbers masked (``shown``).

Field names (JSON; the import's Danish column names map to them, ``adapters/placements_file.py``):
``cpr``, ``service_id`` or ``offer_code`` (+ ``service`` when the offer has several), ``level``,
``acting_municipality``, ``paying_municipality`` (absent: the acting municipality; null or "uafklaret": in
doubt, R-SET-01), ``contract`` (standard | older), ``offer_kind`` (absent: from the offer), ``start_date``,
``respite_granted_days``, ``negotiated_tariff``, ``agreed_notice_months``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from rammeaftale.adapters.db.placements_repositories import (
    REFUSED,
    StoredPlacement,
    published_levels,
    tariff_rates,
)
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.cpr import Cpr, CprError, parse_cpr
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import MoneyError, amount, round_ore_half_up
from rammeaftale.domain.notice import CONTRACT_LABELS, OFFER_KIND_LABELS, Contract, OfferKind
from rammeaftale.domain.registry import Offer, Service
from rammeaftale.services.context import Actor

GENERAL = "§ 9"  # placement data without a rule id of its own (handbook § 9)
IN_DOUBT = ("uafklaret", "ukendt", "in doubt")
MAX_TARIFF = Decimal("1000000")  # a daily tariff of a million kroner is a typing error
MAX_NOTICE_MONTHS = 12
EARLIEST_START = date(2000, 1, 1)
LATEST_START_AHEAD = timedelta(days=366)
MAX_RESPITE_DAYS = 800
MAX_SHOWN = 40
MAX_DB_INTEGER = 2_147_483_647
FIELDS = (
    "cpr",
    "service_id",
    "offer_code",
    "service",
    "level",
    "acting_municipality",
    "paying_municipality",
    "contract",
    "offer_kind",
    "start_date",
    "respite_granted_days",
    "negotiated_tariff",
    "agreed_notice_months",
)
CONTRACT_WORDS = {
    "standard": Contract.STANDARD,
    "standardkontrakt": Contract.STANDARD,
    "national standardkontrakt": Contract.STANDARD,
    "older": Contract.OLDER,
    "ældre": Contract.OLDER,
    "ældre kontrakt": Contract.OLDER,
    **{label.casefold(): c for c, label in CONTRACT_LABELS.items()},
}
OFFER_KIND_WORDS = {
    **{k.value: k for k in OfferKind},
    "almindeligt": OfferKind.STANDARD,
    "almindeligt tilbud": OfferKind.STANDARD,
    "særligt": OfferKind.SPECIAL,
    "særligt aftalt": OfferKind.SPECIAL,
    "særligt aftalt tilbud": OfferKind.SPECIAL,
    "substitutionsbehandling": OfferKind.SUBSTITUTION,
    "midlertidigt": OfferKind.INTERIM,
    "midlertidigt tilbud": OfferKind.INTERIM,
    **{label.casefold(): k for k, label in OFFER_KIND_LABELS.items()},
}
SPECIAL_OFFER_KINDS = ("acute",)  # registry kinds whose placements stop paying at the end date (R-SET-06)
RESPITE_OFFER_KIND = "respite"  # registry kind of respite offers: billed by granted days (R-SET-09)
_CPR_SHAPED = re.compile(r"\d{6}-?\d{4}")
_DANISH_DATE = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_DAY_SEPARATORS = re.compile(r"[\s,;]+")


def free_text(value: str, limit: int) -> str:
    """Free text to store (a reason, a supplement's name): no NUL, CPR-shaped numbers masked, cut to ``limit``.

    Such text reaches the audit trail and invoice lines, which never hold a CPR number.
    """
    return _CPR_SHAPED.sub("xxxxxx-xxxx", value.replace("\x00", "")).strip()[:limit]


def shown(value: object) -> str:
    """A value as a message may show it: at most 40 characters, CPR-shaped numbers masked."""
    text = _CPR_SHAPED.sub("xxxxxx-xxxx", str(value).strip())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def error(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.ERROR, message, field)


def warning(rule_id: str, field: str, message: str) -> Finding:
    return Finding(rule_id, Severity.WARNING, message, field)


@dataclass(frozen=True)
class PlacementInput:
    """A placement to register, read but not yet checked against the registry. ``repr`` masks the CPR."""

    cpr: Cpr
    acting_municipality: int
    paying_municipality: int | None
    contract: Contract
    start: date
    service_id: int | None = None
    offer_code: str = ""
    service_name: str = ""
    level: str = ""
    offer_kind: OfferKind | None = None
    respite_granted_days: tuple[date, ...] | None = None
    negotiated_tariff: Decimal | None = None
    agreed_notice_months: int | None = None


# --- reading loose values ------------------------------------------------------------------------------


class Unreadable(ValueError):
    """A value that could not be read; the Danish message names no value."""


def read_text(value: object) -> str:
    if isinstance(value, bool):
        raise Unreadable("skal være tekst")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | Decimal):
        return str(value).replace("\x00", "").strip()
    raise Unreadable("skal være tekst")


def read_date(value: object) -> date:
    """ISO (2025-03-01) or Danish (01-03-2025, 1.3.2025) text, or a date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise Unreadable("skal være en dato, fx 01-03-2025")
    text = value.strip()
    try:
        if match := _DANISH_DATE.match(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        raise Unreadable("er ikke en gyldig dato") from None
    raise Unreadable("skal være en dato, fx 01-03-2025")


def _integral(value: object) -> bool:
    """A finite float or Decimal without a fraction (an Excel number cell, a JSON number)."""
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()


def read_whole_number(value: object) -> int:
    """A whole number from 0 to what the database's integer columns hold (a larger one names nothing)."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif _integral(value):
        number = int(value)  # type: ignore[call-overload]
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 9:
        number = int(value.strip())
    if number is None or not 0 <= number <= MAX_DB_INTEGER:
        raise Unreadable("skal være et helt tal")
    return number


def read_amount(value: object) -> Decimal:
    """An exact amount in whole øre: a JSON number or string, Danish text ("2.070,25") or a number cell."""
    try:
        if isinstance(value, float):
            number = Decimal(repr(value)).quantize(Decimal("0.0001"))
        elif isinstance(value, str):
            number = amount(value.strip().removesuffix("kr.").removesuffix("kr").strip().replace(" ", ""))
        else:
            number = amount(value)
    except (MoneyError, InvalidOperation, ValueError):
        raise Unreadable("skal være et beløb, fx 2.070,25") from None
    if number != round_ore_half_up(number):
        raise Unreadable("skal være i hele øre")
    return round_ore_half_up(number)


def read_days(value: object) -> tuple[date, ...]:
    """A list of dates (JSON), or text with dates and ranges ("03-03-2025..07-03-2025 14-03-2025")."""
    items: list[object]
    if isinstance(value, list):
        items = list(value)
    elif isinstance(value, str):
        items = [part for part in _DAY_SEPARATORS.split(value.strip()) if part]
    elif isinstance(value, date):
        items = [value]
    else:
        raise Unreadable("skal være en liste af datoer")
    days: set[date] = set()
    for item in items:
        if isinstance(item, str) and ".." in item:
            first_text, _, last_text = item.partition("..")
            first, last = read_date(first_text), read_date(last_text)
            if last < first or (last - first).days > MAX_RESPITE_DAYS:
                raise Unreadable("har en periode, der slutter før den begynder eller er for lang")
            days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
        else:
            days.add(read_date(item))
        if len(days) > MAX_RESPITE_DAYS:
            raise Unreadable(f"har flere end {MAX_RESPITE_DAYS} døgn")
    return tuple(sorted(days))


def read_choice(value: object, words: Mapping[str, Contract | OfferKind]) -> Contract | OfferKind:
    found = words.get(read_text(value).casefold())
    if found is None:
        raise Unreadable("er ikke en af mulighederne")
    return found


LABELS = {
    "cpr": "CPR-nummeret",
    "service_id": "Ydelsen (service_id)",
    "offer_code": "Tilbuddet",
    "service": "Ydelsen",
    "level": "Niveauet",
    "acting_municipality": "Handlekommunen",
    "paying_municipality": "Betalingskommunen",
    "contract": "Kontrakttypen",
    "offer_kind": "Tilbudstypen",
    "start_date": "Startdatoen",
    "respite_granted_days": "De bevilgede aflastningsdøgn",
    "negotiated_tariff": "Den forhandlede takst",
    "agreed_notice_months": "Det aftalte opsigelsesvarsel (måneder)",
}
RULES = {
    "acting_municipality": "R-SET-01",
    "paying_municipality": "R-SET-01",
    "contract": "R-SET-01",
    "offer_kind": "R-SET-05",
    "start_date": "R-SET-04",
    "respite_granted_days": "R-SET-09",
    "negotiated_tariff": "R-SET-03",
    "agreed_notice_months": "R-SET-05",
}
CPR_FORMAT = "skal skrives som DDMMÅÅ-SSSS eller som 10 cifre (som tekst)."
CPR_DATE = "begynder ikke med en gyldig dato (DDMMÅÅ)."
CONTRACT_HINT = "'standard' (national standardkontrakt) eller 'ældre'"
OFFER_KIND_HINT = "'standard', 'special' (særligt aftalt), 'substitution' eller 'interim' (midlertidigt)"


def read_fields(
    values: Mapping[str, object], cpr_name: str = "CPR-nummeret"
) -> tuple[PlacementInput | None, list[Finding]]:
    """Typed values and findings by field; None when a value is missing or unreadable.

    ``cpr_name`` is how messages name the CPR number ("rækkens CPR-nummer" in an import): its value is
    never shown. Fields not in ``FIELDS`` are refused by the caller (``unknown_fields``).
    """
    findings: list[Finding] = []

    def present(field: str) -> bool:
        value = values.get(field)
        return value is not None and not (isinstance(value, str) and not value.strip()) and value != []

    def read(field: str, reader: Callable[[object], object], hint: str = "") -> object | None:
        if not present(field):
            return None
        try:
            return reader(values[field])
        except Unreadable as exc:
            label = cpr_name if field == "cpr" else LABELS[field]
            findings.append(error(RULES.get(field, GENERAL), field, f"{label} {exc}{hint}."))
            return None

    cpr: Cpr | None = None
    name = _capital(cpr_name)
    if not present("cpr"):
        findings.append(error(GENERAL, "cpr", f"{name} mangler."))
    else:
        try:
            cpr = parse_cpr(values["cpr"])
        except CprError as exc:
            problem = CPR_DATE if exc.reason == "date" else CPR_FORMAT
            findings.append(error(GENERAL, "cpr", f"{name} {problem}"))
    for required in ("acting_municipality", "start_date"):
        if not present(required):
            findings.append(error(RULES[required], required, f"{LABELS[required]} mangler."))
    if not present("service_id") and not present("offer_code"):
        findings.append(error(GENERAL, "offer_code", "Tilbuddet mangler (tilbudskode eller service_id)."))
    acting = read("acting_municipality", read_whole_number)
    paying: object | None
    raw_paying = values.get("paying_municipality", "")
    if "paying_municipality" in values and raw_paying is None:
        paying = None  # JSON null: in doubt (R-SET-01)
    elif isinstance(raw_paying, str) and raw_paying.strip().casefold() in IN_DOUBT:
        paying = None
    elif present("paying_municipality"):
        paying = read("paying_municipality", read_whole_number)
    else:
        paying = acting  # absent or blank: the acting municipality pays itself
    contract = read("contract", lambda v: read_choice(v, CONTRACT_WORDS), f" ({CONTRACT_HINT})")
    kind = read("offer_kind", lambda v: read_choice(v, OFFER_KIND_WORDS), f" ({OFFER_KIND_HINT})")
    start = read("start_date", read_date)
    days = read("respite_granted_days", read_days)
    if "respite_granted_days" in values and values["respite_granted_days"] == []:
        days = ()
    tariff = read("negotiated_tariff", read_amount)
    months = read("agreed_notice_months", read_whole_number)
    service_id = read("service_id", read_whole_number)
    texts = {f: read(f, read_text) for f in ("offer_code", "service", "level")}
    failed = any(f.is_error for f in findings)
    if failed or cpr is None or not isinstance(acting, int) or not isinstance(start, date):
        return None, findings
    if paying is not None and not isinstance(paying, int):
        return None, findings
    return (
        PlacementInput(
            cpr=cpr,
            acting_municipality=acting,
            paying_municipality=paying,
            contract=contract if isinstance(contract, Contract) else Contract.STANDARD,
            start=start,
            service_id=service_id if isinstance(service_id, int) else None,
            offer_code=str(texts["offer_code"] or ""),
            service_name=str(texts["service"] or ""),
            level=str(texts["level"] or ""),
            offer_kind=kind if isinstance(kind, OfferKind) else None,
            respite_granted_days=days if isinstance(days, tuple) else None,
            negotiated_tariff=tariff if isinstance(tariff, Decimal) else None,
            agreed_notice_months=months if isinstance(months, int) else None,
        ),
        findings,
    )


def unknown_fields(values: Mapping[str, object]) -> list[Finding]:
    """Fields the caller may not set (status, operator, who confirmed …) are refused, not ignored."""
    return [
        error(
            GENERAL,
            shown(key),
            f"Feltet '{shown(key)}' kendes ikke; en indskrivning har kun felterne {', '.join(FIELDS)}.",
        )
        for key in values
        if key not in FIELDS
    ]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- checking against the registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A placement that passed every check: what ``register_placement`` stores."""

    placement: PlacementInput
    offer: Offer
    service: Service
    offer_kind: OfferKind
    respite_granted_days: tuple[date, ...] | None


def resolve_service(uow: UnitOfWork, p: PlacementInput) -> tuple[Offer, Service] | Finding:
    """The offer and service a placement names (by service id, or by offer code and service name)."""
    if p.service_id is not None:
        service = uow.offers.service(p.service_id)
        offer = uow.offers.get(service.offer_id) if service else None
        if service is None or offer is None:
            return error(GENERAL, "service_id", "Ydelsen findes ikke.")
        return offer, service
    offer = uow.offers.by_code(p.offer_code)
    if offer is None:
        return error(GENERAL, "offer_code", f"Tilbuddet '{shown(p.offer_code)}' findes ikke.")
    if p.service_name:
        matches = [s for s in offer.services if s.name.casefold() == p.service_name.casefold()]
        if not matches:
            return error(
                GENERAL, "service", f"Tilbuddet {offer.code} har ingen ydelse ved navn '{shown(p.service_name)}'."
            )
        return offer, matches[0]
    if len(offer.services) != 1:
        names = ", ".join(f"'{s.name}'" for s in offer.services)
        return error(GENERAL, "service", f"Tilbuddet {offer.code} har flere ydelser; angiv hvilken ({names}).")
    return offer, offer.services[0]


def default_offer_kind(offer: Offer) -> OfferKind:
    """Crisis centres and shelters (registry kind 'acute') are specially agreed offers (R-SET-06)."""
    return OfferKind.SPECIAL if offer.current.kind in SPECIAL_OFFER_KINDS else OfferKind.STANDARD


def check_placement(
    uow: UnitOfWork,
    actor: Actor,
    p: PlacementInput,
    today: date,
    *,
    others: Sequence[StoredPlacement] = (),
) -> tuple[Checked | None, list[Finding]]:
    """Every registry check of a placement to register; ``others``: placements of the same citizen that are
    not yet stored (earlier rows of the same import). None with any error."""
    findings: list[Finding] = []
    buyer = uow.organisations.get(actor.organisation_id) if actor.organisation_id is not None else None
    if buyer is None or buyer.kommunekode != p.acting_municipality:
        findings.append(
            error(
                "R-SET-01",
                "acting_municipality",
                "Handlekommunen skal være din egen kommune: en køber registrerer kun sine egne borgeres indskrivninger.",
            )
        )
    if p.paying_municipality is not None:
        paying = uow.organisations.by_kommunekode(p.paying_municipality)
        if paying is None or paying.kind != "municipality":
            findings.append(error("R-SET-01", "paying_municipality", "Der er ingen kommune med denne kommunekode."))
    if not EARLIEST_START <= p.start <= today + LATEST_START_AHEAD:
        findings.append(error("R-SET-04", "start_date", "Startdatoen skal ligge fra år 2000 og højst et år frem."))
    if p.negotiated_tariff is not None and not Decimal(0) < p.negotiated_tariff < MAX_TARIFF:
        findings.append(
            error(
                "R-SET-03", "negotiated_tariff", "Den forhandlede takst skal være større end 0 og under 1.000.000 kr."
            )
        )
    if p.agreed_notice_months is not None and not 0 <= p.agreed_notice_months <= MAX_NOTICE_MONTHS:
        findings.append(
            error(
                "R-SET-05",
                "agreed_notice_months",
                f"Det aftalte opsigelsesvarsel skal være 0–{MAX_NOTICE_MONTHS} måneder.",
            )
        )
    resolved = resolve_service(uow, p)
    if isinstance(resolved, Finding):
        return None, [*findings, resolved]
    offer, service = resolved
    if offer.current.status.value == "closed":
        findings.append(error(GENERAL, "offer_code", f"Tilbuddet {offer.code} er lukket."))
    findings += _tariff_findings(uow, p, service)
    respite = offer.current.kind == RESPITE_OFFER_KIND
    days = p.respite_granted_days
    if respite and days is None:
        days = ()
        findings.append(
            warning(
                "R-SET-09",
                "respite_granted_days",
                "Aflastning betales efter bevilgede døgn; der er ingen bevilgede døgn endnu.",
            )
        )
    elif not respite and days is not None:
        findings.append(
            error(
                "R-SET-09",
                "respite_granted_days",
                f"Tilbuddet {offer.code} er ikke et aflastningstilbud; angiv ingen aflastningsdøgn.",
            )
        )
    if days and days[0] < p.start:
        findings.append(
            error("R-SET-09", "respite_granted_days", "Et bevilget aflastningsdøgn ligger før startdatoen.")
        )
    same = [o for o in [*uow.placements.with_cpr(p.cpr), *others] if o.service_id == service.id]
    if any(o.status != REFUSED and not o.ends_before(p.start) for o in same):
        findings.append(
            error(
                GENERAL,
                "cpr",
                "Borgeren har allerede en indskrivning i denne ydelse, som ikke slutter før startdatoen.",
            )
        )
    if any(f.is_error for f in findings):
        return None, findings
    kind = p.offer_kind or default_offer_kind(offer)
    return Checked(p, offer, service, kind, days if respite else None), findings


def _tariff_findings(uow: UnitOfWork, p: PlacementInput, service: Service) -> list[Finding]:
    """R-SET-03: the service must have a published daily tariff (for the level) by the start year, or the
    placement a negotiated tariff; a level must be one the appendix publishes."""
    published = uow.placements.published_daily_tariffs([service.id])
    levels = published_levels(published, service.id) - {""}
    if p.level and p.level not in levels:
        offered = ", ".join(sorted(levels)) or "ingen"
        return [
            error(
                "R-SET-03",
                "level",
                f"Ydelsen har ikke niveauet '{shown(p.level)}' i takstbilaget (niveauer: {offered}).",
            )
        ]
    if levels and not p.level and p.negotiated_tariff is None:
        return [error("R-SET-03", "level", f"Angiv ydelsens niveau ({', '.join(sorted(levels))}).")]
    rates = tariff_rates(published, service.id, p.level, p.start, p.negotiated_tariff)
    if not any(r.effective_from <= p.start for r in rates):
        return [
            error(
                "R-SET-03",
                "negotiated_tariff",
                f"Ydelsen har ingen offentliggjort døgntakst for {p.start.year} eller før; angiv en forhandlet takst.",
            )
        ]
    return []
