"""casanep:rh - monthly soil heterotrophic respiration (Pei et al. 2010)."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterRasterLayer

from .base import CasaAlgorithm, RasterOutput
from .compat import set_advanced
from .landcoverproduct import class_table_path, product_parameters
from .parameters import precipitation, temperature


class RhAlgorithm(CasaAlgorithm):
    """Soil heterotrophic respiration from monthly temperature and precipitation."""

    ALG_ID = "rh"
    DISPLAY = "Soil heterotrophic respiration (Pei)"
    SHORT = "Monthly soil heterotrophic respiration (gC m-2 month-1) from temperature and precipitation."
    TAGS = ("rh", "soil respiration", "heterotrophic respiration", "carbon", "climate")
    REFS = ("pei2010", "wang2025")
    TEMPERATURE = "TEMPERATURE"
    PRECIPITATION = "PRECIPITATION"
    LANDCOVER = "LANDCOVER"
    CLASS_TABLE = "CLASS_TABLE"
    OUTPUT = "OUTPUT"
    OUTPUTS = {"OUTPUT": RasterOutput("rh", "RH (gC m-2 month-1)", "rh_monthly", optional=False)}

    HELP = """<p>Monthly soil heterotrophic respiration RH (gC m<sup>-2</sup> month<sup>-1</sup>),
one output band per month (described YYYY-MM):</p>
<p><code>RH = 0.22 &times; (exp(0.0913 T) + ln(0.3145 R + 1)) &times; 30 &times; 0.465</code></p>
<p>T: monthly mean air temperature (&deg;C); R: monthly precipitation (mm month<sup>-1</sup>), both
monthly stacks with the same months. The factor 30 &times; 0.465 multiplies the whole bracket.</p>
<p>With a LANDCOVER raster (class codes of the LANDCOVER_PRODUCT - GLC_FCS30, ESA WorldCover or
MODIS IGBP - mapped by its shipped table, or by your own CLASS_TABLE), RH is computed on its
grid (climate resampled bilinearly) and masked to land: water and ice give nodata. Without it, RH is on the
temperature grid.</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.addParameter(temperature(self))
        self.addParameter(precipitation(self))
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.LANDCOVER, self.tr("Land cover (class codes; masks water and ice, sets the grid)"), optional=True
            )
        )
        for param in product_parameters(self, self.CLASS_TABLE):
            self.addParameter(set_advanced(param))
        self.add_raster_outputs()

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.model.run_rh`."""
        from ..core.model import run_rh

        written = run_rh(
            temperature=self.raster_path(parameters, self.TEMPERATURE, context),
            precipitation=self.raster_path(parameters, self.PRECIPITATION, context),
            landcover=self.raster_path(parameters, self.LANDCOVER, context),
            class_table=class_table_path(self, parameters, context, self.CLASS_TABLE),
            output=self.raster_outputs(parameters, context)["rh"],
            callbacks=self.callbacks(feedback),
        )
        return self.publish(written, context)
