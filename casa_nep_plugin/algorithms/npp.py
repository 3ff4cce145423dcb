"""casanep:npp - monthly net primary productivity by the CASA model."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterNumber

from .base import CasaAlgorithm, RasterOutput, static_enum
from .compat import NUMBER_DOUBLE, set_advanced
from .landcoverproduct import product_hint
from .parameters import (
    epsilon_max,
    gap_fill,
    gap_fill_values,
    model_input_values,
    model_inputs,
    ndvi_scale,
    vegetation_table,
)


class NppAlgorithm(CasaAlgorithm):
    """CASA NPP from monthly NDVI, climate and a vegetation-class map."""

    ALG_ID = "npp"
    DISPLAY = "Net primary productivity (CASA)"
    SHORT = "Monthly net primary productivity (gC m-2 month-1) by the CASA light-use-efficiency model."
    TAGS = ("npp", "casa", "net primary productivity", "light use efficiency", "fpar", "carbon", "ndvi")
    REFS = ("potter1993", "zhu2006", "zhu2007", "wang2025")
    NDVI = "NDVI"
    LANDCOVER = "LANDCOVER"
    CLASS_TABLE = "CLASS_TABLE"
    VEGETATION_TABLE = "VEGETATION_TABLE"
    SOLAR_RADIATION = "SOLAR_RADIATION"
    TEMPERATURE = "TEMPERATURE"
    PRECIPITATION = "PRECIPITATION"
    EVAPOTRANSPIRATION = "EVAPOTRANSPIRATION"
    POTENTIAL_ET = "POTENTIAL_ET"
    OPTIMAL_TEMPERATURE = "OPTIMAL_TEMPERATURE"
    OPTIMAL_TEMPERATURE_VALUE = "OPTIMAL_TEMPERATURE_VALUE"
    NDVI_SCALE = "NDVI_SCALE"
    EPSILON_MAX = "EPSILON_MAX"
    NDVI_BOUNDS = "NDVI_BOUNDS"
    BOUNDS_OPTIONS = ["table", "percentiles"]
    OUTPUT = "OUTPUT"
    FPAR_OUTPUT = "FPAR_OUTPUT"
    LUE_OUTPUT = "LUE_OUTPUT"
    RH_OUTPUT = "RH_OUTPUT"
    NEP_OUTPUT = "NEP_OUTPUT"
    GAP_FILL = "GAP_FILL"
    MAX_GAP = "MAX_GAP"
    OUTPUTS = {
        "OUTPUT": RasterOutput("npp", "NPP (gC m-2 month-1)", "npp_monthly", optional=False),
        "FPAR_OUTPUT": RasterOutput("fpar", "FPAR (unitless)", "fpar", by_default=False),
        "LUE_OUTPUT": RasterOutput("lue", "Light-use efficiency (gC MJ-1)", "lue", by_default=False),
        "RH_OUTPUT": RasterOutput("rh", "RH in the same pass (gC m-2 month-1)", "rh_monthly", by_default=False),
        "NEP_OUTPUT": RasterOutput("nep", "NEP in the same pass (gC m-2 month-1)", "nep_monthly", by_default=False),
    }

    HELP = """<p>Monthly net primary productivity (gC m<sup>-2</sup> month<sup>-1</sup>) by the CASA
