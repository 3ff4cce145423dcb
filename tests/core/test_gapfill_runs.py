"""Gap filling wired into the runs: the fill-count raster, the guard around run_npp, and (once the engine
takes ``gap_fill``) NPP in a filled month."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from casa_nep_plugin.core import model
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.gapfill import fill_linear, npp_gap_kwargs, run_filled_count
from tests.conftest import SAMPLE
from tests.rasters import months_of, read, write


def test_filled_count_raster_is_fill_linear_per_year(tmp_path):
    rng = np.random.default_rng(2)
    ndvi = rng.uniform(0.2, 0.8, (24, 5, 7)).astype(np.float32)
    ndvi[rng.uniform(size=ndvi.shape) < 0.25] = -9999
    path = write(tmp_path / "ndvi.tif", ndvi, months_of([2021, 2022]))
    infos = []
    out = run_filled_count(path, str(tmp_path / "filled.tif"), max_gap=2, callbacks=Callbacks(info=infos.append))
    got = read(out)
    data = np.where(ndvi == -9999, np.nan, ndvi)
    filled, count = fill_linear(data, 2)  # the same function, whole stack at once: per-year split checked here
    new = np.isnan(data) & np.isfinite(filled)
    np.testing.assert_array_equal(got, np.stack([new[:12].sum(axis=0), new[12:].sum(axis=0)]))
    np.testing.assert_array_equal(got.sum(axis=0), count)
    assert any(f"{int(count.sum())} NDVI cell-months filled" in m for m in infos)


def test_gap_keywords_for_run_npp():
    assert npp_gap_kwargs("none", 2) == {}
    assert npp_gap_kwargs("linear", 3) == {"gap_fill": "linear", "max_gap": 3}
    with pytest.raises(CasaInputError) as err:
        npp_gap_kwargs("cubic", 2)
    assert err.value.parameter == "GAP_FILL"


def test_run_npp_fills_an_ndvi_gap(tmp_path):
    """NPP with GAP_FILL linear equals NPP run on the NDVI filled beforehand by fill_linear (same months, same
    climate): the engine's fill is this module's fill."""
    import rasterio

    names = {
        "ndvi": "ndvi_2021_2022.tif",
        "lc": "landcover_glcfcs30.tif",
        "sol": "solar_radiation_2021_2022.tif",
        "t": "temperature_2021_2022.tif",
        "p": "precipitation_2021_2022.tif",
        "e": "evapotranspiration_2021_2022.tif",
    }
    p = {k: str(shutil.copy(SAMPLE / v, tmp_path / v)) for k, v in names.items()}
    with rasterio.open(p["ndvi"]) as ds:
        profile, raw, desc = ds.profile, ds.read(), ds.descriptions
    raw = raw.astype(np.float32)
    raw[5, 10:20, 10:20] = ds.nodata if ds.nodata is not None else -9999  # a cloud in June 2021
    gappy = str(tmp_path / "gappy.tif")
    write(
        gappy,
        raw.astype(profile["dtype"]),
        list(desc),
        crs=profile["crs"],
        transform=profile["transform"],
        nodata=profile["nodata"],
    )
    data = read(gappy) * 0.0001
    filled, _ = fill_linear(data.astype(np.float32), 2)
    pre = str(tmp_path / "prefilled.tif")
    write(
        pre,
        np.where(np.isfinite(filled), filled, -9999).astype(np.float32),
        list(desc),
        crs=profile["crs"],
        transform=profile["transform"],
        nodata=-9999,
    )
    common = dict(evapotranspiration=p["e"])
    model.run_npp(
        gappy,
        p["lc"],
        p["sol"],
        p["t"],
        p["p"],
        str(tmp_path / "a.tif"),
        ndvi_scale=0.0001,
        gap_fill="linear",
        max_gap=2,
        **common,
    )
    model.run_npp(pre, p["lc"], p["sol"], p["t"], p["p"], str(tmp_path / "b.tif"), **common)
    a, b = read(tmp_path / "a.tif"), read(tmp_path / "b.tif")
    assert np.isfinite(a[5, 10:20, 10:20]).any()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
