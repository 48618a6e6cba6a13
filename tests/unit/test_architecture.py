"""The layout of shared/architecture.md holds: the domain stays pure, dependencies point inward."""

from __future__ import annotations

import ast
from pathlib import Path

import rammeaftale

PACKAGE = Path(rammeaftale.__file__).parent
FORBIDDEN_IN_DOMAIN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "openpyxl",
    "jinja2",
    "typer",
    "alembic",
    "fpdf",
    "uvicorn",
    "psycopg",
)
CLOCK_CALLS = ("now", "today", "utcnow")


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_domain_imports_no_framework_database_or_file_library():
    offenders = [
        f"{p.name}: {name}"
        for p in modules("domain")
        for name in imports(p)
        if name.split(".")[0] in FORBIDDEN_IN_DOMAIN
    ]
    assert offenders == []


def test_domain_imports_only_the_standard_library_and_itself():
    allowed_roots = {"__future__", "collections", "dataclasses", "datetime", "decimal", "enum", "typing", "rammeaftale"}
    offenders = [
        f"{p.name}: {n}" for p in modules("domain") for n in imports(p) if n.split(".")[0] not in allowed_roots
    ]
    assert offenders == []
    inward = [
        f"{p.name}: {n}"
        for p in modules("domain")
        for n in imports(p)
        if n.startswith("rammeaftale.") and not n.startswith("rammeaftale.domain")
    ]
    assert inward == []


def test_domain_never_reads_the_clock():
    offenders = []
    for path in modules("domain"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in CLOCK_CALLS:
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_services_do_not_import_entrypoints():
    offenders = [
        f"{p.name}: {n}" for p in modules("services") for n in imports(p) if n.startswith("rammeaftale.entrypoints")
    ]
    assert offenders == []


def test_adapters_do_not_import_services_or_entrypoints():
    offenders = [
        f"{p.name}: {n}"
        for p in modules("adapters")
        for n in imports(p)
        if n.startswith(("rammeaftale.services", "rammeaftale.entrypoints"))
    ]
    assert offenders == []