light-use-efficiency model, one output band per month (described YYYY-MM).</p>
<p><code>NPP = APAR &times; &epsilon;</code>, <code>APAR = SOL &times; FPAR &times; 0.5</code>,
<code>&epsilon; = Te1 &times; Te2 &times; We &times; &epsilon;max(class)</code>.</p>
<ul>
<li><b>FPAR</b> (Zhu et al. 2007): mean of the NDVI and simple-ratio forms between the class's
NDVI bounds, within [0.001, 0.95].</li>
<li><b>Te1</b> = 0.8 + 0.02 Topt - 0.0005 Topt&sup2; (0 where T &le; -10 &deg;C);
<b>Te2</b> = 1.1814 / ((1+e<sup>0.2(Topt-10-T)</sup>)(1+e<sup>0.3(-Topt-10+T)</sup>)), halved at Topt where
T &gt; Topt+10 or T &lt; Topt-13. Topt is the temperature of the month with the highest NDVI in each
calendar year, unless given.</li>
<li><b>We</b> = 0.5 + 0.5 E/EP within [0.5, 1], EP = (E + Ep0)/2; Ep0 by Thornthwaite unless
POTENTIAL_ET is given; E from EVAPOTRANSPIRATION or else Zhou &amp; Zhang (1995).</li>
</ul>
<p><b>Inputs</b>: monthly stacks, one band per month described YYYY-MM: NDVI (unitless; NDVI_SCALE
0.0001 for MODIS integers), SOLAR_RADIATION (MJ m<sup>-2</sup> month<sup>-1</sup>), TEMPERATURE (&deg;C),
PRECIPITATION, EVAPOTRANSPIRATION and POTENTIAL_ET (mm month<sup>-1</sup>). Climate stacks on another
grid or CRS are resampled bilinearly onto the NDVI grid. LANDCOVER holds the class codes of a
LANDCOVER_PRODUCT (GLC_FCS30, ESA WorldCover or MODIS IGBP), mapped to CASA vegetation classes by the
product's shipped table, or by your own CLASS_TABLE (CSV code,class); water and ice give nodata. Without
OPTIMAL_TEMPERATURE and POTENTIAL_ET the stacks must cover whole calendar years. EPSILON_MAX, when set
(e.g. Potter's 0.389 gC MJ<sup>-1</sup>), replaces the class values. NDVI_BOUNDS "percentiles" takes each
class's NDVImin/NDVImax as the 5 % / 95 % percentiles of the input NDVI of that class instead of the table's.</p>
<p>Optional RH_OUTPUT and NEP_OUTPUT compute soil heterotrophic respiration (as casanep:rh, masked to land) and
NEP = NPP - RH in the same pass on the NDVI grid: the fastest way to the whole chain.</p>
<p>GAP_FILL linear fills a cell's missing NDVI month by linear interpolation in time between its nearest valid
months before and after (across a year boundary when the stack continues) where the gap is at most MAX_GAP months
(default 2); longer gaps, or gaps with no valid month on one side, stay nodata. Default none: a month without NDVI
gives no NPP, and the cell drops out of that year's annual map.</p>"""

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        add = self.addParameter
        for param in model_inputs(self):
            add(param)
        add(
            set_advanced(
                QgsProcessingParameterNumber(
                    self.OPTIMAL_TEMPERATURE_VALUE,
                    self.tr("Optimal temperature as one value (degC)"),
                    type=NUMBER_DOUBLE,
                    optional=True,
                    minValue=-30,
                    maxValue=50,
                )
            )
        )
        add(ndvi_scale(self))
        add(epsilon_max(self))
        add(
            set_advanced(
                static_enum(
                    self.NDVI_BOUNDS,
                    self.tr("Class NDVI bounds: vegetation table, or 5 %/95 % percentiles of the input"),
                    self.BOUNDS_OPTIONS,
                    "table",
                )
            )
        )
        add(vegetation_table(self))
        for param in gap_fill(self, "none"):
            add(param)
        self.add_raster_outputs()

    def params(self, parameters, context):
        """Return the model parameters: the defaults, with EPSILON_MAX when given."""
        import dataclasses

        from ..core.params import ModelParams

        params = ModelParams()
        eps = self.optional_number(parameters, self.EPSILON_MAX, context)
        if eps is not None:
            params = dataclasses.replace(params, casa=dataclasses.replace(params.casa, epsilon_max_override=eps))
        return params

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.model.run_npp`."""
        from ..core.errors import CasaInputError
        from ..core.gapfill import npp_gap_kwargs
        from ..core.model import run_npp

        inputs = model_input_values(self, parameters, context)
        if inputs["optimal_temperature"] is None:
            inputs["optimal_temperature"] = self.optional_number(parameters, self.OPTIMAL_TEMPERATURE_VALUE, context)
        outputs = self.raster_outputs(parameters, context)
        try:
            written = run_npp(
                **inputs,
                vegetation_table=self.file_path(parameters, self.VEGETATION_TABLE, context),
                params=self.params(parameters, context),
                output=outputs["npp"],
                fpar_output=outputs["fpar"],
                lue_output=outputs["lue"],
                ndvi_bounds=self.enum_string(parameters, self.NDVI_BOUNDS, context),
                rh_output=outputs["rh"],
                nep_output=outputs["nep"],
                callbacks=self.callbacks(feedback),
                **npp_gap_kwargs(*gap_fill_values(self, parameters, context)),
            )
        except CasaInputError as exc:
            if exc.parameter != "LANDCOVER":
                raise
            raise CasaInputError("LANDCOVER", product_hint(exc.message)) from exc
        return self.publish(written, context)
