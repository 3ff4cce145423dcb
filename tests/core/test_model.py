"""Model runs over rasters (core.model) against the independent scalar oracle.

The oracle (tests/reference.py) re-implements METHOD.md pixel by pixel with the
math module; rasters are written here with known values, run through the block
engine, and every valid output cell is compared.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from casa_nep_plugin.core import engine, outputs
from casa_nep_plugin.core.errors import CasaCancelled, CasaInputError
from casa_nep_plugin.core.model import run_nep, run_npp, run_rh
from tests import reference as ref
from tests.rasters import months_of, read, write

MONTHS = months_of([2021, 2022])
# GLC_FCS30 codes: 12 crop, 52 evergreen broadleaf, 72 evergreen needleleaf, 210 water, 250 fill
LC = np.array([[12, 52, 72, 12], [210, 12, 52, 250], [130, 190, 12, 72]], np.uint8)
CLASS_PARAMS = {
    12: (0.023, 0.634, 0.542),
    52: (0.023, 0.676, 0.985),
    72: (0.023, 0.647, 0.389),
    130: (0.023, 0.634, 0.542),
    190: (0.023, 0.634, 0.542),
}  # METHOD.md table


@pytest.fixture()
def scene(tmp_path):
    """Two years of monthly stacks on a 3 x 4 grid with edge cases inside."""
    rng = np.random.default_rng(7)
    shape = (24, 3, 4)
    m = np.arange(24) % 12
    t = (15 + 12 * np.sin(2 * np.pi * (m - 3) / 12))[:, None, None] + rng.normal(0, 3, shape)
    t[0, 0, 0] = -12.0  # Te1 = 0 here (T <= -10)
    t[6, 0, 1] = 29.0  # Thornthwaite hot branch
    t[0:3, 2, 3] = -2.0  # Ep0 = 0 months
    p = rng.uniform(0, 300, shape)
    p[1, 1, 1] = 0.0  # P = 0 -> Zhou & Zhang E = 0
    e = rng.uniform(-5, 120, shape)  # some negative E
    ndvi = rng.uniform(-0.1, 0.9, shape)
    ndvi[5, 0, 2] = np.nan  # a cloudy month
    sol = rng.uniform(200, 550, shape)
    d = {"t": t, "p": p, "e": e, "ndvi": ndvi, "sol": sol}
    paths = {
        k: write(tmp_path / f"{k}.tif", np.where(np.isnan(v), -9999, v).astype(np.float32), MONTHS)
        for k, v in d.items()
    }
    paths["lc"] = write(tmp_path / "lc.tif", LC, ["code"], nodata=None)
    d = {k: v.astype(np.float32).astype(np.float64) for k, v in d.items()}  # what the file holds
    return paths, d, tmp_path


def oracle_npp(d, r, c, use_e=True):
    code = int(LC[r, c])
    if code not in CLASS_PARAMS:
        return [np.nan] * 24
    lo, hi, eps = CLASS_PARAMS[code]
    out = []
    for y in (0, 12):
        s = slice(y, y + 12)
        nd = list(d["ndvi"][s, r, c])
        nd_for_topt = [(-np.inf if np.isnan(v) else v) for v in nd]
        vals = ref.npp_pixel_year(
            nd_for_topt,
            list(d["sol"][s, r, c]),
            list(d["t"][s, r, c]),
            list(d["p"][s, r, c]),
            list(d["e"][s, r, c]) if use_e else None,
            lo,
            hi,
            eps,
        )
        out += [np.nan if np.isnan(nv) else v for v, nv in zip(vals, nd)]
    return out


@pytest.mark.parametrize("use_e", [True, False], ids=["era5-E", "zhou-zhang-E"])
def test_npp_matches_scalar_oracle(scene, use_e):
    paths, d, tmp = scene
    out = tmp / "npp.tif"
    run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        paths["t"],
        paths["p"],
        str(out),
        evapotranspiration=paths["e"] if use_e else None,
    )
    got = read(out)
    for r in range(3):
        for c in range(4):
            np.testing.assert_allclose(
                got[:, r, c], oracle_npp(d, r, c, use_e), rtol=2e-5, atol=1e-5, err_msg=f"pixel {r},{c}"
            )
    # water (210) and fill (250) carry no NPP at all
    assert np.isnan(got[:, 1, 0]).all() and np.isnan(got[:, 1, 3]).all()
    # T <= -10 gives Te1 = 0 -> NPP = 0 exactly
    assert got[0, 0, 0] == 0.0


def test_npp_output_metadata(scene):
    paths, _, tmp = scene
    out = tmp / "npp.tif"
    run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], str(out), evapotranspiration=paths["e"])
    with rasterio.open(out) as ds:
        assert list(ds.descriptions) == MONTHS
        assert ds.nodata == outputs.NODATA
        tags = ds.tags()
        assert tags["units"] == "gC m-2 month-1"
        assert '"epsilon_max_override":null' in tags["casanep_parameters"]
        assert ds.tags(1)["units"] == "gC m-2 month-1"


def test_given_topt_and_pet_allow_a_partial_year(tmp_path, scene):
    paths, d, _ = scene
    months = MONTHS[3:12]  # April .. December 2021
    sub = {
        k: write(tmp_path / f"part_{k}.tif", d[k][3:12].astype(np.float32), months)
        for k in ("ndvi", "sol", "t", "p", "e")
    }
    pet = np.full((9, 3, 4), 90.0, np.float32)
    sub["pet"] = write(tmp_path / "pet.tif", pet, months)
    with pytest.raises(CasaInputError) as err:
        run_npp(sub["ndvi"], paths["lc"], sub["sol"], sub["t"], sub["p"], str(tmp_path / "x.tif"))
    assert err.value.parameter == "NDVI" and "2021 (9 months)" in str(err.value)
    assert "OPTIMAL_TEMPERATURE and POTENTIAL_ET" in str(err.value)
    out = tmp_path / "npp_part.tif"
    run_npp(
        sub["ndvi"],
        paths["lc"],
        sub["sol"],
        sub["t"],
        sub["p"],
        str(out),
        evapotranspiration=sub["e"],
        potential_et=sub["pet"],
        optimal_temperature=24.0,
    )
    got = read(out)
    lo, hi, eps = CLASS_PARAMS[12]
    k, r, c = 2, 0, 0  # June 2021, cropland pixel
    nd, s_, t, e = (d[x][3 + k, r, c] for x in ("ndvi", "sol", "t", "e"))
    te1 = 0.0 if t <= -10 else 0.8 + 0.02 * 24 - 0.0005 * 24**2
    te2 = ref.te2raw(24, 24) / 2 if (t > 34 or t < 11) else ref.te2raw(24, t)
    ek = max(e, 0)
    we = min(max(0.5 + 0.5 * ek / ((ek + 90) / 2), 0.5), 1)
    assert got[k, r, c] == pytest.approx(s_ * ref.fpar(nd, lo, hi) * 0.5 * te1 * te2 * we * eps, rel=2e-5)


def test_epsilon_override_is_potter(scene):
    import dataclasses

    from casa_nep_plugin.core.params import POTTER_EPSILON_MAX, ModelParams

    paths, _, tmp = scene
    base, potter = tmp / "a.tif", tmp / "b.tif"
    run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], str(base), evapotranspiration=paths["e"])
    mp = ModelParams()
    mp = dataclasses.replace(mp, casa=dataclasses.replace(mp.casa, epsilon_max_override=POTTER_EPSILON_MAX))
    run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        paths["t"],
        paths["p"],
        str(potter),
        evapotranspiration=paths["e"],
        params=mp,
    )
    a, b = read(base), read(potter)
    # NPP is linear in eps_max: evergreen broadleaf (0.985) scales by 0.389/0.985
    np.testing.assert_allclose(b[:, 0, 1], a[:, 0, 1] * 0.389 / 0.985, rtol=1e-5)


def test_rh_matches_oracle_and_masks_water(scene):
    paths, d, tmp = scene
    out = tmp / "rh.tif"
    run_rh(paths["t"], paths["p"], str(out), landcover=paths["lc"])
    got = read(out)
    for r in range(3):
        for c in range(4):
            if LC[r, c] in (210, 250):
                assert np.isnan(got[:, r, c]).all()
            else:
                expect = [ref.rh(d["t"][k, r, c], d["p"][k, r, c]) for k in range(24)]
                np.testing.assert_allclose(got[:, r, c], expect, rtol=1e-5)
    # without land cover: everywhere the climate is valid
    out2 = tmp / "rh_all.tif"
    run_rh(paths["t"], paths["p"], str(out2))
    assert np.isfinite(read(out2)).all()


def test_nep_is_npp_minus_rh_exactly_and_ratio(scene):
    paths, _, tmp = scene
    npp, rh, nep, ratio = (str(tmp / f"{n}.tif") for n in ("npp", "rh", "nep", "ratio"))
    run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], npp, evapotranspiration=paths["e"])
    run_rh(paths["t"], paths["p"], rh, landcover=paths["lc"])
    run_nep(npp, rh, nep, ratio_output=ratio)
    a, b, n = read(npp).astype(np.float32), read(rh).astype(np.float32), read(nep).astype(np.float32)
    valid = np.isfinite(a) & np.isfinite(b)
    np.testing.assert_array_equal(n[valid], (a - b)[valid])  # float32 subtraction, bit for bit
    assert np.isnan(n[~valid]).all()
    rat = read(ratio)
    with rasterio.open(ratio) as ds:
        assert list(ds.descriptions) == ["2021", "2022"]
        assert ds.tags()["units"] == "percent"
    a64, b64 = read(npp), read(rh)
    for yi, s in enumerate((slice(0, 12), slice(12, 24))):
        sn, sr = a64[s].sum(axis=0), b64[s].sum(axis=0)
        expect = np.where(sn > 0, 100 * sr / sn, np.nan)
        np.testing.assert_allclose(rat[yi], expect, rtol=1e-5)


def test_climate_on_a_coarse_lonlat_grid_is_resampled(tmp_path, scene):
    """Uniform climate on a 0.1 degree grid must give the same NPP as the same values on the NDVI grid."""
    paths, d, _ = scene
    shape = (24, 5, 5)
    vals = {"t": 22.0, "p": 150.0, "e": 80.0, "sol": 400.0}
    geo = from_origin(113.0, 23.3, 0.1, 0.1)  # covers the UTM 49N scene near 113.2E 23.2N
    coarse = {
        k: write(tmp_path / f"geo_{k}.tif", np.full(shape, v, np.float32), MONTHS, crs="EPSG:4326", transform=geo)
        for k, v in vals.items()
    }
    fine = {k: write(tmp_path / f"fine_{k}.tif", np.full((24, 3, 4), v, np.float32), MONTHS) for k, v in vals.items()}
    a, b = tmp_path / "a.tif", tmp_path / "b.tif"
    run_npp(paths["ndvi"], paths["lc"], coarse["sol"], coarse["t"], coarse["p"], str(a), evapotranspiration=coarse["e"])
    run_npp(paths["ndvi"], paths["lc"], fine["sol"], fine["t"], fine["p"], str(b), evapotranspiration=fine["e"])
    np.testing.assert_allclose(read(a), read(b), rtol=1e-6)
    assert np.isfinite(read(a)).sum() > 0


def test_block_engine_seams(tmp_path, monkeypatch):
    """A raster cut into many windows gives the same cells as one window."""
    rng = np.random.default_rng(3)
    h, w = 300, 530  # not multiples of the 256 tile
    months = months_of([2021])
    t = rng.uniform(5, 30, (12, h, w)).astype(np.float32)
    p = rng.uniform(0, 300, (12, h, w)).astype(np.float32)
    tiled = dict(tiled=True, blockxsize=256, blockysize=256, interleave="band")
    tp, pp = write(tmp_path / "t.tif", t, months, **tiled), write(tmp_path / "p.tif", p, months, **tiled)
    one, many = tmp_path / "one.tif", tmp_path / "many.tif"
    run_rh(tp, pp, str(one))
    monkeypatch.setattr(engine, "DEFAULT_BLOCK_VALUES", 256 * 256 * 12)  # one tile per window
    calls = []
    from casa_nep_plugin.core.engine import Callbacks

    run_rh(tp, pp, str(many), callbacks=Callbacks(progress=calls.append))
    np.testing.assert_array_equal(read(one), read(many))
    assert len(calls) == 2 * 3  # 2 tile rows x 3 tile columns, one progress report each
    assert calls[-1] == pytest.approx(100.0)
    # the same stacks striped (GDAL's default layout): windows span the width, 2 rows of them
    sp, spp = write(tmp_path / "ts.tif", t, months), write(tmp_path / "ps.tif", p, months)
    calls.clear()
    striped = tmp_path / "striped.tif"
    run_rh(sp, spp, str(striped), callbacks=Callbacks(progress=calls.append))
    np.testing.assert_array_equal(read(one), read(striped))
    assert len(calls) == 2


def _no_leftovers(folder):
    return [f for f in os.listdir(folder) if ".part" in f] if os.path.isdir(folder) else []


def test_cancel_leaves_nothing(scene):
    paths, _, tmp = scene
    from casa_nep_plugin.core.engine import Callbacks

    out = tmp / "npp_cancel.tif"
    with pytest.raises(CasaCancelled):
        run_npp(
            paths["ndvi"],
            paths["lc"],
            paths["sol"],
            paths["t"],
            paths["p"],
            str(out),
            evapotranspiration=paths["e"],
            callbacks=Callbacks(is_cancelled=lambda: True),
        )
    assert not out.exists()
    assert _no_leftovers(tmp) == []


def test_cancel_keeps_an_existing_output_untouched(scene):
    paths, _, tmp = scene
    from casa_nep_plugin.core.engine import Callbacks

    out = tmp / "rh.tif"
    out.write_bytes(b"previous result")
    with pytest.raises(CasaCancelled):
        run_rh(paths["t"], paths["p"], str(out), callbacks=Callbacks(is_cancelled=lambda: True))
    assert out.read_bytes() == b"previous result"


# ---------------------------------------------------------------- bad input
def _expect_error(parameter, words, fn, out):
    with pytest.raises(CasaInputError) as err:
        fn()
    assert err.value.parameter == parameter, str(err.value)
    for w in words:
        assert w in str(err.value), str(err.value)
    assert not os.path.exists(out)
    assert _no_leftovers(os.path.dirname(out)) == []
    return err.value


def test_band_counts_differ(scene):
    paths, d, tmp = scene
    short = write(tmp / "p11.tif", d["p"][:11].astype(np.float32), MONTHS[:11])
    out = str(tmp / "o.tif")
    _expect_error(
        "PRECIPITATION",
        ["11 bands", "24"],
        lambda: run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], short, out),
        out,
    )


def test_descriptions_not_months(scene):
    paths, d, tmp = scene
    bad = write(tmp / "tbad.tif", d["t"].astype(np.float32), [f"Band {i}" for i in range(24)])
    out = str(tmp / "o.tif")
    _expect_error(
        "TEMPERATURE",
        ["YYYY-MM", "'Band 0'"],
        lambda: run_npp(paths["ndvi"], paths["lc"], paths["sol"], bad, paths["p"], out),
        out,
    )


def test_months_differ(scene):
    paths, d, tmp = scene
    shifted = write(tmp / "tshift.tif", d["t"].astype(np.float32), months_of([2022, 2023]))
    out = str(tmp / "o.tif")
    _expect_error(
        "TEMPERATURE",
        ["2022-01", "2021-01"],
        lambda: run_npp(paths["ndvi"], paths["lc"], paths["sol"], shifted, paths["p"], out),
        out,
    )


def test_kelvin_temperature(scene):
    paths, d, tmp = scene
    kelvin = write(tmp / "tk.tif", (d["t"] + 273.15).astype(np.float32), MONTHS)
    out = str(tmp / "o.tif")
    _expect_error(
        "TEMPERATURE",
        ["Kelvin", "273.15"],
        lambda: run_npp(paths["ndvi"], paths["lc"], paths["sol"], kelvin, paths["p"], out),
        out,
    )
    _expect_error("TEMPERATURE", ["Kelvin"], lambda: run_rh(kelvin, paths["p"], out), out)


def test_ndvi_out_of_range_after_scaling(scene):
    paths, d, tmp = scene
    ints = write(
        tmp / "ndvi_int.tif", np.nan_to_num(d["ndvi"] * 10000, nan=-3000).astype(np.int16), MONTHS, nodata=-3000
    )
    out = str(tmp / "o.tif")
    _expect_error(
        "NDVI",
        ["outside [-1, 1]", "NDVI_SCALE=0.0001"],
        lambda: run_npp(ints, paths["lc"], paths["sol"], paths["t"], paths["p"], out),
        out,
    )
    # and with the scale the same file runs
    run_npp(ints, paths["lc"], paths["sol"], paths["t"], paths["p"], out, ndvi_scale=0.0001)
    assert os.path.exists(out)


def test_landcover_codes_missing_from_table_are_listed(scene):
    paths, _, tmp = scene
    lc = LC.copy()
    lc[0, 0], lc[2, 2] = 33, 77
    bad = write(tmp / "lc_bad.tif", lc, nodata=None)
    out = str(tmp / "o.tif")
    _expect_error(
        "LANDCOVER",
        ["33, 77", "CLASS_TABLE"],
        lambda: run_npp(paths["ndvi"], bad, paths["sol"], paths["t"], paths["p"], out),
        out,
    )


def test_user_class_table(scene):
    paths, _, tmp = scene
    table = tmp / "codes.csv"
    table.write_text("code,class\n12,crop\n52,ebf\n72,enf\n130,grass\n190,water\n210,water\n250,nodata\n")
    out = tmp / "o.tif"
    run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        paths["t"],
        paths["p"],
        str(out),
        evapotranspiration=paths["e"],
        class_table=str(table),
    )
    # 190 (impervious) now mapped to water: no NPP there
    assert np.isnan(read(out)[:, 2, 1]).all()
    table.write_text("code,class\n12,cropz\n")
    _expect_error(
        "CLASS_TABLE",
        ["'cropz'"],
        lambda: run_npp(
            paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], str(tmp / "z.tif"), class_table=str(table)
        ),
        str(tmp / "z.tif"),
    )


def test_unwritable_output(scene):
    paths, _, tmp = scene
    out = str(tmp / "no" / "such" / "folder" / "npp.tif")
    _expect_error(
        "OUTPUT",
        ["does not exist"],
        lambda: run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], out),
        out,
    )
    _expect_error(
        "RATIO_OUTPUT",
        ["does not exist"],
        lambda: run_nep(paths["sol"], paths["sol"], str(tmp / "nep.tif"), ratio_output=out),
        out,
    )
    assert not (tmp / "nep.tif").exists()
    # a folder given where a file is expected
    _expect_error("OUTPUT", ["is a folder"], lambda: run_rh(paths["t"], paths["p"], str(tmp)), str(tmp / "x"))


def test_missing_input_file(scene):
    paths, _, tmp = scene
    out = str(tmp / "o.tif")
    _expect_error(
        "SOLAR_RADIATION",
        ["cannot open"],
        lambda: run_npp(paths["ndvi"], paths["lc"], str(tmp / "nope.tif"), paths["t"], paths["p"], out),
        out,
    )


def test_ndvi_bounds_from_percentiles(tmp_path):
    """The percentile option equals a vegetation table holding np.percentile's 5 %/95 % values (to one bin)."""
    from casa_nep_plugin.core import casa

    rng = np.random.default_rng(11)
    months = months_of([2021])
    shape = (12, 60, 80)  # about 29,000 NDVI values per class: ~24 per 0.0005 bin
    lc = np.full(shape[1:], 12, np.uint8)
    lc[:, 40:] = 52
    ndvi = np.where(lc == 12, rng.uniform(0.1, 0.7, shape), rng.uniform(0.3, 0.9, shape)).astype(np.float32)
    clim = {"sol": 400.0, "t": 22.0, "p": 150.0, "e": 80.0}
    paths = {k: write(tmp_path / f"{k}.tif", np.full(shape, v, np.float32), months) for k, v in clim.items()}
    nd, lcp = write(tmp_path / "ndvi.tif", ndvi, months), write(tmp_path / "lc.tif", lc, nodata=None)
    out = tmp_path / "pct.tif"
    from casa_nep_plugin.core.engine import Callbacks

    said: list[str] = []
    run_npp(
        nd,
        lcp,
        paths["sol"],
        paths["t"],
        paths["p"],
        str(out),
        evapotranspiration=paths["e"],
        ndvi_bounds="percentiles",
        callbacks=Callbacks(info=said.append),
    )
    # independent: numpy's percentiles of each class's NDVI, over all months
    crop, ebf = ndvi[:, lc == 12], ndvi[:, lc == 52]
    b = {k: (np.percentile(v, 5), np.percentile(v, 95)) for k, v in (("crop", crop), ("ebf", ebf))}
    table = tmp_path / "veg.csv"
    table.write_text(
        "key,name,ndvi_min,ndvi_max,epsilon_max,npp\n"
        f"crop,cropland,{b['crop'][0]},{b['crop'][1]},0.542,yes\nebf,evergreen broadleaf,{b['ebf'][0]},{b['ebf'][1]},"
        "0.985,yes\nother,other,0.023,0.634,0.542,yes\nwater,water,,,,no\nice,ice,,,,no\n"
        "enf,x,0.023,0.647,0.389,yes\ndnf,x,0.023,0.738,0.485,yes\ndbf,x,0.023,0.747,0.692,yes\n"
        "mf,x,0.023,0.702,0.475,yes\nshrub,x,0.023,0.636,0.429,yes\ngrass,x,0.023,0.634,0.542,yes\n"
    )
    ref_out = tmp_path / "ref.tif"
    run_npp(
        nd,
        lcp,
        paths["sol"],
        paths["t"],
        paths["p"],
        str(ref_out),
        evapotranspiration=paths["e"],
        vegetation_table=str(table),
    )
    for key in ("crop", "ebf"):
        line = next(m for m in said if f"class '{key}'" in m)
        lo, hi = (float(v) for v in line.split(": ")[1].split(" (")[0].split(" .. "))
        # one bin (0.0005) plus the 4-decimal message
        assert lo == pytest.approx(b[key][0], abs=5.5e-4) and hi == pytest.approx(b[key][1], abs=5.5e-4)
    # one histogram bin is 0.0005 NDVI: FPAR moves by up to 0.0005/0.6*0.949 = 0.0008, NPP by
    # 400*0.5*0.0008*0.985 = 0.16 gC m-2 month-1 at most
    np.testing.assert_allclose(read(out), read(ref_out), rtol=5e-3, atol=0.2)
    assert (
        abs(
            casa.histogram_percentile(np.bincount([10, 10, 20], minlength=casa.NDVI_BINS), 50)
            - (-1 + 10.5 * 2 / casa.NDVI_BINS)
        )
        < 1e-12
    )
    with pytest.raises(CasaInputError) as err:
        run_npp(nd, lcp, paths["sol"], paths["t"], paths["p"], str(tmp_path / "x.tif"), ndvi_bounds="median")
    assert err.value.parameter == "NDVI_BOUNDS"


def test_one_pass_rh_and_nep_equal_separate_runs(scene):
    """RH and NEP written by run_npp's single pass equal run_rh + run_nep (land cover on the NDVI grid)."""
    paths, _, tmp = scene
    npp, rh, nep = (str(tmp / f"one_{k}.tif") for k in ("npp", "rh", "nep"))
    run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        paths["t"],
        paths["p"],
        npp,
        evapotranspiration=paths["e"],
        rh_output=rh,
        nep_output=nep,
    )
    rh2, nep2 = str(tmp / "rh2.tif"), str(tmp / "nep2.tif")
    run_rh(paths["t"], paths["p"], rh2, landcover=paths["lc"])
    run_nep(npp, rh2, nep2)
    np.testing.assert_array_equal(read(rh), read(rh2))
    np.testing.assert_array_equal(read(nep), read(nep2))
