"""Land-cover budgets: a hand-made case worked out by hand, zones x classes, consistency, bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

from casa_nep_plugin.core.budget import landcover_budget
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.fractions import landcover_fractions
from casa_nep_plugin.core.zonal import zonal_statistics
from tests.rasters import UTM, months_of, write

X0, Y0 = 500000.0, 2500000.0
T = from_origin(X0, Y0, 100, 100)
NAN = np.nan


@pytest.fixture
def case(tmp_path):
    """2 x 3 cells of 1 ha; NPP January [[10,20,30],[40,50,60]], February twice that; RH 5;
    forest / built-up fractions, the last cell without land cover."""
    jan = np.array([[10, 20, 30], [40, 50, 60]], np.float32)
    npp = write(tmp_path / "npp.tif", np.stack([jan, 2 * jan]), ["2021-01", "2021-02"], transform=T)
    rh = write(tmp_path / "rh.tif", np.full((2, 2, 3), 5, np.float32), ["2021-01", "2021-02"], transform=T)
    forest = np.array([[1, 0.5, 0.2], [0, 0.6, NAN]], np.float32)
    built = np.array([[0, 0.5, 0.8], [1, 0.4, NAN]], np.float32)
    frac = write(
        tmp_path / "frac.tif",
        np.where(np.isnan(np.stack([forest, built])), -9999, np.stack([forest, built])).astype(np.float32),
        ["forest", "built-up"],
        transform=T,
    )
    return npp, rh, frac


def test_hand_made_budget(case, tmp_path):
    npp, rh, frac = case
    t = landcover_budget({"npp": npp, "rh": rh}, frac).set_index("class")
    assert list(t.index) == ["forest", "built-up", "unclassified", "all"]
    # fractional: forest 10*1 + 20*.5 + 30*.2 + 50*.6 = 56 gC m-2 x 1 ha; built-up 10 + 24 + 40 + 20 = 94
    np.testing.assert_allclose(t["npp_2021_01_total_tC"], [0.56, 0.94, 0.60, 1.50], rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_total_tC"], [1.68, 2.82, 1.80, 4.50], rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_total_ktC"], [1.68e-3, 2.82e-3, 1.8e-3, 4.5e-3], rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_01_share_pct"].iloc[[0, 1, 3]], [56 / 1.5, 94 / 1.5, 100], rtol=1e-6)
    assert np.isnan(t.loc["unclassified", "npp_2021_01_share_pct"])
    np.testing.assert_allclose(t["area_km2"], [0.023, 0.027, 0.01, 0.05], rtol=1e-6)
    np.testing.assert_allclose(t.loc["forest", "npp_2021_01_mean"], 56 / 2.3, rtol=1e-6)
    np.testing.assert_allclose(t.loc["forest", "npp_2021_mean"], 3 * 56 / 2.3, rtol=1e-6)
    # majority: forest (1, 0.5 tie -> first class, 0.6) 10 + 20 + 50; built-up 30 + 40
    np.testing.assert_allclose(t["npp_2021_01_total_tC_majority"], [0.8, 0.7, 0.6, 1.5], rtol=1e-6)
    np.testing.assert_allclose(t["area_km2_majority"], [0.03, 0.02, 0.01, 0.05], rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_01_share_pct_majority"].iloc[[0, 1]], [80 / 1.5, 70 / 1.5], rtol=1e-6)
    # RH/NPP of each class: RH 5 + 5 gC m-2 over the class's area
    np.testing.assert_allclose(t.loc["forest", "rh_npp_2021_ratio_pct"], 100 * 10 * 2.3 / (3 * 56), rtol=1e-6)
    np.testing.assert_allclose(t.loc["built-up", "rh_npp_2021_ratio_pct_majority"], 100 * 10 * 2 / (3 * 70), rtol=1e-6)
    # the columns sit side by side: each fractional column followed by its majority twin
    cols = list(t.columns)
    i = cols.index("npp_2021_01_total_tC")
    assert cols[i + 1] == "npp_2021_01_total_tC_majority"


def test_budget_per_zone_matches_zonal_statistics(tmp_path):
    rng = np.random.default_rng(4)
    months = months_of([2021])
    npp = write(tmp_path / "npp.tif", rng.uniform(0, 90, (12, 40, 50)).astype(np.float32), months, transform=T)
    # a 10 m land-cover map (10 x 10 fine cells per flux cell), fractions made on the flux grid
    codes = rng.choice(np.array([10, 40, 30, 80, 50, 60], np.uint8), (400, 500))
    lc = write(tmp_path / "lc.tif", codes, crs=UTM, transform=from_origin(X0, Y0, 10, 10), nodata=0)
    frac = tmp_path / "frac.tif"
    landcover_fractions(lc, str(frac), "worldcover", reference=npp)
    zones = gpd.GeoDataFrame(
        {"city": ["west", "east"]},
        crs=UTM,
        geometry=[box(X0 + 120, Y0 - 3930, X0 + 2470, Y0 - 150), box(X0 + 2470, Y0 - 3000, X0 + 4890, Y0 - 640)],
    )
    for mode in ("centre", "exact"):
        b = landcover_budget({"npp": npp}, str(frac), zones=zones, weighting=mode)
        z = zonal_statistics(zones, {"npp": npp}, weighting=mode)
        assert b["class"].tolist() == ["forest", "cropland", "grassland", "water", "built-up", "bare", "all"] * 2
        alls = b[b["class"] == "all"].set_index("city")
        # (fractions are stored as float32: they sum to 1 within about 1e-7)
        np.testing.assert_allclose(alls["npp_2021_total_tC"], z.set_index("city")["npp_2021_total_tC"], rtol=1e-7)
        np.testing.assert_allclose(alls["npp_2021_total_tC_majority"], alls["npp_2021_total_tC"], rtol=1e-7)
        np.testing.assert_allclose(alls["area_km2"], z.set_index("city")["area_km2"], rtol=1e-7)
        shares = b[b["class"] != "all"].groupby("city")["npp_2021_07_share_pct"].sum()
        np.testing.assert_allclose(shares, 100, rtol=1e-9)
    # the whole raster: classes sum to the grid's total
    whole = landcover_budget({"npp": npp}, str(frac)).set_index("class")
    with __import__("rasterio").open(npp) as ds:
        total = ds.read().astype(np.float64).sum() * 1e4 / 1e6
    assert whole.loc["all", "npp_2021_total_tC"] == pytest.approx(total, rel=1e-7)
    assert whole.drop("all")["npp_2021_total_tC"].sum() == pytest.approx(total, rel=1e-7)


def test_outputs(case, tmp_path):
    npp, rh, frac = case
    gpkg = tmp_path / "b.gpkg"
    t = landcover_budget({"npp": npp, "rh": rh}, frac, output=str(gpkg), layer="budget")
    back = gpd.read_file(gpkg, layer="budget")
    assert len(back) == len(t) and back["class"].tolist() == t["class"].tolist()
    np.testing.assert_allclose(back["npp_2021_total_tC"], t["npp_2021_total_tC"])
    csv = tmp_path / "b.csv"
    landcover_budget({"npp": npp}, frac, output=str(csv))
    assert pd.read_csv(csv)["class"].tolist() == ["forest", "built-up", "unclassified", "all"]


def test_unclassified_cells_warn(case):
    npp, _, frac = case
    msgs: list[str] = []
    landcover_budget({"npp": npp}, frac, callbacks=Callbacks(warning=msgs.append))
    assert any("unclassified" in m for m in msgs)


def test_fraction_grid_not_matching_the_fluxes_is_an_error(case, tmp_path):
    npp, _, _ = case
    shifted = write(
        tmp_path / "f2.tif",
        np.full((2, 2, 3), 0.5, np.float32),
        ["forest", "bare"],
        transform=from_origin(X0 + 50, Y0, 100, 100),
    )
    with pytest.raises(CasaInputError, match="FRACTIONS.*not on the grid of NPP.*casanep:landcoverfractions"):
        landcover_budget({"npp": npp}, shifted)
    coarse = write(
        tmp_path / "f3.tif",
        np.full((2, 1, 2), 0.5, np.float32),
        ["forest", "bare"],
        transform=from_origin(X0, Y0, 300, 200),
    )
    with pytest.raises(CasaInputError, match="not on the grid"):
        landcover_budget({"npp": npp}, coarse)


def test_other_bad_input(case, tmp_path):
    npp, rh, frac = case
    nodesc = write(tmp_path / "f.tif", np.full((2, 2, 3), 0.5, np.float32), transform=T)
    with pytest.raises(CasaInputError, match="described by the class name"):
        landcover_budget({"npp": npp}, nodesc)
    other = write(
        tmp_path / "rh2.tif",
        np.full((2, 2, 3), 5, np.float32),
        ["2021-01", "2021-02"],
        transform=from_origin(X0, Y0 + 100, 100, 100),
    )
    with pytest.raises(CasaInputError, match="RH.*not on the grid of NPP"):
        landcover_budget({"npp": npp, "rh": other}, frac)
    with pytest.raises(CasaInputError, match="no class-fraction raster"):
        landcover_budget({"npp": npp}, "")
    zones = gpd.GeoDataFrame({"class": ["a"]}, geometry=[box(X0, Y0 - 200, X0 + 300, Y0)], crs=UTM)
    with pytest.raises(CasaInputError, match="clash"):
        landcover_budget({"npp": npp}, frac, zones=zones)


def test_budget_coverage_columns(case, tmp_path):
    """Coverage = percent of the class's area with data: a NaN NPP cell in February counts out (hand-worked)."""
    npp, rh, frac = case
    import rasterio

    with rasterio.open(npp) as ds:
        data, prof, desc = ds.read(), ds.profile, ds.descriptions
    data[1, 0, 1] = -9999  # February of the cell that is half forest, half built-up
    gap = tmp_path / "npp_gap.tif"
    with rasterio.open(gap, "w", **prof) as ds:
        ds.write(data)
        ds.descriptions = desc
    t = landcover_budget({"npp": str(gap), "rh": rh}, frac).set_index("class")
    np.testing.assert_allclose(t["npp_2021_01_coverage_pct"].iloc[:2], [100, 100])
    # forest 2.3 ha of which 0.5 ha lack February: 1.8 / 2.3; built-up 2.7 ha less 0.5: 2.2 / 2.7
    np.testing.assert_allclose(t["npp_2021_02_coverage_pct"].iloc[:2], [100 * 1.8 / 2.3, 100 * 2.2 / 2.7], rtol=1e-6)
    np.testing.assert_allclose(t["npp_2021_coverage_pct"].iloc[:2], [100 * 1.8 / 2.3, 100 * 2.2 / 2.7], rtol=1e-6)
    np.testing.assert_allclose(t["rh_2021_02_coverage_pct"].iloc[:2], [100, 100])
