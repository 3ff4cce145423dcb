"""eps_max calibration end to end: a synthetic reference built as CASA x 1.3 on one class and x 0.8 on another.

The factor and fold statistics alone are in test_calibration_fit.py."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from rasterio.transform import from_origin

from casa_nep_plugin.core.calibrate import calibrate_epsilon
from casa_nep_plugin.core.calibration_outputs import (
    calibration_plot,
    write_factors,
    write_metrics,
    write_vegetation_table,
)
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.tables import load_vegetation_table
from tests.rasters import write

CASA_T = from_origin(730000, 2565000, 250, 250)
REF_T = from_origin(730000, 2565000, 1000, 1000)  # one reference cell = 4 x 4 CASA cells


def synthetic(tmp_path, factors=(1.3, 0.8)):
    """60 x 60 CASA cells (250 m) on a 15 x 15 reference grid (1 km).

    Land cover (GLC_FCS30 codes): reference columns 0-6 cropland (10), 7 half cropland / half evergreen
    broadleaf (mixed, 50 %), 8-14 evergreen broadleaf (51); one reference cell of grassland (130).
    Reference = mean of the CASA cells in the cell x 1.3 (cropland) or x 0.8 (forest), as MOD17 counts
    (0.1 gC m-2 a-1), 32767 fill on one cell."""
    rng = np.random.default_rng(5)
    npp = rng.uniform(300, 1500, (60, 60)).astype(np.float32)
    npp[5, 5] = np.nan  # a CASA nodata cell inside a reference cell: the mean of the other 15
    lc = np.full((60, 60), 10, np.uint8)
    lc[:, 30:] = 51
    lc[:, 28:30] = 10
    lc[:, 30:32] = 51  # reference column 7 (CASA columns 28-31): 50 % crop, 50 % forest
    lc[0:4, 0:4] = 130  # one grassland reference cell
    mean = np.nanmean(npp.reshape(15, 4, 15, 4), axis=(1, 3))
    ref = np.where(np.arange(15)[None, :] < 7, mean * factors[0], mean * factors[1])
    ref = np.round(ref / 0.1)
    ref[14, 14] = 32767
    p_npp = write(
        tmp_path / "npp.tif", np.where(np.isfinite(npp), npp, -9999).astype(np.float32), ["2021"], transform=CASA_T
    )
    p_lc = write(tmp_path / "lc.tif", lc, transform=CASA_T, nodata=0)
    p_ref = write(tmp_path / "ref.tif", ref.astype(np.int16), transform=REF_T, nodata=None)
    return p_npp, p_lc, p_ref


def test_synthetic_reference_recovers_factors(tmp_path):
    npp, lc, ref = synthetic(tmp_path)
    warnings = []
    from casa_nep_plugin.core.engine import Callbacks

    res = calibrate_epsilon(npp, lc, ref, block_size=3, callbacks=Callbacks(warning=warnings.append))
    by = {c.key: c for c in res.factors}
    assert by["crop"].factor == pytest.approx(1.3, rel=0.01)
    assert by["ebf"].factor == pytest.approx(0.8, rel=0.01)
    # 7 pure columns x 15 rows minus the grassland cell; 7 x 15 forest minus the fill cell
    assert by["crop"].cells == 7 * 15 - 1 and by["ebf"].cells == 7 * 15 - 1
    assert by["crop"].standard_error < 0.001  # only MOD17's 0.1 gC rounding is left
    assert by["grass"].cells == 1 and not by["grass"].calibrated and by["grass"].factor == 1.0
    assert any("grass" in w for w in warnings)
    assert not by["dbf"].calibrated and by["dbf"].cells == 0
    # after calibration the held-out cells of the calibrated classes agree to MOD17's rounding (0.05 gC)
    # plus the factor's error; the grassland cell (x 1.3 in the reference, factor kept at 1) is all the RMSE
    grass = res.cls == [c.key for c in res.factors].index("grass")
    assert np.abs(res.y_cv - res.x)[~grass].max() < 0.5
    expected = np.sqrt(np.sum((res.y - res.x)[grass] ** 2) / res.x.size)  # the other residuals are ~0
    assert res.after["rmse"] == pytest.approx(expected, rel=0.01) and res.before["rmse"] > 50
    assert res.after["n"] == res.before["n"] == 208 + 1  # the grassland cell is pure too (kept at factor 1)
    veg = load_vegetation_table()
    assert by["crop"].epsilon_after == pytest.approx(1.3 * veg["crop"].epsilon_max, rel=0.01)

    table = write_vegetation_table(res, str(tmp_path / "veg.csv"), reference=ref)
    cal = load_vegetation_table(table)  # casanep:npp reads it as VEGETATION_TABLE
    assert cal["crop"].epsilon_max == pytest.approx(by["crop"].epsilon_after, rel=1e-5)
    assert cal["ebf"].epsilon_max == pytest.approx(0.8 * veg["ebf"].epsilon_max, rel=0.01)
    assert cal["grass"].epsilon_max == veg["grass"].epsilon_max
    assert cal["crop"].ndvi_max == veg["crop"].ndvi_max and not cal["water"].has_npp
    rows = list(csv.DictReader(open(write_factors(res, str(tmp_path / "f.csv")))))
    assert {r["class"]: r["calibrated"] for r in rows}["ebf"] == "yes"
    metrics = list(csv.DictReader(open(write_metrics(res, str(tmp_path / "m.csv")))))
    assert [m["set"] for m in metrics] == ["before", "after_cross_validated"]
    assert (tmp_path / "plot.png").exists() is False
    calibration_plot(res, str(tmp_path / "plot.png"))
    assert (tmp_path / "plot.png").stat().st_size > 1000


def test_purity_excludes_mixed_cells(tmp_path):
    npp, lc, ref = synthetic(tmp_path)
    # at PURITY 0.5 the 50/50 column becomes usable (argmax picks one class): the crop factor is no longer exact
    loose = calibrate_epsilon(npp, lc, ref, purity=0.5, block_size=3)
    strict = calibrate_epsilon(npp, lc, ref, purity=0.8, block_size=3)
    assert loose.before["n"] == strict.before["n"] + 15
    with pytest.raises(CasaInputError, match="PURITY"):
        calibrate_epsilon(npp, lc, ref, purity=1.5)


def test_one_block_cannot_cross_validate(tmp_path):
    npp, lc, ref = synthetic(tmp_path)
    warnings = []
    from casa_nep_plugin.core.engine import Callbacks

    res = calibrate_epsilon(npp, lc, ref, block_size=100, callbacks=Callbacks(warning=warnings.append))
    assert res.folds == 1 and res.after["n"] == 0
    assert any("cross-validation" in w for w in warnings)
    assert {c.key: c for c in res.factors}["crop"].factor == pytest.approx(1.3, rel=0.01)


def test_real_mod17_against_itself_gives_factors_of_one(tmp_path):
    """Hawaii MOD17A3 2015 (kgC m-2 a-1 x 10000 as float32, so NPP_SCALE 0.1 for CASA and REFERENCE_SCALE 0.1) as
    both CASA and reference, classes from the real MCD12C1 IGBP map (0.05 deg, read by nearest onto the 500 m
    grid) through the shipped MODIS IGBP table: every calibrated class has factor 1 and standard error 0, and
    cross-validated skill equals the skill before (R2 1, RMSE 0)."""
    from casa_nep_plugin.core.tables import TABLES_DIR
    from casa_nep_plugin.core.validate import ReferenceProduct
    from tests.conftest import shared_file

    npp = str(shared_file("npp_mod17a3_hawaii", "hawaii_npp_2015.tif"))
    lc = str(shared_file("landcover", "MCD12C1.A2019001.006.2020220162300.tif"))
    res = calibrate_epsilon(
        npp,
        lc,
        npp,
        class_table=str(TABLES_DIR / "modis_igbp_casa.csv"),
        npp_scale=0.1,
        product=ReferenceProduct(scale=0.1, fill_min=None, fill_max=None),
        min_cells=10,
    )
    calibrated = [c for c in res.factors if c.calibrated]
    assert calibrated and sum(c.cells for c in calibrated) > 500
    for c in calibrated:
        assert c.factor == pytest.approx(1.0, abs=1e-6) and c.standard_error == pytest.approx(0.0, abs=1e-6)
    assert res.before["r2"] == pytest.approx(1.0) and res.after["rmse"] == pytest.approx(0.0, abs=1e-3)
