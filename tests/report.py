"""Where the security figures of a test run go: the one place that decides the report files' paths.

``benchmarks/security.py`` (``make security``) sets ``RAMMEAFTALE_SECURITY_REPORT=DIR`` for the tests it
runs; each test that measures something writes ``DIR/<name>.json`` (``fuzz``, ``hostile``, ``cpr``,
``tenancy``) with ``write_figures``, and the benchmark reads them back with ``read_figures``. Without the
variable nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPORT_ENV = "RAMMEAFTALE_SECURITY_REPORT"


def report_file(folder: Path, name: str) -> Path:
    return folder / f"{name}.json"


def write_figures(name: str, figures: dict[str, Any]) -> None:
    """Write a test's figures for benchmarks/security.py (only when it asked for them)."""
    folder = os.environ.get(REPORT_ENV, "")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        report_file(Path(folder), name).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def read_figures(folder: Path, name: str) -> dict[str, Any]:
    """The figures a test wrote into ``folder``; empty when it wrote none."""
    path = report_file(folder, name)
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
