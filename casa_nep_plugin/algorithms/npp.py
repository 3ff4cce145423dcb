"""casanep:npp - monthly net primary productivity by the CASA model."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import CasaAlgorithm
from .compat import FILE_BEHAVIOR_FILE, NUMBER_DOUBLE, NUMBER_INTEGER, set_advanced
from .landcoverproduct import class_table_path, product_hint, product_parameters
from .styles import style_on_load


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
    GAP_FILLS = ["none", "linear"]

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

    def initAlgorithm(self, config=None):  # noqa: N802
        """Declare parameters."""
        add = self.addParameter
        add(QgsProcessingParameterRasterLayer(self.NDVI, self.tr("NDVI (monthly stack)")))
        add(QgsProcessingParameterRasterLayer(self.LANDCOVER, self.tr("Land cover (class codes)")))
        for param in product_parameters(self, self.CLASS_TABLE):
            add(param)
        add(QgsProcessingParameterRasterLayer(self.SOLAR_RADIATION,
                                              self.tr("Solar radiation (MJ m-2 month-1, monthly stack)")))
        add(QgsProcessingParameterRasterLayer(self.TEMPERATURE, self.tr("Mean air temperature (degC, monthly stack)")))
        add(QgsProcessingParameterRasterLayer(self.PRECIPITATION, self.tr("Precipitation (mm month-1, monthly stack)")))
        add(QgsProcessingParameterRasterLayer(
            self.EVAPOTRANSPIRATION, self.tr("Actual evapotranspiration (mm month-1; Zhou & Zhang when empty)"),
            optional=True))
        add(QgsProcessingParameterRasterLayer(
            self.POTENTIAL_ET, self.tr("Potential evapotranspiration (mm month-1; Thornthwaite when empty)"),
            optional=True))
        add(QgsProcessingParameterRasterLayer(
            self.OPTIMAL_TEMPERATURE, self.tr("Optimal temperature Topt (degC; NDVI-peak month when empty)"),
            optional=True))
        add(set_advanced(QgsProcessingParameterNumber(
            self.OPTIMAL_TEMPERATURE_VALUE, self.tr("Optimal temperature as one value (degC)"),
            type=NUMBER_DOUBLE, optional=True, minValue=-30, maxValue=50)))
        add(QgsProcessingParameterNumber(self.NDVI_SCALE, self.tr("NDVI scale factor (0.0001 for MODIS integers)"),
                                         type=NUMBER_DOUBLE, defaultValue=1.0, minValue=0.0))
        add(set_advanced(QgsProcessingParameterNumber(
            self.EPSILON_MAX, self.tr("One maximum light-use efficiency for all classes (gC MJ-1; Potter: 0.389)"),
            type=NUMBER_DOUBLE, optional=True, minValue=0.0, maxValue=5.0)))
        bounds = QgsProcessingParameterEnum(
            self.NDVI_BOUNDS, self.tr("Class NDVI bounds: vegetation table, or 5 %/95 % percentiles of the input"),
            options=self.BOUNDS_OPTIONS, defaultValue="table")
        bounds.setUsesStaticStrings(True)
        add(set_advanced(bounds))
        add(set_advanced(QgsProcessingParameterFile(
            self.VEGETATION_TABLE, self.tr("Vegetation class parameters (CSV; default Zhu et al. 2006)"),
            behavior=FILE_BEHAVIOR_FILE, extension="csv", optional=True)))
        gap = QgsProcessingParameterEnum(self.GAP_FILL, self.tr("Fill NDVI gaps in time"), options=self.GAP_FILLS,
                                         defaultValue="none")
        gap.setUsesStaticStrings(True)
        add(gap)
        add(QgsProcessingParameterNumber(self.MAX_GAP, self.tr("Longest NDVI gap filled (months)"),
                                         type=NUMBER_INTEGER, defaultValue=2, minValue=0))
        add(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("NPP (gC m-2 month-1)")))
        add(QgsProcessingParameterRasterDestination(self.FPAR_OUTPUT, self.tr("FPAR (unitless)"),
                                                    optional=True, createByDefault=False))
        add(QgsProcessingParameterRasterDestination(self.LUE_OUTPUT, self.tr("Light-use efficiency (gC MJ-1)"),
                                                    optional=True, createByDefault=False))
        add(QgsProcessingParameterRasterDestination(
            self.RH_OUTPUT, self.tr("RH in the same pass (gC m-2 month-1)"), optional=True, createByDefault=False))
        add(QgsProcessingParameterRasterDestination(
            self.NEP_OUTPUT, self.tr("NEP in the same pass (gC m-2 month-1)"), optional=True, createByDefault=False))

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.model.run_npp`."""
        import dataclasses

        from ..core.errors import CasaInputError
        from ..core.gapfill import npp_gap_kwargs
        from ..core.model import run_npp
        from ..core.params import ModelParams

        params = ModelParams()
        if parameters.get(self.EPSILON_MAX) not in (None, ""):
            eps = self.parameterAsDouble(parameters, self.EPSILON_MAX, context)
            params = dataclasses.replace(params, casa=dataclasses.replace(params.casa, epsilon_max_override=eps))
        topt = self.raster_path(parameters, self.OPTIMAL_TEMPERATURE, context)
        if topt is None and parameters.get(self.OPTIMAL_TEMPERATURE_VALUE) not in (None, ""):
            topt = self.parameterAsDouble(parameters, self.OPTIMAL_TEMPERATURE_VALUE, context)
        gap = npp_gap_kwargs(self.parameterAsEnumString(parameters, self.GAP_FILL, context) or "none",
                             self.parameterAsInt(parameters, self.MAX_GAP, context))
        try:
            written = run_npp(
                ndvi=self.raster_path(parameters, self.NDVI, context),
                landcover=self.raster_path(parameters, self.LANDCOVER, context),
                solar_radiation=self.raster_path(parameters, self.SOLAR_RADIATION, context),
                temperature=self.raster_path(parameters, self.TEMPERATURE, context),
                precipitation=self.raster_path(parameters, self.PRECIPITATION, context),
                evapotranspiration=self.raster_path(parameters, self.EVAPOTRANSPIRATION, context),
                potential_et=self.raster_path(parameters, self.POTENTIAL_ET, context),
                optimal_temperature=topt,
                ndvi_scale=self.parameterAsDouble(parameters, self.NDVI_SCALE, context),
                class_table=class_table_path(self, parameters, context, self.CLASS_TABLE),
                vegetation_table=self.file_path(parameters, self.VEGETATION_TABLE, context),
                params=params,
                output=self.output_path(parameters, self.OUTPUT, context),
                fpar_output=self.output_path(parameters, self.FPAR_OUTPUT, context),
                lue_output=self.output_path(parameters, self.LUE_OUTPUT, context),
                ndvi_bounds=self.parameterAsEnumString(parameters, self.NDVI_BOUNDS, context) or "table",
                rh_output=self.output_path(parameters, self.RH_OUTPUT, context),
                nep_output=self.output_path(parameters, self.NEP_OUTPUT, context),
                callbacks=self.callbacks(feedback),
                **gap,
            )
        except CasaInputError as exc:
            if exc.parameter != "LANDCOVER":
                raise
            raise CasaInputError("LANDCOVER", product_hint(exc.message)) from exc
        style_on_load(context, written["npp"], "npp_monthly")
        style_on_load(context, written.get("fpar"), "fpar")
        style_on_load(context, written.get("lue"), "lue")
        style_on_load(context, written.get("rh"), "rh_monthly")
        style_on_load(context, written.get("nep"), "nep_monthly")
        return {
            self.OUTPUT: written["npp"],
            self.FPAR_OUTPUT: written.get("fpar"),
            self.LUE_OUTPUT: written.get("lue"),
            self.RH_OUTPUT: written.get("rh"),
            self.NEP_OUTPUT: written.get("nep"),
        }
