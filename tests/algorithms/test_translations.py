"""Translatable: tr() gets literal texts only, and the template holds every user-facing text."""

from __future__ import annotations

import ast
import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_f_strings_inside_tr():
    offenders = []
    for path in (ROOT / "casa_nep_plugin").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "tr":
                if node.args and isinstance(node.args[0], ast.JoinedStr):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_template_holds_help_and_parameter_texts(casanep_provider):
    spec = importlib.util.spec_from_file_location("make_translations", ROOT / "scripts" / "make_translations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    root = ET.fromstring(mod.build())
    sources = {m.findtext("source") for m in root.iter("message")}
    npp = casanep_provider.algorithm("npp")
    assert type(npp).HELP in sources  # exactly what shortHelpString passes to tr()
    assert type(npp).SHORT in sources and type(npp).DISPLAY in sources
    assert npp.parameterDefinition("NDVI").description() in sources
    assert "{name}: cannot load '{value}' as a raster." in sources
