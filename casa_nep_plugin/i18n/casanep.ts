<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name>casanep</name>
    <message>
        <location filename="../algorithms/aggregate.py" line="54"/>
        <source>Zones (polygons, any CRS; optional: a table per zone and class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/aggregate.py" line="57"/>
        <source>Zones (polygons, any CRS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="42"/>
        <source>NPP (monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="43"/>
        <source>RH (monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/base.py" line="170"/>
        <source>Interrupted; no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/base.py" line="277"/>
        <source>{name}: cannot load '{value}' as a raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="79"/>
        <location filename="../algorithms/parameters.py" line="79"/>
        <source>Land cover (class codes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="84"/>
        <source>Vegetation class parameters the NPP used (CSV; default Zhu et al. 2006)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="92"/>
        <source>Purity: least share of one class in a reference cell</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="97"/>
        <source>Cross-validation folds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="100"/>
        <source>Spatial block side for cross-validation (reference cells)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="107"/>
        <source>Fewest pure cells to calibrate a class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="112"/>
        <source>Random seed (folds)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="120"/>
        <source>Calibrated vegetation table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="121"/>
        <source>Factors per class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="122"/>
        <source>Skill before and after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="123"/>
        <location filename="../algorithms/validate.py" line="69"/>
        <source>Scatter plot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="68"/>
        <source>ERA5-Land monthly means (NetCDF or GRIB)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="76"/>
        <source>Hourly/daily input: none = refuse (download monthly means), mean = average steps into months</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="45"/>
        <source>Class fractions (from Land-cover fractions, on the fluxes' grid)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="52"/>
        <source>Land-cover budget table (.gpkg or .csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="52"/>
        <source>Land-cover product (class codes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="53"/>
        <source>Product (shipped lookup table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="54"/>
        <source>Own lookup table (CSV code,class; replaces PRODUCT)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="62"/>
        <source>CASA vegetation classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="58"/>
        <source>Class table of the model (output codes; default GLC_FCS30)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="53"/>
        <source>Land-cover map (class codes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="57"/>
        <source>Class table (product codes to the study's six classes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="63"/>
        <source>Own class table (CSV code,class; replaces the one above)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="67"/>
        <source>Model grid from this raster (e.g. the NPP stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="73"/>
        <source>Or: model cell size (land-cover CRS units)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="80"/>
        <source>Class fractions (one band per class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="84"/>
        <source>Majority class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverproduct.py" line="27"/>
        <source>Land-cover product (its shipped code table maps the codes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverproduct.py" line="31"/>
        <source>Or own class table (CSV code,class; replaces the product's table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="85"/>
        <source>VI composites (files, stacks or HDF4 granules)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="92"/>
        <source>Folder of VI composites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="98"/>
        <source>Pixel reliability rasters (paired by date; optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="106"/>
        <source>Pixel reliability kept (good = 0, marginal = 1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="112"/>
        <source>Resampling onto the model grid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="121"/>
        <source>Scale factor (MODIS: 0.0001)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="122"/>
        <source>Fill value (stored units; MODIS: -3000)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="123"/>
        <source>Valid minimum (stored units)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="124"/>
        <source>Valid maximum (stored units)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="130"/>
        <source>Monthly NDVI (maximum-value composite)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="132"/>
        <source>Valid composites per month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="133"/>
        <source>Filled months per cell and year</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="116"/>
        <source>Layer of HDF4 granules (index name)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="37"/>
        <location filename="../algorithms/parameters.py" line="186"/>
        <source>NPP (gC m-2 month-1, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="38"/>
        <location filename="../algorithms/parameters.py" line="187"/>
        <source>RH (gC m-2 month-1, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="98"/>
        <source>Optimal temperature as one value (degC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="112"/>
        <source>Class NDVI bounds: vegetation table, or 5 %/95 % percentiles of the input</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="66"/>
        <source>Mean air temperature (degC, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="71"/>
        <source>Precipitation (mm month-1, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="121"/>
        <source>NDVI scale factor (0.0001 for MODIS integers)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="162"/>
        <source>Class table (CSV code,class; default GLC_FCS30)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="169"/>
        <source>Warning threshold of RH/NPP (percent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="201"/>
        <source>Zone fields to keep (default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="210"/>
        <source>Cell weighting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="78"/>
        <source>NDVI (monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="81"/>
        <source>Solar radiation (MJ m-2 month-1, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="85"/>
        <source>Actual evapotranspiration (mm month-1; Zhou &amp; Zhang when empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="88"/>
        <source>Potential evapotranspiration (mm month-1; Thornthwaite when empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="91"/>
        <source>Optimal temperature Topt (degC; NDVI-peak month when empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="108"/>
        <source>One maximum light-use efficiency for all classes (gC MJ-1; Potter: 0.389)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="139"/>
        <source>Fill NDVI gaps in time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="141"/>
        <source>Longest NDVI gap filled (months)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="188"/>
        <source>NEP (gC m-2 month-1, monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="220"/>
        <source>ZONES: the zone layer is empty (it has no features); give a layer with at least one polygon.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="224"/>
        <source>ZONES: the zone layer has no coordinate reference system, so it cannot be placed on the rasters. Assign one (Layer Properties &gt; Source, or 'Assign projection').</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="231"/>
        <source>ZONES: cannot read the zone layer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="240"/>
        <source>CASA NPP (annual, or monthly stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="241"/>
        <source>Reference NPP (e.g. MOD17A3HGF)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="242"/>
        <source>Year (of a monthly NPP stack; default first whole)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="322"/>
        <source>Model grid: reference raster (its CRS, cells and extent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="328"/>
        <source>Model grid: extent (cuts the reference, or the input's grid when no grid is given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="333"/>
        <source>Model grid: CRS (with extent and cell size)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="338"/>
        <source>Model grid: cell size (units of the grid CRS: metres, or degrees for lon/lat)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="155"/>
        <source>Vegetation class parameters (CSV; default Zhu et al. 2006)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="385"/>
        <source>GRID_CRS and GRID_CELL_SIZE are ignored: the reference raster sets the grid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="254"/>
        <source>Scale of CASA NPP values to gC m-2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="261"/>
        <source>Scale of reference values to gC m-2 a-1 (MOD17: 0.1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="268"/>
        <source>Lowest reference fill code (MOD17: 32761)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="275"/>
        <source>Highest reference fill code (MOD17: 32767)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/parameters.py" line="391"/>
        <source>{names}: a model grid from a cell size needs an extent, a CRS and a cell size (or give a reference raster).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="44"/>
        <source>Land cover (class codes; masks water and ice, sets the grid)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="52"/>
        <source>Zones (e.g. cities; the whole grid when empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="54"/>
        <source>Parameter distributions (CSV; default shipped)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="57"/>
        <source>Members</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="62"/>
        <location filename="../algorithms/validate.py" line="63"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="68"/>
        <source>Interval (percent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="79"/>
        <source>Zone table with intervals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="80"/>
        <source>Standard deviation of annual NEP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="81"/>
        <source>P(annual NEP &gt; 0)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="84"/>
        <source>Ensemble mean of annual NEP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="89"/>
        <source>Chart of zone totals with intervals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="94"/>
        <location filename="../algorithms/workflow.py" line="132"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="58"/>
        <source>Number of random cells</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="68"/>
        <source>Sample points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="72"/>
        <source>Statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="97"/>
        <source>Zones (e.g. cities)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="100"/>
        <source>Zone name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="106"/>
        <source>Fine land cover (e.g. WorldCover 10 m)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="122"/>
        <source>Also one long table: zone, class, year, month, quantity, statistic, value, unit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="131"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="135"/>
        <source>Zone table (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="136"/>
        <source>Land-cover budget (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="137"/>
        <source>Zones with their statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="138"/>
        <source>Long table (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="208"/>
        <source>Zones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="112"/>
        <source>Fine land-cover mapping to the six classes (CSV; default WorldCover)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="128"/>
        <source>Report title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="52"/>
        <source>NDVI months filled per cell and year (from casanep:ndvicomposite; optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="58"/>
        <source>Zonal statistics (.gpkg layer or .csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>ERA5-Land monthly climate stacks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>Input preparation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Monthly temperature, precipitation, solar radiation and evapotranspiration stacks from an ERA5-Land monthly-means file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>&lt;p&gt;Reads an ERA5-Land (or ERA5) &lt;b&gt;monthly means&lt;/b&gt; file - the CDS product
&lt;i&gt;"ERA5-Land monthly averaged data from 1950 to present"&lt;/i&gt;, product type &lt;code&gt;monthly_averaged_reanalysis&lt;/code&gt;,
as NetCDF (old &lt;code&gt;time&lt;/code&gt; or new &lt;code&gt;valid_time&lt;/code&gt; axis, packed int16 unpacked) or GRIB - and writes one
monthly stack per variable found, one band per month described YYYY-MM, ready for casanep:npp and casanep:rh.&lt;/p&gt;
&lt;p&gt;Accumulated variables in the monthly means are mean &lt;i&gt;daily&lt;/i&gt; accumulations, so with N the days of each month
(from the file's time axis; 29 in a leap February):&lt;/p&gt;
&lt;ul&gt;
&lt;li&gt;SOL (MJ m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;) = ssrd (J m&lt;sup&gt;-2&lt;/sup&gt;) &amp;times; N / 10&lt;sup&gt;6&lt;/sup&gt;&lt;/li&gt;
&lt;li&gt;T (&amp;deg;C) = t2m (K) - 273.15&lt;/li&gt;
&lt;li&gt;P (mm month&lt;sup&gt;-1&lt;/sup&gt;) = tp (m) &amp;times; 1000 &amp;times; N&lt;/li&gt;
&lt;li&gt;E (mm month&lt;sup&gt;-1&lt;/sup&gt;) = -e (m) &amp;times; 1000 &amp;times; N (ECMWF counts downward fluxes positive, so evaporation is
negative in the file; dew stays negative here and the NPP model sets it to 0)&lt;/li&gt;
&lt;li&gt;PET (mm month&lt;sup&gt;-1&lt;/sup&gt;) = -pev (m) &amp;times; 1000 &amp;times; N&lt;/li&gt;
&lt;/ul&gt;
&lt;p&gt;Any subset of ssrd, t2m, tp, e, pev may be present (CDS long names such as 2m_temperature are read too); outputs
whose variable is missing are skipped with a warning. A file without a CRS is taken as EPSG:4326.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Hourly or daily files are refused&lt;/b&gt;, with the product to download, unless AGGREGATION is &lt;i&gt;mean&lt;/i&gt;: then
each month is the mean of its steps, and accumulations (taken as accumulated over each step, as in ERA5 hourly single
levels or daily sums) become the mean daily accumulation of the days covered. ERA5-Land hourly accumulations run from
00 UTC through the day and must not be aggregated this way.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Output grid&lt;/b&gt;: the file's native grid (0.1&amp;deg; for ERA5-Land), cut to the extent when one is given; or,
with a reference raster or CRS + cell size, the model grid, resampled bilinearly (sea cells of ERA5-Land are empty:
coastal model cells take the neighbouring land cells).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Model grid&lt;/b&gt; (shared by the preparation tools, so every prepared stack lines up cell for
cell): either a &lt;i&gt;reference raster&lt;/i&gt; (its CRS, cells and extent; with an extent too, the reference's cells that
touch it), or an &lt;i&gt;extent&lt;/i&gt;, a &lt;i&gt;CRS&lt;/i&gt; and a &lt;i&gt;cell size&lt;/i&gt; in the CRS's units (e.g. 250 for 250 m in a
UTM zone, 0.0025 for degrees in EPSG:4326). Grids built from an extent are widened outward to whole multiples of
the cell size counted from the CRS origin, so two grids with the same CRS and cell size always align. An extent
without a CRS is read in the CRS of the grid it builds or cuts. Without a reference or CRS and cell size, the native grid is kept, cut to the extent when one is given.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>era5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>era5-land</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>climate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>temperature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>precipitation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>solar radiation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>netcdf</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>grib</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Solar radiation SOL (MJ m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Mean air temperature T (degC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Precipitation P (mm month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Actual evapotranspiration E (mm month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/era5land.py" line="14"/>
        <source>Potential evapotranspiration PET (mm month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>Monthly NDVI from MODIS 16-day composites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>Monthly NDVI stacks by maximum-value compositing of MODIS 16-day vegetation-index composites.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>&lt;p&gt;Monthly NDVI by &lt;b&gt;maximum-value compositing&lt;/b&gt; of MODIS vegetation-index composites (MOD13Q1
16-day 250 m, or MYD13Q1, MOD13A1, MOD13A3, ...): for every cell and month,&lt;/p&gt;
&lt;p&gt;&lt;code&gt;NDVI(month) = max over the valid composites dated in the month of (stored value &amp;times; SCALE)&lt;/code&gt;&lt;/p&gt;
&lt;p&gt;A value is valid when it is not the file's nodata nor FILL (-3000), lies within VALID_MIN..VALID_MAX
(-2000..10000, stored units), and - where a pixel-reliability layer exists - its reliability is kept by
RELIABILITY_MODE (MOD13Q1: 0 good, 1 marginal, 2 snow/ice, 3 cloudy; default keeps 0 and 1). A month with no valid
composite is &lt;b&gt;nodata&lt;/b&gt;, never 0; the optional count output holds the number of valid composites per cell and
month. Output: NDVI (-1..1), one band per month from the first to the last composite's month, described YYYY-MM,
for casanep:npp with NDVI_SCALE 1.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Inputs&lt;/b&gt;: GeoTIFF (or other) files, a folder of them, multi-band stacks (one band per date), or MODIS HDF4
granules (the NDVI and "pixel reliability" layers are taken from the file when GDAL has HDF4). The date of each
composite comes from the file name (&lt;code&gt;A2021017&lt;/code&gt;, &lt;code&gt;doy2021017&lt;/code&gt;, &lt;code&gt;2021-01-17&lt;/code&gt;,
&lt;code&gt;2021-01&lt;/code&gt;), else the band description, else the metadata (RANGEBEGINNINGDATE, or a comma list
&lt;i&gt;dates&lt;/i&gt;); for 16-day composites it is the first day of the period, which decides the month. Files whose name
says "reliability" (among the inputs, the folder or RELIABILITY) are paired with the NDVI of the same date and
grid.&lt;/p&gt;
&lt;p&gt;Composites are masked and composited on their own grid (per MODIS tile, sinusoidal), then resampled onto the
model grid (RESAMPLING, bilinear by default) block by block; several tiles are merged by the same maximum.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Gap filling&lt;/b&gt; (GAP_FILL linear): a cell's missing month is filled by linear interpolation in
time between its nearest valid months before and after, NDVI(t) = NDVI(p) + (NDVI(q) - NDVI(p)) (t - p)/(q - p),
across a year boundary when the stack continues; gaps longer than MAX_GAP months (default 2), or with no valid
month on one side (the start or end of the stack), stay nodata. The number of filled cell-months is written to the
log and to the output's metadata (casanep_gap_fill); FILLED_OUTPUT gives the filled months per cell and calendar
year. Filled months are estimates: a planner should read them with the coverage columns of the zone table.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Model grid&lt;/b&gt; (shared by the preparation tools, so every prepared stack lines up cell for
cell): either a &lt;i&gt;reference raster&lt;/i&gt; (its CRS, cells and extent; with an extent too, the reference's cells that
touch it), or an &lt;i&gt;extent&lt;/i&gt;, a &lt;i&gt;CRS&lt;/i&gt; and a &lt;i&gt;cell size&lt;/i&gt; in the CRS's units (e.g. 250 for 250 m in a
UTM zone, 0.0025 for degrees in EPSG:4326). Grids built from an extent are widened outward to whole multiples of
the cell size counted from the CRS origin, so two grids with the same CRS and cell size always align. An extent
without a CRS is read in the CRS of the grid it builds or cuts. Without a model grid the composites' own grid is kept (they must share one), cut to the extent when one is given.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>modis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>ndvi</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>mod13q1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>composite</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/ndvicomposite.py" line="28"/>
        <source>vegetation index</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>Vegetation classes from a land-cover product</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>Maps the codes of a land-cover product (GLC_FCS30, ESA WorldCover, MODIS IGBP) to CASA vegetation classes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>&lt;p&gt;Maps each code of a land-cover product to a CASA vegetation class (evergreen/deciduous
needleleaf/broadleaf and mixed forest, shrubland, grassland, cropland, other vegetated/wetland/built-up/bare, water,
ice) through a lookup table (CSV &lt;code&gt;code,class&lt;/code&gt;), then resamples the classes onto the model grid by
&lt;b&gt;majority&lt;/b&gt;: each model cell takes the class of most of the product's cells inside it (nodata does not vote).
Where the product already lies on the model grid the classes are copied cell for cell. The product is read in
windows, so a 10 m tile of 36000 &amp;times; 36000 cells fits in memory.&lt;/p&gt;
&lt;p&gt;Shipped lookups (PRODUCT): &lt;i&gt;glc_fcs30&lt;/i&gt; (GLC_FCS30, the study's product), &lt;i&gt;esa_worldcover&lt;/i&gt; (tree cover
as mixed forest, mangroves as evergreen broadleaf), &lt;i&gt;modis_igbp&lt;/i&gt; (MCD12Q1 LC_Type1 / MCD12C1, 0 and 17 water);
the CSVs in the plugin's resources/tables say where each choice comes from. CLASS_LOOKUP replaces them with your
own. Codes the table does not list stop the run with the list of codes.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Output&lt;/b&gt;: one band of GLC_FCS30 codes, one per CASA class (crop 10, ebf 51, dbf 61, enf 71, dnf 81, mf 91,
shrub 120, grass 130, other 140, water 210, ice 220; nodata 0), which casanep:npp and casanep:rh read with their
default class table. With your own class table for the model, give it as OUTPUT_CLASS_TABLE and its codes are
written instead. For an HDF4 product (MCD12Q1) give its land-cover layer, as QGIS offers it when the file is
added (e.g. &lt;code&gt;HDF4_EOS:EOS_GRID:"MCD12Q1....hdf":MCD12Q1:LC_Type1&lt;/code&gt;).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Model grid&lt;/b&gt; (shared by the preparation tools, so every prepared stack lines up cell for
cell): either a &lt;i&gt;reference raster&lt;/i&gt; (its CRS, cells and extent; with an extent too, the reference's cells that
touch it), or an &lt;i&gt;extent&lt;/i&gt;, a &lt;i&gt;CRS&lt;/i&gt; and a &lt;i&gt;cell size&lt;/i&gt; in the CRS's units (e.g. 250 for 250 m in a
UTM zone, 0.0025 for degrees in EPSG:4326). Grids built from an extent are widened outward to whole multiples of
the cell size counted from the CRS origin, so two grids with the same CRS and cell size always align. An extent
without a CRS is read in the CRS of the grid it builds or cuts. Without a model grid the product's own grid is kept, cut to the extent when one is given.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>land cover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>landcover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>glc_fcs30</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>worldcover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>igbp</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>vegetation class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverclasses.py" line="15"/>
        <source>reclassify</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>Net primary productivity (CASA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <location filename="../algorithms/nep.py" line="10"/>
        <location filename="../algorithms/npp.py" line="21"/>
        <location filename="../algorithms/rh.py" line="13"/>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>Carbon model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>Monthly net primary productivity (gC m-2 month-1) by the CASA light-use-efficiency model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>&lt;p&gt;Monthly net primary productivity (gC m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;) by the CASA
light-use-efficiency model, one output band per month (described YYYY-MM).&lt;/p&gt;
&lt;p&gt;&lt;code&gt;NPP = APAR &amp;times; &amp;epsilon;&lt;/code&gt;, &lt;code&gt;APAR = SOL &amp;times; FPAR &amp;times; 0.5&lt;/code&gt;,
&lt;code&gt;&amp;epsilon; = Te1 &amp;times; Te2 &amp;times; We &amp;times; &amp;epsilon;max(class)&lt;/code&gt;.&lt;/p&gt;
&lt;ul&gt;
&lt;li&gt;&lt;b&gt;FPAR&lt;/b&gt; (Zhu et al. 2007): mean of the NDVI and simple-ratio forms between the class's
NDVI bounds, within [0.001, 0.95].&lt;/li&gt;
&lt;li&gt;&lt;b&gt;Te1&lt;/b&gt; = 0.8 + 0.02 Topt - 0.0005 Topt&amp;sup2; (0 where T &amp;le; -10 &amp;deg;C);
&lt;b&gt;Te2&lt;/b&gt; = 1.1814 / ((1+e&lt;sup&gt;0.2(Topt-10-T)&lt;/sup&gt;)(1+e&lt;sup&gt;0.3(-Topt-10+T)&lt;/sup&gt;)), halved at Topt where
T &amp;gt; Topt+10 or T &amp;lt; Topt-13. Topt is the temperature of the month with the highest NDVI in each
calendar year, unless given.&lt;/li&gt;
&lt;li&gt;&lt;b&gt;We&lt;/b&gt; = 0.5 + 0.5 E/EP within [0.5, 1], EP = (E + Ep0)/2; Ep0 by Thornthwaite unless
POTENTIAL_ET is given; E from EVAPOTRANSPIRATION or else Zhou &amp;amp; Zhang (1995).&lt;/li&gt;
&lt;/ul&gt;
&lt;p&gt;&lt;b&gt;Inputs&lt;/b&gt;: monthly stacks, one band per month described YYYY-MM: NDVI (unitless; NDVI_SCALE
0.0001 for MODIS integers), SOLAR_RADIATION (MJ m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;), TEMPERATURE (&amp;deg;C),
PRECIPITATION, EVAPOTRANSPIRATION and POTENTIAL_ET (mm month&lt;sup&gt;-1&lt;/sup&gt;). Climate stacks on another
grid or CRS are resampled bilinearly onto the NDVI grid. LANDCOVER holds the class codes of a
LANDCOVER_PRODUCT (GLC_FCS30, ESA WorldCover or MODIS IGBP), mapped to CASA vegetation classes by the
product's shipped table, or by your own CLASS_TABLE (CSV code,class); water and ice give nodata. Without
OPTIMAL_TEMPERATURE and POTENTIAL_ET the stacks must cover whole calendar years. EPSILON_MAX, when set
(e.g. Potter's 0.389 gC MJ&lt;sup&gt;-1&lt;/sup&gt;), replaces the class values. NDVI_BOUNDS "percentiles" takes each
class's NDVImin/NDVImax as the 5 % / 95 % percentiles of the input NDVI of that class instead of the table's.&lt;/p&gt;
&lt;p&gt;Optional RH_OUTPUT and NEP_OUTPUT compute soil heterotrophic respiration (as casanep:rh, masked to land) and
NEP = NPP - RH in the same pass on the NDVI grid: the fastest way to the whole chain.&lt;/p&gt;
&lt;p&gt;GAP_FILL linear fills a cell's missing NDVI month by linear interpolation in time between its nearest valid
months before and after (across a year boundary when the stack continues) where the gap is at most MAX_GAP months
(default 2); longer gaps, or gaps with no valid month on one side, stay nodata. Default none: a month without NDVI
gives no NPP, and the cell drops out of that year's annual map.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/npp.py" line="21"/>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <location filename="../algorithms/validate.py" line="17"/>
        <location filename="../algorithms/workflow.py" line="39"/>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>npp</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>casa</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>net primary productivity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>light use efficiency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>fpar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>carbon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>NPP (gC m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>FPAR (unitless)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>Light-use efficiency (gC MJ-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>RH in the same pass (gC m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/npp.py" line="21"/>
        <source>NEP in the same pass (gC m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>Soil heterotrophic respiration (Pei)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>Monthly soil heterotrophic respiration (gC m-2 month-1) from temperature and precipitation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>&lt;p&gt;Monthly soil heterotrophic respiration RH (gC m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;),
one output band per month (described YYYY-MM):&lt;/p&gt;
&lt;p&gt;&lt;code&gt;RH = 0.22 &amp;times; (exp(0.0913 T) + ln(0.3145 R + 1)) &amp;times; 30 &amp;times; 0.465&lt;/code&gt;&lt;/p&gt;
&lt;p&gt;T: monthly mean air temperature (&amp;deg;C); R: monthly precipitation (mm month&lt;sup&gt;-1&lt;/sup&gt;), both
monthly stacks with the same months. The factor 30 &amp;times; 0.465 multiplies the whole bracket.&lt;/p&gt;
&lt;p&gt;With a LANDCOVER raster (class codes of the LANDCOVER_PRODUCT - GLC_FCS30, ESA WorldCover or
MODIS IGBP - mapped by its shipped table, or by your own CLASS_TABLE), RH is computed on its
grid (climate resampled bilinearly) and masked to land: water and ice give nodata. Without it, RH is on the
temperature grid.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>rh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>soil respiration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>heterotrophic respiration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/rh.py" line="13"/>
        <source>RH (gC m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>Net ecosystem productivity (NPP - RH)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>Monthly net ecosystem productivity, NEP = NPP - RH (gC m-2 month-1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>&lt;p&gt;Monthly net ecosystem productivity (gC m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;):&lt;/p&gt;
&lt;p&gt;&lt;code&gt;NEP = NPP - RH&lt;/code&gt; (positive: net carbon sink).&lt;/p&gt;
&lt;p&gt;NPP and RH are monthly stacks with the same months (band descriptions YYYY-MM); RH on another grid
is resampled bilinearly onto the NPP grid. Nodata in either gives nodata.&lt;/p&gt;
&lt;p&gt;Optional: the annual ratio of totals &lt;code&gt;RH/NPP = 100 &amp;times; &amp;Sigma;RH / &amp;Sigma;NPP&lt;/code&gt; (percent),
one band per calendar year, nodata where annual NPP &amp;le; 0. Wang &amp;amp; Liu (2025) read &amp;ge; 80 % as a
warning and &amp;gt; 100 % (NEP &amp;lt; 0) as a net source.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/nep.py" line="10"/>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <location filename="../algorithms/workflow.py" line="39"/>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>nep</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>net ecosystem productivity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>carbon sink</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>carbon source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/nep.py" line="10"/>
        <location filename="../algorithms/workflow.py" line="39"/>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>carbon budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>NEP (gC m-2 month-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/nep.py" line="10"/>
        <source>Annual RH/NPP ratio (percent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Annual carbon budget and sink/source map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Annual NPP, RH and NEP totals, the RH/NPP ratio and a carbon sink/source map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>&lt;p&gt;From monthly NPP and RH stacks (gC m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;, bands YYYY-MM), one band per
calendar year (described YYYY):&lt;/p&gt;
&lt;ul&gt;&lt;li&gt;annual NPP and RH = sums of the year's months (gC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt;); a cell missing a month
is nodata;&lt;/li&gt;
&lt;li&gt;annual NEP = NPP - RH (positive: net sink);&lt;/li&gt;
&lt;li&gt;RH/NPP = 100 &amp;times; RH / NPP (percent), nodata where NPP &amp;le; 0;&lt;/li&gt;
&lt;li&gt;sink/source map: 1 sink (RH/NPP &amp;lt; THRESHOLD, default 80 %), 2 warning (THRESHOLD to 100 %),
3 source (RH/NPP &amp;gt; 100 %, i.e. NEP &amp;lt; 0, or NPP &amp;le; 0 with RH &amp;gt; 0). Wang &amp;amp; Liu (2025) read
80 % as the warning threshold.&lt;/li&gt;&lt;/ul&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>annual</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>ratio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Annual NPP (gC m-2 a-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Annual RH (gC m-2 a-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Annual NEP (gC m-2 a-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>RH/NPP (percent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/annual.py" line="11"/>
        <source>Sink / warning / source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>Validate NPP against a reference product</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>Validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>Compares annual CASA NPP with a reference NPP product such as MODIS MOD17A3HGF.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>&lt;p&gt;Compares annual CASA NPP with a reference NPP raster, by default MODIS MOD17A3HGF
(int16, 0.0001 kgC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt; per count, so REFERENCE_SCALE 0.1 gives gC m&lt;sup&gt;-2&lt;/sup&gt;
a&lt;sup&gt;-1&lt;/sup&gt;; counts 32761-32767 are fill, water, barren, snow, wetland, urban or unclassified and are masked).&lt;/p&gt;
&lt;p&gt;NPP is either annual (one band, or bands described YYYY; gC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt;) or a monthly stack
(YYYY-MM bands, gC m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;) whose months of YEAR (default: the first whole year) are
summed. It is aggregated to the reference grid by the mean of the CASA cells in each reference cell; then
SAMPLE_SIZE cells valid in both (Wang &amp;amp; Liu 2025 used 2,395) are drawn at random with SEED.&lt;/p&gt;
&lt;p&gt;Reported, with x = reference and y = CASA: N; R&amp;sup2; (squared Pearson correlation);
RMSE = &amp;radic;mean((y-x)&amp;sup2;); bias = mean(y-x); slope and intercept of the least-squares line y = a x + b.
Outputs: the sample points (both values and their difference), a scatter plot with the 1:1 line (PNG) and the
statistics (CSV).&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>mod17</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/validate.py" line="17"/>
        <source>rmse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>Carbon budget workflow (NPP, RH, NEP, tables, charts, report)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>Workflow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>The whole study in one run: NPP, RH, NEP, annual budget, tables by zone and land cover, charts and a report.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>&lt;p&gt;Runs the whole study on prepared monthly stacks, step by step (cancellable at any step) into one
OUTPUT_FOLDER; every file is staged and moved into place only when all steps succeed, so a failed or cancelled
run leaves nothing behind.&lt;/p&gt;
&lt;ol&gt;&lt;li&gt;monthly NPP by CASA (as casanep:npp), RH by Pei et al. (as casanep:rh, masked to land), NEP = NPP - RH;&lt;/li&gt;
&lt;li&gt;annual NPP, RH, NEP, the RH/NPP ratio and the sink / warning / source map (THRESHOLD, default 80 %)
(as casanep:annual);&lt;/li&gt;
&lt;li&gt;with ZONES: per zone area, mean (gC m&lt;sup&gt;-2&lt;/sup&gt;) and total (tC, ktC) of NPP, RH and NEP for every month and
year, and RH/NPP (as casanep:zonalstatistics; WEIGHTING centre or exact);&lt;/li&gt;
&lt;li&gt;with FINE_LANDCOVER (e.g. ESA WorldCover 10 m): the fraction of each of the study's six classes in every model
cell and the per-class totals and shares of NPP, RH and NEP (as casanep:landcoverfractions and
casanep:landcoverbudget);&lt;/li&gt;
&lt;li&gt;charts (monthly NPP, RH and NEP per zone; annual values per zone; land-cover shares) and an HTML report with
the parameters, maps, tables and charts.&lt;/li&gt;&lt;/ol&gt;
&lt;p&gt;Inputs and units as in casanep:npp: monthly stacks with bands described YYYY-MM; NDVI (NDVI_SCALE 0.0001 for
MODIS integers), SOL MJ m&lt;sup&gt;-2&lt;/sup&gt; month&lt;sup&gt;-1&lt;/sup&gt;, T &amp;deg;C, P and E mm month&lt;sup&gt;-1&lt;/sup&gt;; LANDCOVER codes of
the LANDCOVER_PRODUCT (GLC_FCS30, ESA WorldCover or MODIS IGBP) mapped by its shipped table, or by your own
CLASS_TABLE (CSV code,class).&lt;/p&gt;
&lt;p&gt;&lt;b&gt;NDVI gaps&lt;/b&gt;: GAP_FILL linear (the default here) fills a cell's missing NDVI month by linear interpolation
in time between its nearest valid months before and after, across a year boundary when the stack continues, where
the gap is at most MAX_GAP months (default 2); longer gaps and gaps at the ends stay nodata. With zones, the filled
NDVI cell-months per zone and year are counted in the table (filled_cell_months_YYYY).&lt;/p&gt;
&lt;p&gt;&lt;b&gt;One definition of annual&lt;/b&gt;: a zone's annual mean and total are those of the annual map over the zone; a
cell counts for a year only where every month of it has data, and coverage columns (valid cells and percent of the
zone's cells, per month and year) go with every number.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>workflow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/workflow.py" line="39"/>
        <source>report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>Zonal statistics of carbon fluxes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>Aggregation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>Totals and means of NPP, RH and NEP per polygon zone (city, district), month and year.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>&lt;p&gt;Per polygon zone (city, district) and for every month and calendar year of the NPP, RH and
NEP stacks: the area-weighted mean (gC m&lt;sup&gt;-2&lt;/sup&gt;) and the total (tC and ktC), with the zone's area
and cell count, and the ratio of totals RH/NPP (percent) when both are given.&lt;/p&gt;
&lt;p&gt;&lt;code&gt;total = &amp;Sigma; value &amp;times; cell area &amp;times; weight&lt;/code&gt;;
&lt;code&gt;mean = total / &amp;Sigma; cell area &amp;times; weight&lt;/code&gt; over cells with data. Cell areas come from the
grid: the true ellipsoidal area of each row in a geographic CRS.&lt;/p&gt;&lt;p&gt;&lt;b&gt;One definition of annual&lt;/b&gt;: a zone's annual mean (gC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt;)
and total are those of the annual map (casanep:annual) over the zone. A cell's annual value is the sum of its months
of the calendar year, and a cell counts for a year only where every month of it has data; the mean is the
area-weighted mean of those annual values and the total their sum times the cell area. A cell with a cloud gap is
left out of that year, not added in for the months it has. The coverage columns say how many of the zone's cells
count for each month and year (valid cells, and percent of the zone's cells); read every number with its
coverage.&lt;/p&gt;
&lt;p&gt;Zones in any CRS are reprojected to the rasters' CRS; a layer without CRS is an error. Multipart zones
(islands) and overlapping zones are handled (a cell can belong to several zones). A zone that misses the
raster gets a row with cells 0 and a warning; a zone partly outside is warned about.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Cell weighting&lt;/b&gt;: &lt;i&gt;centre&lt;/i&gt; counts a cell when its centre lies inside the zone
(as ArcGIS and QGIS zonal statistics do; the study's choice); &lt;i&gt;exact&lt;/i&gt; weights each cell by the fraction
of its area inside the zone, computed exactly (a cell half inside counts half), so totals add up to the
polygon's area whatever the cell size.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Output&lt;/b&gt;: a GeoPackage layer (&lt;code&gt;.gpkg&lt;/code&gt;) or a CSV table (&lt;code&gt;.csv&lt;/code&gt;),
chosen by the file extension. As a vector-layer output it chains in the graphical modeler into any algorithm
taking a vector layer or table (join, refactor fields, charts) and loads into the project when the run ends.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Columns&lt;/b&gt;: the zone fields; &lt;code&gt;zone_index&lt;/code&gt; (1-based);
&lt;code&gt;zone_area_km2&lt;/code&gt; (geodesic area of the polygon); &lt;code&gt;area_km2&lt;/code&gt; and &lt;code&gt;cells&lt;/code&gt; (the
cells counted, weighted); per stack and month &lt;code&gt;npp_2021_01_mean&lt;/code&gt;, &lt;code&gt;npp_2021_01_total_tC&lt;/code&gt;,
&lt;code&gt;npp_2021_01_total_ktC&lt;/code&gt;; per year &lt;code&gt;npp_2021_mean&lt;/code&gt;, &lt;code&gt;npp_2021_total_tC&lt;/code&gt;,
&lt;code&gt;npp_2021_total_ktC&lt;/code&gt;; &lt;code&gt;rh_npp_2021_01_ratio_pct&lt;/code&gt;, &lt;code&gt;rh_npp_2021_ratio_pct&lt;/code&gt;
(over the cells where both NPP and RH have data); coverage per stack and period &lt;code&gt;npp_2021_01_valid_cells&lt;/code&gt;,
&lt;code&gt;npp_2021_01_coverage_pct&lt;/code&gt;, &lt;code&gt;npp_2021_valid_cells&lt;/code&gt;, &lt;code&gt;npp_2021_coverage_pct&lt;/code&gt;; with
FILLED (the filled-months raster of casanep:ndvicomposite) &lt;code&gt;filled_cell_months_2021&lt;/code&gt;.
Empty (NULL) where a zone has no cell with data.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>zonal statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>zones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>city</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/zonalstatistics.py" line="11"/>
        <source>district</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>Land-cover fractions on the model grid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>Fraction of every model cell covered by each class of a fine land-cover map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>&lt;p&gt;From a fine land-cover map (e.g. ESA WorldCover at 10 m) to, for every class c, the fraction
of each model cell it covers, &lt;code&gt;f&lt;sub&gt;c&lt;/sub&gt; = n&lt;sub&gt;c&lt;/sub&gt; / n&lt;/code&gt; (fine cells of class c over fine
cells with a class), one band per class described by the class name, and the majority class of each cell
(class numbers 1..n in band order; ties go to the first class). These are the weights of
&lt;i&gt;Land-cover carbon budget&lt;/i&gt;: &lt;code&gt;total&lt;sub&gt;c&lt;/sub&gt; = &amp;Sigma; flux &amp;times; area &amp;times; f&lt;sub&gt;c&lt;/sub&gt;&lt;/code&gt;.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Classes&lt;/b&gt;: codes are mapped through a table: shipped for ESA WorldCover, GLC_FCS30 and MODIS IGBP
into the study's six classes (forest, cropland, grassland, water, built-up, bare), or your own CSV with columns
&lt;code&gt;code,class&lt;/code&gt; (class &lt;code&gt;nodata&lt;/code&gt; marks fill codes; bands follow the classes' first
appearance). Codes the table lacks are left out, with a warning.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Model grid&lt;/b&gt;: a reference raster (give the NPP stack, so the fractions line up with the fluxes) or a
cell size in the land-cover map's CRS units (e.g. 0.00208333 = 1/480 degree, or 250 m) from the map's origin.
On the map's CRS with a cell size that is a whole multiple of the fine cell and an origin on its grid lines
the fractions are exact; otherwise the map is sampled by nearest neighbour on about its own resolution.&lt;/p&gt;
&lt;p&gt;The map is read in windows at full resolution (never its overviews) and all classes are counted in one
pass, so a 10 m map of a whole region runs in bounded memory.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>fraction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverfractions.py" line="20"/>
        <source>resample</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <source>Land-cover carbon budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <source>Totals and shares of NPP, RH and NEP per land-cover class, month and year.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/landcoverbudget.py" line="11"/>
        <source>&lt;p&gt;Totals and shares of NPP, RH and NEP per land-cover class, for every month and calendar year,
by fractional cover weighting and by majority class side by side:&lt;/p&gt;
&lt;p&gt;&lt;code&gt;total&lt;sub&gt;c&lt;/sub&gt; = &amp;Sigma;&lt;sub&gt;x&lt;/sub&gt; flux(x) &amp;times; area(x) &amp;times; f&lt;sub&gt;c&lt;/sub&gt;(x)&lt;/code&gt;,
&lt;code&gt;share&lt;sub&gt;c&lt;/sub&gt; = total&lt;sub&gt;c&lt;/sub&gt; / &amp;Sigma;&lt;sub&gt;c'&lt;/sub&gt; total&lt;sub&gt;c'&lt;/sub&gt;&lt;/code&gt;; the majority
variant gives each cell wholly to its majority class. f&lt;sub&gt;c&lt;/sub&gt; comes from &lt;i&gt;Land-cover fractions on the
model grid&lt;/i&gt;, which must be on the fluxes' grid (use the NPP stack as its reference): a mismatch is an error,
never a silent resampling. Cells with fluxes but no fractions go to an &lt;code&gt;unclassified&lt;/code&gt; row outside
the shares; an &lt;code&gt;all&lt;/code&gt; row sums the classes.&lt;/p&gt;
&lt;p&gt;With zones, one block of rows per zone (city &amp;times; class), cells weighted as in zonal statistics.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Cell weighting&lt;/b&gt;: &lt;i&gt;centre&lt;/i&gt; counts a cell when its centre lies inside the zone
(as ArcGIS and QGIS zonal statistics do; the study's choice); &lt;i&gt;exact&lt;/i&gt; weights each cell by the fraction
of its area inside the zone, computed exactly (a cell half inside counts half), so totals add up to the
polygon's area whatever the cell size.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Output&lt;/b&gt;: a GeoPackage layer (&lt;code&gt;.gpkg&lt;/code&gt;) or a CSV table (&lt;code&gt;.csv&lt;/code&gt;),
chosen by the file extension. As a vector-layer output it chains in the graphical modeler into any algorithm
taking a vector layer or table (join, refactor fields, charts) and loads into the project when the run ends.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Columns&lt;/b&gt;: the zone fields and &lt;code&gt;zone_index&lt;/code&gt; (with
zones); &lt;code&gt;class&lt;/code&gt;; &lt;code&gt;area_km2&lt;/code&gt;; per stack and period (month &lt;code&gt;2021_01&lt;/code&gt;, year
&lt;code&gt;2021&lt;/code&gt;) &lt;code&gt;npp_2021_mean&lt;/code&gt; (gC m&lt;sup&gt;-2&lt;/sup&gt;), &lt;code&gt;npp_2021_total_tC&lt;/code&gt;,
&lt;code&gt;npp_2021_total_ktC&lt;/code&gt;, &lt;code&gt;npp_2021_share_pct&lt;/code&gt;; &lt;code&gt;rh_npp_2021_ratio_pct&lt;/code&gt;; every
column followed by its &lt;code&gt;_majority&lt;/code&gt; twin.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <source>Calibrate eps_max against a reference NPP product</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <source>One eps_max factor per land-cover class fitted to a reference NPP product such as MODIS MOD17A3HGF.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <source>&lt;p&gt;Fits one multiplicative factor per CASA vegetation class to the maximum light-use efficiency
&amp;epsilon;max so that CASA NPP matches a reference NPP product (by default MODIS MOD17A3HGF), and writes a
calibrated vegetation table that casanep:npp takes as VEGETATION_TABLE. CASA NPP is proportional to &amp;epsilon;max
cell by cell, so the fit needs no model run.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Method&lt;/b&gt;, on the reference grid with the conventions of casanep:validate (REFERENCE_SCALE 0.1 turns
MOD17 counts into gC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt;; counts 32761-32767 are fill and masked):&lt;/p&gt;
&lt;ul&gt;
&lt;li&gt;annual CASA NPP (one band, or the months of YEAR of a monthly stack summed) is aggregated to each
reference cell by the mean of the CASA cells inside it;&lt;/li&gt;
&lt;li&gt;the share of each class in a reference cell is taken from LANDCOVER (codes mapped by CLASS_TABLE) over the
land-cover cells with data; a reference cell is used for class k only where k covers at least PURITY
(default 0.8) of it and both products have a value;&lt;/li&gt;
&lt;li&gt;per class, f = &amp;Sigma;xy / &amp;Sigma;y&amp;sup2; (least squares of x = f y through the origin, x reference,
y CASA), standard error &amp;radic;(s&amp;sup2;/&amp;Sigma;y&amp;sup2;), s&amp;sup2; = &amp;Sigma;(x-fy)&amp;sup2;/(n-1); the new
&amp;epsilon;max is f times the old;&lt;/li&gt;
&lt;li&gt;a class with fewer than MIN_CELLS (default 30) pure cells keeps its &amp;epsilon;max, with a warning;&lt;/li&gt;
&lt;li&gt;skill before and after (N, R&amp;sup2;, RMSE, bias, slope, intercept, x reference, y CASA) is computed on the
pure cells; "after" comes from FOLDS-fold cross-validation (default 5) in which whole spatial blocks of
BLOCK_SIZE &amp;times; BLOCK_SIZE reference cells (default 16, 8 km at 500 m) are held out together and
predicted with factors fitted on the other folds, so neighbouring, autocorrelated cells never sit on both
sides and the reported skill is honest.&lt;/li&gt;
&lt;/ul&gt;
&lt;p&gt;&lt;b&gt;Assumptions&lt;/b&gt;: the reference and the NPP describe the same year; the reference's error is random, not
class-dependent (a product bias for one biome passes into its factor); VEGETATION_TABLE and CLASS_TABLE are the
ones the NPP was computed with. Where the NPP's metadata records one global EPSILON_MAX, the factors apply to
that value and the calibrated table gives each class its own. Outputs: the calibrated table (CSV), the factors
with their standard errors and pure-cell counts (CSV), the skill before and after (CSV), a scatter plot (PNG).&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <source>calibration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/calibrate.py" line="17"/>
        <source>eps_max</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>Parameter uncertainty of NPP, RH and NEP (Monte Carlo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>Intervals for annual NPP, RH and NEP per zone from a Monte Carlo ensemble over the model parameters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>&lt;p&gt;Runs the whole model (CASA NPP, Pei RH, NEP = NPP - RH) MEMBERS times (default 100), each member
with its own draw of the parameters, and reports every annual number with its interval.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Distributions&lt;/b&gt; come from UNCERTAINTY_TABLE (CSV: parameter, distribution, arguments, source; default the
shipped &lt;code&gt;parameter_uncertainty.csv&lt;/code&gt;, which says where each spread comes from and where no published
uncertainty exists and a stated relative spread is used): eps_max per class, the class NDVI bounds, FPARmin and
FPARmax, the Te2 constant, the water-stress floor and the Pei coefficients a, b, c. Distributions are centred on
the run's own values (VEGETATION_TABLE, EPSILON_MAX). Draws are clipped to valid ranges (eps_max &amp;gt; 0,
NDVImin &amp;le; NDVImax - 0.01, 0 &amp;le; FPARmin &amp;lt; FPARmax &amp;le; 1, floor in [0, 0.99], a, c &amp;ge; 0). All members'
parameters are drawn up front from SEED, so the same seed gives the same result on any machine.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Annual values&lt;/b&gt; as in the zone tables: a cell's annual value is the sum of its months, a cell counts for a
year only where every month has data; zone totals and means are those of the annual map over the zone (ZONES
optional: without zones one row "all" covers the grid).&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Outputs&lt;/b&gt;: a table per zone with, for NPP, RH and NEP and each year, the ensemble mean, standard
deviation and the percentiles (100-CONFIDENCE)/2, 50 and 100-(100-CONFIDENCE)/2 (5, 50, 95 at the default 90 %) of
the annual total (ktC) and of the annual mean (gC m&lt;sup&gt;-2&lt;/sup&gt; a&lt;sup&gt;-1&lt;/sup&gt;), the coverage (valid cells and
percent of the zone's cells) and P(zone NEP &amp;gt; 0); per-year maps of the standard deviation of annual NEP and of
the probability that the cell is a net sink, P(NEP &amp;gt; 0); optionally the ensemble mean of annual NEP; a chart of
the zone totals with their intervals, and an HTML report holding them.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;What it does not cover&lt;/b&gt;: errors of the inputs (NDVI, climate, land cover) and of the model's structure;
the intervals are those of the parameters alone. Inputs, units and checks as in casanep:npp (NDVI bounds from the
table only).&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>uncertainty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>monte carlo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>ensemble</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../algorithms/uncertainty.py" line="16"/>
        <source>confidence</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
