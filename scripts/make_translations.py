"""Write the translation template casa_nep_plugin/i18n/casanep.ts (Qt Linguist format).

    make translations

Every user-facing string: the literal arguments of ``tr(...)`` and
``QCoreApplication.translate("casanep", ...)`` calls in the plugin (not in core/,
which never talks to the user through Qt), and the texts the algorithms translate
from class attributes - DISPLAY, GROUP, SHORT, TAGS, the labels of OUTPUTS and the whole HELP, exactly as
``tr()`` receives them at run time.  Translators copy the template to
casanep_<lang>.ts, translate it in Qt Linguist and compile it with lrelease to
casanep_<lang>.qm; the plugin loads the .qm of the user's QGIS locale.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "casa_nep_plugin"
TARGET = PLUGIN / "i18n" / "casanep.ts"
CONTEXT = "casanep"


def literal_calls(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every tr("...") / translate("casanep", "...") with a literal text."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        args = node.args
        if name == "translate" and len(args) >= 2:
            args = args[1:]
        elif name != "tr":
            continue
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            out.append((node.lineno, args[0].value))
    return out


def class_texts() -> list[tuple[str, int, str]]:
    """(file, line, text) of the class attributes the algorithms pass to tr()."""
    sys.path.insert(0, str(ROOT))
    import inspect

    from casa_nep_plugin.algorithms import ALGORITHMS

    out = []
    for cls in ALGORITHMS:
        file = Path(inspect.getsourcefile(cls)).relative_to(PLUGIN).as_posix()
        line = inspect.getsourcelines(cls)[1]
        for attr in ("DISPLAY", "GROUP", "SHORT", "HELP"):
            if getattr(cls, attr, ""):
                out.append((file, line, getattr(cls, attr)))
        out.extend((file, line, tag) for tag in getattr(cls, "TAGS", ()))
        out.extend((file, line, output.label) for output in getattr(cls, "OUTPUTS", {}).values())
    return out


def build() -> str:
    """The whole .ts document."""
    entries: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(PLUGIN.rglob("*.py")):
        rel = path.relative_to(PLUGIN)
        if rel.parts[0] == "core":
            continue
        for line, text in literal_calls(path):
            entries.setdefault(text, []).append((rel.as_posix(), line))
    for file, line, text in class_texts():
        entries.setdefault(text, []).append((file, line))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        '<TS version="2.1">',
        "<context>",
        f"    <name>{CONTEXT}</name>",
    ]
    for text, where in entries.items():
        lines.append("    <message>")
        for file, line in sorted(set(where)):
            lines.append(f'        <location filename="../{escape(file)}" line="{line}"/>')
        lines.append(f"        <source>{escape(text)}</source>")
        lines.append('        <translation type="unfinished"></translation>')
        lines.append("    </message>")
    lines += ["</context>", "</TS>", ""]
    return "\n".join(lines)


def main() -> int:
    """Write the template and say how many strings it holds."""
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    text = build()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"{TARGET}: {text.count('<message>')} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
