"""Without rasterio (or numpy) in QGIS's Python, the algorithms still show and say what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
sys.modules["rasterio"] = None  # import rasterio now raises ImportError, as where it is not installed
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
from casa_nep_plugin.provider import CasaNepProvider
provider = CasaNepProvider()
QgsApplication.processingRegistry().addProvider(provider)
algs = [a for a in provider.algorithms() if a.id() != "casanep:casa_nep_workflow"]
print("COUNT", len(algs))
ok, why = algs[0].canExecute()
print("CAN", ok)
print("WHY", why)
alg = QgsApplication.processingRegistry().algorithmById("casanep:npp")
try:
    alg.processAlgorithm({}, QgsProcessingContext(), QgsProcessingFeedback())
except QgsProcessingException as exc:
    print("RAISED", str(exc).splitlines()[0])
import os
sys.stdout.flush()  # os._exit skips the flush a pipe needs
os._exit(0)
"""


def test_algorithms_listed_with_an_install_hint():
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    out = res.stdout
    assert "COUNT" in out, res.stderr[-2000:]
    assert int(out.split("COUNT ")[1].split()[0]) >= 12
    assert "CAN False" in out
    why = out.split("WHY ")[1].splitlines()[0]
    assert "rasterio" in why and "apt install python3-rasterio" in why
    assert "RAISED casa-nep needs" in out
