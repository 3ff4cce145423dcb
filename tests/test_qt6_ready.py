"""Ready for QGIS 4 / Qt6, as QGIS's pyqt5_to_pyqt6 checker sees it (zero findings on the plugin,
run by hand: see README, Development): no PyQt5 imports, no exec_(), no QVariant types, and QGIS or
Qt enums reached only through algorithms/compat.py (which picks the scoped name where it exists)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {("QgsProcessingContext", "LayerDetails"), ("Qgis", "QGIS_VERSION_INT"), ("Qgis", "QGIS_VERSION")}


def _sources():
    for base in ("casa_nep_plugin", "scripts"):
        for path in (ROOT / base).rglob("*.py"):
            if path.name != "compat.py":
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_no_pyqt5_imports_exec_or_qvariant():
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PyQt5"):
                found.append(f"{path.name}:{node.lineno} PyQt5 import")
            if isinstance(node, ast.Attribute) and node.attr == "exec_":
                found.append(f"{path.name}:{node.lineno} exec_")
            if isinstance(node, ast.Name) and node.id in ("QVariant", "qApp"):
                found.append(f"{path.name}:{node.lineno} {node.id}")
    assert found == []


def test_enums_only_through_compat():
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id.startswith(("Qgs", "Qgis", "Qt"))
                and node.attr[:1].isupper()
                and (node.value.id, node.attr) not in ALLOWED
            ):
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert found == []
