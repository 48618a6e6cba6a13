"""Write a CycloneDX 1.5 JSON SBOM of the installed runtime dependencies of rammeaftale (`make sbom`).

Walks `importlib.metadata` from the `rammeaftale` distribution's Requires-Dist, transitively, with the
environment markers evaluated for this interpreter and the extras asked for (never the `dev` extra);
each component has name, installed version, purl `pkg:pypi/<name>@<version>` and the licence where the
metadata gives one. Downloads nothing. The output is deterministic: sorted, no serial number, and a
timestamp only when one is passed in.

    .venv/bin/python tools/sbom.py [OUTPUT]        default bench/sbom.cdx.json
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement  # comes with pip's and pytest's dependencies

ROOT = "rammeaftale"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "bench" / "sbom.cdx.json"
LICENSE_CLASSIFIER = "License :: "


def normalise(name: str) -> str:
    """PEP 503 name, also what the purl spec asks for pypi (lower case, dashes)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def purl(name: str, version: str) -> str:
    return f"pkg:pypi/{normalise(name)}@{version}"


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))


def runtime_requirements(root: str = ROOT) -> dict[str, tuple[metadata.Distribution, set[str]]]:
    """Every installed distribution the root needs at run time: normalised name -> (distribution, needs)."""
    found: dict[str, tuple[metadata.Distribution, set[str]]] = {}
    extras_seen: dict[str, frozenset[str]] = {}
    missing: list[str] = []
    queue: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while queue:
        name, extras = queue.pop()
        key = normalise(name)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        try:
            dist = found[key][0] if key in found else metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        needs = found[key][1] if key in found else set()
        found[key] = (dist, needs)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if _applies(requirement, extras_seen[key]):
                needs.add(normalise(requirement.name))
                queue.append((requirement.name, frozenset(requirement.extras)))
    if missing:
        raise SystemExit(f"not installed, run `make .venv/.installed`: {', '.join(sorted(missing))}")
    return found


def licences(dist: metadata.Distribution) -> list[dict[str, Any]]:
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return [{"expression": expression}]
    text = _field(meta, "License")
    if text and "\n" not in text and len(text) <= 100 and text.upper() != "UNKNOWN":
        return [{"license": {"name": text}}]
    names = sorted(
        {c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith(LICENSE_CLASSIFIER)}
        - {"OSI Approved"}
    )
    return [{"license": {"name": name}} for name in names]


def _field(meta: metadata.PackageMetadata, name: str) -> str:
    values = meta.get_all(name) or []
    return str(values[0]).strip() if values else ""


def component(dist: metadata.Distribution, kind: str = "library") -> dict[str, Any]:
    name, version = dist.metadata["Name"], dist.version
    entry: dict[str, Any] = {
        "type": kind,
        "bom-ref": purl(name, version),
        "name": name,
        "version": version,
        "purl": purl(name, version),
    }
    found = licences(dist)
    if found:
        entry["licenses"] = found
    return entry


def build_sbom(root: str = ROOT, timestamp: datetime | None = None) -> dict[str, Any]:
    graph = runtime_requirements(root)
    root_key = normalise(root)
    ref = {key: purl(dist.metadata["Name"], dist.version) for key, (dist, _) in graph.items()}
    meta: dict[str, Any] = {
        "tools": {"components": [{"type": "application", "name": "tools/sbom.py"}]},
        "component": component(graph[root_key][0], "application"),
    }
    if timestamp is not None:
        meta = {"timestamp": timestamp.isoformat(timespec="seconds"), **meta}
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": meta,
        "components": [component(graph[key][0]) for key in sorted(graph) if key != root_key],
        "dependencies": [
            {"ref": ref[key], "dependsOn": sorted(ref[need] for need in graph[key][1] if need in ref)}
            for key in sorted(graph)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    sbom = build_sbom()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(sbom, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{output}: {len(sbom['components'])} components")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
