"""Field paths of the public JSON shape: ``offer.name``, ``occupancy.previous_years[0]``, ``service.levels[2].name``."""

from __future__ import annotations

import re
from collections.abc import Mapping

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


class FieldPathError(ValueError):
    """A field path the layout should never contain."""


def parse_path(field: str) -> list[tuple[str, int | None]]:
    """``service.levels[2].name`` -> ``[("service", None), ("levels", 2), ("name", None)]``."""
    segments: list[tuple[str, int | None]] = []
    for part in field.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise FieldPathError(f"Invalid field path: {field!r}")
        index = match.group(2)
        segments.append((match.group(1), int(index) if index is not None else None))
    return segments


def get_path(data: Mapping[str, object], field: str) -> object:
    """The value at ``field`` in a (possibly partial) public-shape mapping, or None."""
    current: object = data
    for key, index in parse_path(field):
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
        if index is not None:
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
    return current
