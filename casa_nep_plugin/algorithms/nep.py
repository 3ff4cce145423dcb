"""casanep:nep - net ecosystem productivity and the annual RH/NPP ratio."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterLayer

from .base import CasaAlgorithm, RasterOutput


class NepAlgorithm(CasaAlgorithm):
    """NEP = NPP - RH, month by month, and the annual RH/NPP ratio."""

    ALG_ID = "nep"
    DISPLAY = "Net ecosystem productivity (NPP - RH)"
    SHORT = "Monthly net ecosystem productivity, NEP = NPP - RH (gC m-2 month-1)."
    TAGS = ("nep", "net ecosystem productivity", "carbon sink", "carbon source", "carbon budget")
    REFS = ("pei2010", "wang2025")
    NPP = "NPP"
    RH = "RH"
    OUTPUT = "OUTPUT"
    RATIO_OUTPUT = "RATIO_OUTPUT"
    OUTPUTS = {
        "OUTPUT": RasterOutput("nep", "NEP (gC m-2 month-1)", "nep_monthly", optional=False),
        "RATIO_OUTPUT": RasterOutput("ratio", "Annual RH/NPP ratio (percent)", "ratio", by_default=False),
    }

    HELP = """<p>Monthly net ecosystem productivity (gC m<sup>-2</sup> month<sup>-1</sup>):</p>
<p><code>NEP = NPP - RH</code> (positive: net carbon sink).</p>
<p>NPP and RH are monthly stacks with the same months (band descriptions YYYY-MM); RH on another grid
is resampled bilinearly onto the NPP grid. Nodata in either gives nodata.</p>
<p>Optional: the annual ratio of totals <code>RH/NPP = 100 &times; &Sigma;RH / &Sigma;NPP</code> (percent),
one band per calendar year, nodata where annual NPP &le; 0. Wang &amp; Liu (2025) read &ge; 80 % as a
warning and &gt; 100 % (NEP &lt; 0) as a net source.</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.addParameter(QgsProcessingParameterRasterLayer(self.NPP, self.tr("NPP (gC m-2 month-1, monthly stack)")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.RH, self.tr("RH (gC m-2 month-1, monthly stack)")))
        self.add_raster_outputs()

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.model.run_nep`."""
        from ..core.model import run_nep

        outputs = self.raster_outputs(parameters, context)
        written = run_nep(
            npp=self.raster_path(parameters, self.NPP, context),
            rh=self.raster_path(parameters, self.RH, context),
            output=outputs["nep"],
            ratio_output=outputs["ratio"],
            callbacks=self.callbacks(feedback),
        )
        return self.publish(written, context)
