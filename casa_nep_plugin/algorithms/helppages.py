"""The HTML help pages shipped in the plugin (help/<algorithm id>.html).

One source: each page is made from the algorithm itself - its short description,
its help text (``shortHelpString``) and its parameters - by ``scripts/make_help.py``
(``make help``); a test checks the shipped pages are up to date.
"""

from __future__ import annotations

import html
import os

from qgis.core import QgsProcessingAlgorithm

from .base import PLUGIN_DIR
from .compat import FLAG_OPTIONAL

HELP_DIR = os.path.join(PLUGIN_DIR, "help")

_STYLE = (
    "body{font-family:sans-serif;max-width:52em;margin:1em auto;padding:0 1em;line-height:1.4}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "code{background:#f4f4f4}"
)


def page_path(alg_id: str) -> str:
    """Where the page of ``alg_id`` (without the provider prefix) lives."""
    return os.path.join(HELP_DIR, f"{alg_id}.html")


def _rows(params) -> str:
    out = []
    for p in params:
        kind = "optional" if p.flags() & FLAG_OPTIONAL else "required"
        out.append(
            f"<tr><td><code>{html.escape(p.name())}</code></td><td>{html.escape(p.description())}</td>"
            f"<td>{kind}</td></tr>"
        )
    return "\n".join(out)


def page_html(alg: QgsProcessingAlgorithm) -> str:
    """Return the whole page of one algorithm (UTF-8 HTML)."""
    params = alg.parameterDefinitions()
    inputs = [p for p in params if not p.isDestination()]
    outputs = [p for p in params if p.isDestination()]
    title = html.escape(alg.displayName())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title} - CASA NEP</title><style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p><i>{html.escape(alg.shortDescription())}</i><br>"
        f"Algorithm id: <code>casanep:{html.escape(alg.name())}</code> "
        f"(group {html.escape(alg.group())})</p>",
        alg.shortHelpString(),
        "<h2>Inputs</h2>",
        "<table><tr><th>Parameter</th><th>Description</th><th></th></tr>",
        _rows(inputs),
        "</table>",
        "<h2>Outputs</h2>",
        "<table><tr><th>Parameter</th><th>Description</th><th></th></tr>",
        _rows(outputs),
        "</table>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)
