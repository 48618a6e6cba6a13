"""tools/sbom.py: a CycloneDX 1.5 inventory of what runs in production, from the installed metadata only."""

from __future__ import annotations

import json
import socket
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from tools.sbom import main, normalise

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
Sbom = dict[str, Any]
DEV_ONLY = ("pytest", "hypothesis", "ruff", "mypy", "schemathesis")


def direct_dependencies() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return [Requirement(line).name for line in project["dependencies"]]


@pytest.fixture
def sbom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sbom:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tools/sbom.py must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    output = tmp_path / "sbom.cdx.json"
    assert main([str(output)]) == 0
    data: Sbom = json.loads(output.read_text(encoding="utf-8"))
    return data


def test_the_sbom_is_cyclonedx_1_5_and_names_every_direct_dependency_with_its_installed_version(sbom: Sbom) -> None:
    assert (sbom["bomFormat"], sbom["specVersion"]) == ("CycloneDX", "1.5")
    assert sbom["metadata"]["component"]["name"] == "rammeaftale"
    installed_metadata = {normalise(Requirement(r).name) for r in metadata.requires("rammeaftale") or []}
    stale = {normalise(n) for n in direct_dependencies()} - installed_metadata
    assert not stale, f"rammeaftale's installed metadata predates pyproject.toml, run `make .venv/.installed`: {stale}"
    components = {normalise(c["name"]): c for c in sbom["components"]}
    for name in direct_dependencies():
        installed = metadata.version(name)
        assert components[normalise(name)]["version"] == installed, name
        assert components[normalise(name)]["purl"] == f"pkg:pypi/{normalise(name)}@{installed}"
    assert "starlette" in components and "psycopg-binary" in components  # transitive, and through an extra
    root = sbom["metadata"]["component"]["bom-ref"]
    direct = {components[normalise(n)]["bom-ref"] for n in direct_dependencies()}
    assert set(next(d["dependsOn"] for d in sbom["dependencies"] if d["ref"] == root)) == direct


def test_the_sbom_has_no_dev_only_package(sbom: Sbom) -> None:
    names = {normalise(c["name"]) for c in sbom["components"]}
    assert names.isdisjoint(DEV_ONLY)


def test_the_sbom_is_deterministic_and_carries_licences_where_the_metadata_has_them(sbom: Sbom, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    main([str(again)])
    assert json.loads(again.read_text(encoding="utf-8")) == sbom
    assert "timestamp" not in sbom["metadata"] and "serialNumber" not in sbom
    names = [normalise(c["name"]) for c in sbom["components"]]
    assert names == sorted(names) and len(names) == len(set(names))
    licensed = {normalise(c["name"]) for c in sbom["components"] if c.get("licenses")}
    assert {"fastapi", "sqlalchemy", "argon2-cffi"} <= licensed
