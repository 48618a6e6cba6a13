"""Who is acting and what time it is: handed to every use case (the clock is injected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def today(clock: Clock) -> date:
    return clock().date()


ROLES = ("secretariat", "operator", "buyer", "board")
ROLE_LABELS = {
    "secretariat": "Sekretariat",
    "operator": "Driftsherre",
    "buyer": "Køber",
    "board": "Bestyrelsesmedlem",
}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str  # secretariat | operator | buyer | board | system
    organisation_id: int | None
    region_code: int | None
    second_factor: bool = False  # the person has set up a second factor (services/second_factor.py)
    must_change_password: bool = False  # logged in with an initial password (services/users.py)

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


SYSTEM = Actor(None, "system", "system", None, None)
