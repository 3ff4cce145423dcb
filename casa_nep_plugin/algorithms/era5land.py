"""casanep:era5land - ERA5-Land monthly means to monthly SOL, T, P, E and PET stacks."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterFile

from .base import CasaAlgorithm, RasterOutput, static_enum
from .compat import FILE_BEHAVIOR_FILE
from .parameters import GRID_HELP, add_grid_parameters, grid_from_parameters

AGGREGATIONS = ["none", "mean"]


class Era5LandAlgorithm(CasaAlgorithm):
    """ERA5(-Land) NetCDF/GRIB to the model's monthly climate stacks, units converted."""

    ALG_ID = "era5land"
    DISPLAY = "ERA5-Land monthly climate stacks"
    SHORT = (
        "Monthly temperature, precipitation, solar radiation and evapotranspiration stacks "
        "from an ERA5-Land monthly-means file."
    )
    TAGS = ("era5", "era5-land", "climate", "temperature", "precipitation", "solar radiation", "netcdf", "grib")
    GROUP = "Input preparation"
    GROUP_ID = "prepare"
    INPUT = "INPUT"
    AGGREGATION = "AGGREGATION"
    OUTPUTS = {  # keyed by core.era5's variable keys
        "OUTPUT_SOL": RasterOutput("SOL", "Solar radiation SOL (MJ m-2 month-1)"),
        "OUTPUT_T": RasterOutput("T", "Mean air temperature T (degC)"),
        "OUTPUT_P": RasterOutput("P", "Precipitation P (mm month-1)"),
        "OUTPUT_E": RasterOutput("E", "Actual evapotranspiration E (mm month-1)"),
        "OUTPUT_PET": RasterOutput("PET", "Potential evapotranspiration PET (mm month-1)", by_default=False),
    }

    HELP = """<p>Reads an ERA5-Land (or ERA5) <b>monthly means</b> file - the CDS product
<i>"ERA5-Land monthly averaged data from 1950 to present"</i>, product type <code>monthly_averaged_reanalysis</code>,
as NetCDF (old <code>time</code> or new <code>valid_time</code> axis, packed int16 unpacked) or GRIB - and writes one
monthly stack per variable found, one band per month described YYYY-MM, ready for casanep:npp and casanep:rh.</p>
<p>Accumulated variables in the monthly means are mean <i>daily</i> accumulations, so with N the days of each month
(from the file's time axis; 29 in a leap February):</p>
<ul>
<li>SOL (MJ m<sup>-2</sup> month<sup>-1</sup>) = ssrd (J m<sup>-2</sup>) &times; N / 10<sup>6</sup></li>
<li>T (&deg;C) = t2m (K) - 273.15</li>
<li>P (mm month<sup>-1</sup>) = tp (m) &times; 1000 &times; N</li>
<li>E (mm month<sup>-1</sup>) = -e (m) &times; 1000 &times; N (ECMWF counts downward fluxes positive, so evaporation is
negative in the file; dew stays negative here and the NPP model sets it to 0)</li>
<li>PET (mm month<sup>-1</sup>) = -pev (m) &times; 1000 &times; N</li>
</ul>
<p>Any subset of ssrd, t2m, tp, e, pev may be present (CDS long names such as 2m_temperature are read too); outputs
whose variable is missing are skipped with a warning. A file without a CRS is taken as EPSG:4326.</p>
<p><b>Hourly or daily files are refused</b>, with the product to download, unless AGGREGATION is <i>mean</i>: then
each month is the mean of its steps, and accumulations (taken as accumulated over each step, as in ERA5 hourly single
levels or daily sums) become the mean daily accumulation of the days covered. ERA5-Land hourly accumulations run from
00 UTC through the day and must not be aggregated this way.</p>
<p><b>Output grid</b>: the file's native grid (0.1&deg; for ERA5-Land), cut to the extent when one is given; or,
with a reference raster or CRS + cell size, the model grid, resampled bilinearly (sea cells of ERA5-Land are empty:
coastal model cells take the neighbouring land cells).</p>""" + GRID_HELP.format(
        default="Without a reference or CRS and cell size, the native grid is kept, cut to the extent when one "
        "is given."
    )

    def initAlgorithm(self, config=None):
        """Declare parameters."""
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT,
                self.tr("ERA5-Land monthly means (NetCDF or GRIB)"),
                behavior=FILE_BEHAVIOR_FILE,
                fileFilter="NetCDF / GRIB (*.nc *.nc4 *.netcdf *.grib *.grb *.grib2 *.grb2);;All files (*.*)",
            )
        )
        self.addParameter(
            static_enum(
                self.AGGREGATION,
                self.tr("Hourly/daily input: none = refuse (download monthly means), mean = average steps into months"),
                AGGREGATIONS,
                "none",
            )
        )
        add_grid_parameters(self)
        self.add_raster_outputs()

    def execute(self, parameters, context, feedback) -> dict:
        """Parameters to :func:`core.era5.run_era5land` (which skips, with a warning, variables the file lacks)."""
        from ..core.era5 import run_era5land

        aggregation = self.enum_string(parameters, self.AGGREGATION, context)
        grid, extent, extent_crs = grid_from_parameters(self, parameters, context, feedback)
        written = run_era5land(
            self.parameterAsFile(parameters, self.INPUT, context),
            {
                out.key: self.output_path(parameters, name, context)
                for name, out in self.OUTPUTS.items()
                if parameters.get(name) not in (None, "")
            },
            grid=grid,
            extent=extent if grid is None else None,
            extent_crs=extent_crs,
            aggregation=aggregation,
            callbacks=self.callbacks(feedback),
        )
        return self.publish(written, context)
