"""Write the HTML help pages shipped in the plugin (casa_nep_plugin/help/<id>.html).

    make help

Every page comes from the algorithm itself (casa_nep_plugin/algorithms/helppages.py),
so the dialog's help panel, the Help button's page and this script say the same.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    """Regenerate every page; remove pages of algorithms that no longer exist."""
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    from casa_nep_plugin.algorithms import ALGORITHMS
    from casa_nep_plugin.algorithms.helppages import HELP_DIR, page_html, page_path

    os.makedirs(HELP_DIR, exist_ok=True)
    written = set()
    for cls in ALGORITHMS:
        alg = cls()
        alg.initAlgorithm()
        path = page_path(alg.name())
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(page_html(alg))
        written.add(os.path.basename(path))
    for name in os.listdir(HELP_DIR):
        if name.endswith(".html") and name not in written:
            os.remove(os.path.join(HELP_DIR, name))
    print(f"{HELP_DIR}: {len(written)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
