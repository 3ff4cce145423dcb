"""casanep:era5land, ndvicomposite and landcoverclasses through processing.run, against the core."""

from __future__ import annotations

import os
from datetime import datetime

import numpy as np
import pytest
import rasterio
from affine import Affine

from casa_nep_plugin.core.era5 import MONTHLY_PRODUCT, run_era5land
from casa_nep_plugin.core.grid import grid_from_extent, grid_from_reference
from casa_nep_plugin.core.landcover import run_landcover_classes
from casa_nep_plugin.core.ndvi import run_ndvi_composite
from tests.conftest import shared_file
from tests.rasters import read, write

PREPARE = ("casanep:era5land", "casanep:ndvicomposite", "casanep:landcoverclasses")


def monthly_nc(path, months=24):
    """A CDS-like ERA5-Land monthly file (no CRS) over the sample area, 2021-2022: t2m, ssrd, tp, e."""
    netcdf4 = pytest.importorskip("netCDF4")
    lat = np.round(np.arange(23.3, 23.0, -0.1), 2)
    lon = np.round(np.arange(113.1, 113.5, 0.1), 2)
    times = [datetime(2021 + i // 12, i % 12 + 1, 1) for i in range(months)]
    season = np.cos((np.arange(months) % 12 - 6.5) / 12 * 2 * np.pi)
    shape = (months, len(lat), len(lon))
    fields = {
        "t2m": (273.15 + 22 + 6 * season[:, None, None] * np.ones(shape), "K"),
        "ssrd": ((1.4e7 + 4e6 * season)[:, None, None] * np.ones(shape), "J m**-2"),
        "tp": ((0.006 + 0.004 * season)[:, None, None] * np.ones(shape), "m"),
        "e": ((-0.003 - 0.001 * season)[:, None, None] * np.ones(shape), "m of water equivalent"),
    }
    with netcdf4.Dataset(path, "w") as ds:
        ds.createDimension("valid_time", months)
        ds.createDimension("latitude", len(lat))
        ds.createDimension("longitude", len(lon))
        t = ds.createVariable("valid_time", "i8", ("valid_time",))
        t.units, t.calendar = "seconds since 1970-01-01", "proleptic_gregorian"
        t[:] = netcdf4.date2num(times, t.units, t.calendar)
        ds.createVariable("latitude", "f8", ("latitude",))[:] = lat
        ds.createVariable("longitude", "f8", ("longitude",))[:] = lon
        for name, (data, units) in fields.items():
            v = ds.createVariable(name, "f4", ("valid_time", "latitude", "longitude"))
            v.units = units
            v[:] = data
    return str(path)


def test_provider_lists_the_preparation_algorithms(casanep_provider):
    algs = {a.id(): a for a in casanep_provider.algorithms()}
    for alg_id in PREPARE:
        alg = algs[alg_id]
        assert alg.groupId() == "prepare" and alg.group() == "Input preparation"
        assert "Model grid" in alg.shortHelpString()
        names = {p.name() for p in alg.parameterDefinitions()}
        assert {"GRID_REFERENCE", "GRID_EXTENT", "GRID_CRS", "GRID_CELL_SIZE"} <= names


def test_era5land_on_a_grid_from_extent_crs_and_cell_size_equals_core(casanep_provider, tmp_path):
    import processing

    nc = monthly_nc(tmp_path / "era5.nc")
    params = {
        "INPUT": nc,
        "GRID_EXTENT": "113.15,113.35,23.05,23.25 [EPSG:4326]",
        "GRID_CRS": "EPSG:32649",
        "GRID_CELL_SIZE": 1000,
    }
    for key in ("SOL", "T", "P", "E"):
        params[f"OUTPUT_{key}"] = str(tmp_path / f"{key}.tif")
    res = processing.run("casanep:era5land", params)
    assert res["OUTPUT_PET"] is None  # no pev in the file
    grid = grid_from_extent((113.15, 23.05, 113.35, 23.25), "EPSG:32649", 1000, extent_crs="EPSG:4326")
    core = {k: str(tmp_path / f"core_{k}.tif") for k in ("SOL", "T", "P", "E")}
    run_era5land(nc, core, grid=grid)
    for key in core:
        assert res[f"OUTPUT_{key}"] == str(tmp_path / f"{key}.tif")
        np.testing.assert_array_equal(read(res[f"OUTPUT_{key}"]), read(core[key]))
    with rasterio.open(res["OUTPUT_T"]) as ds:
        assert ds.crs.to_epsg() == 32649 and ds.transform.a == 1000 and ds.count == 24


def test_era5land_native_grid_cut_to_an_extent(casanep_provider, tmp_path):
    import processing

    nc = monthly_nc(tmp_path / "era5.nc")
    res = processing.run(
        "casanep:era5land",
        {
            "INPUT": nc,
            "GRID_EXTENT": "113.15,113.35,23.05,23.25 [EPSG:4326]",
            "OUTPUT_T": str(tmp_path / "t.tif"),
            "OUTPUT_SOL": None,
            "OUTPUT_P": None,
            "OUTPUT_E": None,
        },
    )
    assert res["OUTPUT_SOL"] is None
    run_era5land(nc, {"T": str(tmp_path / "core.tif")}, extent=(113.15, 23.05, 113.35, 23.25))
    with rasterio.open(res["OUTPUT_T"]) as ds:
        assert (ds.width, ds.height) == (2, 2) and ds.transform.a == pytest.approx(0.1)  # the native 0.1 degree
        assert ds.crs.to_epsg() == 4326
    np.testing.assert_array_equal(read(res["OUTPUT_T"]), read(tmp_path / "core.tif"))


def test_era5land_refuses_hourly_with_the_product_name(casanep_provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    path = shared_file("era5", "bmi_era5_t2m_tp_2021-01-01.nc")
    with pytest.raises(QgsProcessingException, match=f"INPUT: .*hourly.*{MONTHLY_PRODUCT}"):
        processing.run("casanep:era5land", {"INPUT": str(path), "OUTPUT_T": str(tmp_path / "t.tif")})
    res = processing.run(
        "casanep:era5land",
        {
            "INPUT": str(path),
            "AGGREGATION": "mean",
            "OUTPUT_T": str(tmp_path / "t.tif"),
            "OUTPUT_P": str(tmp_path / "p.tif"),
        },
    )
    assert os.path.exists(res["OUTPUT_T"]) and os.path.exists(res["OUTPUT_P"])


def test_ndvicomposite_folder_equals_core(casanep_provider, tmp_path):
    import processing

    folder = shared_file("modis_ndvi", "mod13q1_sinop_brazil_50px_2013-2014")
    res = processing.run(
        "casanep:ndvicomposite",
        {"INPUT_FOLDER": str(folder), "OUTPUT": str(tmp_path / "n.tif"), "COUNT_OUTPUT": str(tmp_path / "c.tif")},
    )
    run_ndvi_composite([str(folder)], str(tmp_path / "core.tif"), count_output=str(tmp_path / "core_c.tif"))
    np.testing.assert_array_equal(read(res["OUTPUT"]), read(tmp_path / "core.tif"))
    np.testing.assert_array_equal(read(res["COUNT_OUTPUT"]), read(tmp_path / "core_c.tif"))


def test_ndvicomposite_gap_fill_equals_core(casanep_provider, tmp_path):
    import processing

    folder = shared_file("modis_ndvi", "mod13q1_sinop_brazil_50px_2013-2014")
    res = processing.run(
        "casanep:ndvicomposite",
        {
            "INPUT_FOLDER": str(folder),
            "GAP_FILL": "linear",
            "MAX_GAP": 1,
            "OUTPUT": str(tmp_path / "n.tif"),
            "FILLED_OUTPUT": str(tmp_path / "f.tif"),
        },
    )
    core = run_ndvi_composite(
        [str(folder)],
        str(tmp_path / "core.tif"),
        gap_fill="linear",
        max_gap=1,
        filled_output=str(tmp_path / "core_f.tif"),
    )
    np.testing.assert_array_equal(read(res["OUTPUT"]), read(core["ndvi"]))
    np.testing.assert_array_equal(read(res["FILLED_OUTPUT"]), read(core["filled"]))


def test_ndvicomposite_needs_an_input(casanep_provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="INPUT: give the composites"):
        processing.run("casanep:ndvicomposite", {"OUTPUT": str(tmp_path / "n.tif")})


def test_landcoverclasses_onto_a_reference_grid_feeds_npp(casanep_provider, sample_dir, tmp_path):
    import processing

    s = {
        k: str(sample_dir / f"{v}_2021_2022.tif")
        for k, v in (("ndvi", "ndvi"), ("sol", "solar_radiation"), ("t", "temperature"), ("p", "precipitation"))
    }
    # a MODIS-IGBP-like 0.005 degree map over the sample: evergreen broadleaf west, cropland east, a lake
    grid = grid_from_reference(s["ndvi"])
    from rasterio.warp import transform_bounds

    w, so, e, n = transform_bounds(grid.crs, "EPSG:4326", *grid.bounds)
    cols, rows = int((e - w) / 0.005) + 3, int((n - so) / 0.005) + 3
    igbp = np.full((rows, cols), 2, np.uint8)
    igbp[:, cols // 2 :] = 12
    igbp[rows // 2 : rows // 2 + 4, 3:9] = 17
    transform = Affine(0.005, 0, w - 0.005, 0, -0.005, n + 0.005)
    lc = write(tmp_path / "igbp.tif", igbp, crs="EPSG:4326", transform=transform, nodata=255)
    res = processing.run(
        "casanep:landcoverclasses",
        {"INPUT": lc, "PRODUCT": "modis_igbp", "GRID_REFERENCE": s["ndvi"], "OUTPUT": str(tmp_path / "classes.tif")},
    )
    run_landcover_classes(lc, str(tmp_path / "core.tif"), "modis_igbp", grid=grid)
    np.testing.assert_array_equal(read(res["OUTPUT"]), read(tmp_path / "core.tif"))
    assert set(np.unique(read(res["OUTPUT"]))) == {10, 51, 210}
    npp = processing.run(
        "casanep:npp",
        {
            "NDVI": s["ndvi"],
            "LANDCOVER": res["OUTPUT"],
            "SOLAR_RADIATION": s["sol"],
            "TEMPERATURE": s["t"],
            "PRECIPITATION": s["p"],
            "NDVI_SCALE": 0.0001,
            "OUTPUT": str(tmp_path / "npp.tif"),
        },
    )
    values = read(npp["OUTPUT"])
    assert np.isfinite(values).mean() > 0.9


def test_landcoverclasses_reads_the_layer_of_an_hdf4_granule(casanep_provider, tmp_path):
    import processing

    hdf = shared_file("landcover", "MCD12Q1.A2001001.h00v08.006.2018142182903.hdf")
    with rasterio.Env() as env:
        if "HDF4" not in env.drivers():
            pytest.skip("GDAL without HDF4")
    from qgis.core import QgsRasterLayer

    # the layer QGIS offers when the granule is added to a project
    layer = QgsRasterLayer(f'HDF4_EOS:EOS_GRID:"{hdf}":MCD12Q1:LC_Type1', "LC_Type1")
    assert layer.isValid()
    res = processing.run(
        "casanep:landcoverclasses", {"INPUT": layer, "PRODUCT": "modis_igbp", "OUTPUT": str(tmp_path / "c.tif")}
    )
    with rasterio.open(res["OUTPUT"]) as ds:
        assert (ds.width, ds.height) == (2400, 2400)


def test_grid_parameters_half_given_is_an_error(casanep_provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    lc = write(
        tmp_path / "lc.tif",
        np.full((4, 4), 10, np.uint8),
        crs="EPSG:4326",
        transform=Affine(0.01, 0, 113, 0, -0.01, 23),
        nodata=0,
    )
    with pytest.raises(QgsProcessingException, match="GRID_EXTENT.*needs an extent, a CRS and a cell size"):
        processing.run(
            "casanep:landcoverclasses",
            {"INPUT": lc, "GRID_CRS": "EPSG:32649", "GRID_CELL_SIZE": 250, "OUTPUT": str(tmp_path / "c.tif")},
        )
    with pytest.raises(QgsProcessingException, match="looks like metres"):
        processing.run(
            "casanep:landcoverclasses",
            {
                "INPUT": lc,
                "GRID_CRS": "EPSG:4326",
                "GRID_CELL_SIZE": 250,
                "GRID_EXTENT": "113,113.04,22.96,23 [EPSG:4326]",
                "OUTPUT": str(tmp_path / "c.tif"),
            },
        )
    assert sorted(os.listdir(tmp_path)) == ["lc.tif"]


def test_era5land_skips_an_output_whose_variable_the_file_lacks(casanep_provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    nc = monthly_nc(tmp_path / "era5.nc", months=12)  # t2m, ssrd, tp, e: no pev
    res = processing.run(
        "casanep:era5land", {"INPUT": nc, "OUTPUT_T": str(tmp_path / "t.tif"), "OUTPUT_PET": str(tmp_path / "pet.tif")}
    )
    assert res["OUTPUT_PET"] is None and not (tmp_path / "pet.tif").exists()
    assert res["OUTPUT_T"] and read(res["OUTPUT_T"]).shape[0] == 12
    assert res["OUTPUT_SOL"] is None  # not asked for
    with pytest.raises(QgsProcessingException, match=r"INPUT: .*none of the requested outputs \(PET\)"):
        processing.run("casanep:era5land", {"INPUT": nc, "OUTPUT_PET": str(tmp_path / "pet.tif")})
