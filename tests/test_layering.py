"""Imports point inward only (DESIGN.md): domain → nothing of ours outside domain; formats → domain;
services → domain + formats (+ settings); adapters → anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "encaisse"

ALLOWED = {
    "domain": {"domain"},
    "formats": {"domain", "formats"},
    "services": {"domain", "formats", "services", "settings"},
}


def imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    layers: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "encaisse" and len(parts) > 1:
                layers.add(parts[1])
    return layers


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_inward(layer: str) -> None:
    offenders = []
    for path in sorted((SRC / layer).rglob("*.py")):
        bad = imported_layers(path) - ALLOWED[layer]
        if bad:
            offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert offenders == []


def test_the_check_sees_violations(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from encaisse.adapters.store import tables\nimport encaisse.domain.money\n")
    assert imported_layers(bad) == {"adapters", "domain"}
