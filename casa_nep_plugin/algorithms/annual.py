"""casanep:annual - annual NPP, RH, NEP, RH/NPP and the carbon sink/source map."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterLayer

from .base import CasaAlgorithm, RasterOutput
from .parameters import threshold


class AnnualAlgorithm(CasaAlgorithm):
    """Calendar-year totals of monthly NPP and RH, NEP, their ratio and a sink/source map."""

    ALG_ID = "annual"
    DISPLAY = "Annual carbon budget and sink/source map"
    SHORT = "Annual NPP, RH and NEP totals, the RH/NPP ratio and a carbon sink/source map."
    TAGS = ("annual", "nep", "carbon sink", "carbon source", "carbon budget", "ratio")
    REFS = ("wang2025",)
    NPP = "NPP"
    RH = "RH"
    THRESHOLD = "THRESHOLD"
    OUTPUTS = {
        "NPP_OUTPUT": RasterOutput("npp", "Annual NPP (gC m-2 a-1)", "npp_annual"),
        "RH_OUTPUT": RasterOutput("rh", "Annual RH (gC m-2 a-1)", "rh_annual"),
        "NEP_OUTPUT": RasterOutput("nep", "Annual NEP (gC m-2 a-1)", "nep_annual"),
        "RATIO_OUTPUT": RasterOutput("ratio", "RH/NPP (percent)", "ratio"),
        "CLASS_OUTPUT": RasterOutput("class", "Sink / warning / source", "sink_source"),
    }

    HELP = """<p>From monthly NPP and RH stacks (gC m<sup>-2</sup> month<sup>-1</sup>, bands YYYY-MM), one band per
calendar year (described YYYY):</p>
<ul><li>annual NPP and RH = sums of the year's months (gC m<sup>-2</sup> a<sup>-1</sup>); a cell missing a month
is nodata;</li>
<li>annual NEP = NPP - RH (positive: net sink);</li>
<li>RH/NPP = 100 &times; RH / NPP (percent), nodata where NPP &le; 0;</li>
<li>sink/source map: 1 sink (RH/NPP &lt; THRESHOLD, default 80 %), 2 warning (THRESHOLD to 100 %),
3 source (RH/NPP &gt; 100 %, i.e. NEP &lt; 0, or NPP &le; 0 with RH &gt; 0). Wang &amp; Liu (2025) read
80 % as the warning threshold.</li></ul>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.addParameter(QgsProcessingParameterRasterLayer(self.NPP, self.tr("NPP (monthly stack)")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.RH, self.tr("RH (monthly stack)")))
        self.addParameter(threshold(self))
        self.add_raster_outputs()

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.model.run_annual`."""
        from ..core.model import run_annual

        paths = self.raster_outputs(parameters, context)
        written = run_annual(
            npp=self.raster_path(parameters, self.NPP, context),
            rh=self.raster_path(parameters, self.RH, context),
            npp_output=paths["npp"],
            rh_output=paths["rh"],
            nep_output=paths["nep"],
            ratio_output=paths["ratio"],
            class_output=paths["class"],
            threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
            callbacks=self.callbacks(feedback),
        )
        return self.publish(written, context)
