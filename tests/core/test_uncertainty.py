"""The Monte Carlo ensemble: zero-width distributions reproduce the deterministic run; one varied parameter
gives the analytic mean and spread within Monte Carlo error; the same seed gives the same ensemble."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.model import run_annual, run_npp
from casa_nep_plugin.core.uncertainty import Distribution, draw_members, load_distributions, run_uncertainty
from casa_nep_plugin.core.zonal import zonal_statistics
from tests.rasters import read


def sample_inputs(sample_dir):
    s = sample_dir
    return dict(
        ndvi=str(s / "ndvi_2021_2022.tif"),
        landcover=str(s / "landcover_glcfcs30.tif"),
        solar_radiation=str(s / "solar_radiation_2021_2022.tif"),
        temperature=str(s / "temperature_2021_2022.tif"),
        precipitation=str(s / "precipitation_2021_2022.tif"),
        evapotranspiration=str(s / "evapotranspiration_2021_2022.tif"),
        ndvi_scale=0.0001,
    )


def table(tmp_path, text: str) -> str:
    path = tmp_path / "dist.csv"
    path.write_text("parameter,distribution,arguments,source\n" + text)
    return str(path)


@pytest.fixture(scope="module")
def deterministic(sample_dir, tmp_path_factory):
    """run_npp (with RH and NEP), run_annual and zonal_statistics on the sample: the numbers to reproduce."""
    d = tmp_path_factory.mktemp("det")
    inp = sample_inputs(sample_dir)
    run_npp(output=str(d / "npp.tif"), rh_output=str(d / "rh.tif"), nep_output=str(d / "nep.tif"), **inp)
    run_annual(
        str(d / "npp.tif"),
        str(d / "rh.tif"),
        nep_output=str(d / "nep_annual.tif"),
        npp_output=str(d / "npp_annual.tif"),
    )
    zones = str(sample_dir / "zones.geojson")
    t = zonal_statistics(zones, {"npp": str(d / "npp.tif"), "rh": str(d / "rh.tif"), "nep": str(d / "nep.tif")})
    return d, t


def test_zero_width_reproduces_the_deterministic_run(sample_dir, tmp_path, deterministic):
    d, zt = deterministic
    zero = table(
        tmp_path,
        "epsilon_max:*,normal,sd=0,none\nfpar_max,uniform,low=0.95;high=0.95,none\n"
        "respiration_b,normal,rel_sd=0,none\n",
    )
    res = run_uncertainty(
        **sample_inputs(sample_dir),
        zones=str(sample_dir / "zones.geojson"),
        uncertainty_table=zero,
        members=3,
        seed=1,
        mean_output=str(tmp_path / "mean.tif"),
        sd_output=str(tmp_path / "sd.tif"),
        probability_output=str(tmp_path / "p.tif"),
        table_output=str(tmp_path / "u.csv"),
    )
    assert res.members.varied == []
    t = pd.read_csv(tmp_path / "u.csv")
    for q in ("npp", "rh", "nep"):
        for year in ("2021", "2022"):
            # the same numbers as the deterministic zone table, to float32 rounding of the monthly values
            np.testing.assert_allclose(t[f"{q}_{year}_total_ktC_mean"], zt[f"{q}_{year}_total_ktC"], rtol=2e-6)
            np.testing.assert_allclose(t[f"{q}_{year}_per_m2_mean"], zt[f"{q}_{year}_mean"], rtol=2e-6)
            np.testing.assert_allclose(t[f"{q}_{year}_total_ktC_p5"], zt[f"{q}_{year}_total_ktC"], rtol=2e-6)
            np.testing.assert_array_equal(t[f"{q}_{year}_valid_cells"], zt[f"{q}_{year}_valid_cells"])
            assert (t[f"{q}_{year}_total_ktC_sd"] < 1e-9).all()
    mean, det = read(tmp_path / "mean.tif"), read(d / "nep_annual.tif")
    np.testing.assert_array_equal(np.isnan(mean), np.isnan(det))
    np.testing.assert_allclose(mean, det, rtol=1e-5, atol=1e-3)
    assert np.nanmax(read(tmp_path / "sd.tif")) < 1e-3
    p = read(tmp_path / "p.tif")
    np.testing.assert_array_equal(p[np.isfinite(p)], (det[np.isfinite(det)] > 0).astype(float))


def test_one_varied_eps_max_gives_the_analytic_mean_and_spread(sample_dir, tmp_path, deterministic):
    """NPP is proportional to eps_max. With each class's eps_max drawn independently as eps0 * (1 + 0.2 z_c),
    z_c ~ N(0, 1), a zone's NPP total is sum_c T_c (1 + 0.2 z_c), T_c the deterministic total of class c in the
    zone: mean sum_c T_c, sd 0.2 sqrt(sum_c T_c^2). RH is fixed, so NEP has the same sd. Checked within Monte
    Carlo error (members = 400: 4 standard errors of the mean and of the sd)."""
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize

    from casa_nep_plugin.core.tables import load_code_table

    d, zt = deterministic
    dist = table(tmp_path, "epsilon_max:*,normal,rel_sd=0.2,stated\n")
    m = 400
    res = run_uncertainty(
        **sample_inputs(sample_dir),
        zones=str(sample_dir / "zones.geojson"),
        uncertainty_table=dist,
        members=m,
        seed=7,
        probability_output=str(tmp_path / "p.tif"),
    )
    t = res.table
    lookup = load_code_table()
    with rasterio.open(d / "npp_annual.tif") as ds:
        npp_a, transform, crs, shape = ds.read(1, masked=True).filled(np.nan), ds.transform, ds.crs, ds.shape
        area = abs(transform.a * transform.e)
    with rasterio.open(sample_dir / "landcover_glcfcs30.tif") as ds:
        codes = ds.read(1).astype(np.int64)
    pos, known = lookup.index(codes)
    keys = np.array(lookup.class_keys)[pos]
    zones = gpd.read_file(sample_dir / "zones.geojson").to_crs(crs)
    for i, geom in enumerate(zones.geometry):
        inside = rasterize([(geom, 1)], out_shape=shape, transform=transform, fill=0) == 1
        per_class = np.array([np.nansum(npp_a[inside & (keys == k) & known]) * area / 1e9 for k in set(keys[known])])
        mean, sd = per_class.sum(), 0.2 * math.sqrt((per_class**2).sum())
        row = t.iloc[i]
        se_mean, se_sd = sd / math.sqrt(m), sd / math.sqrt(2 * (m - 1))
        assert row["npp_2021_total_ktC_mean"] == pytest.approx(mean, abs=4 * se_mean)
        assert row["npp_2021_total_ktC_sd"] == pytest.approx(sd, abs=4 * se_sd)
        assert row["nep_2021_total_ktC_sd"] == pytest.approx(row["npp_2021_total_ktC_sd"], rel=1e-6)
        assert row["rh_2021_total_ktC_sd"] == pytest.approx(0.0, abs=1e-9)
        assert row["npp_2021_total_ktC_p5"] < mean < row["npp_2021_total_ktC_p95"]
    # one cell: P(NEP > 0) = P(NPP0 (1 + 0.2 z) > RH) = Phi((NPP0 - RH) / (0.2 NPP0)), binomial error
    nep_a = read(d / "nep_annual.tif")[0]
    rh_a = npp_a - nep_a
    p = read(tmp_path / "p.tif")[0]
    r, c = np.argwhere(np.isfinite(nep_a) & (np.abs(nep_a) < 0.2 * npp_a))[0]
    phi = 0.5 * (1 + math.erf((npp_a[r, c] - rh_a[r, c]) / (0.2 * npp_a[r, c]) / math.sqrt(2)))
    assert p[r, c] == pytest.approx(phi, abs=4 * math.sqrt(phi * (1 - phi) / m) + 1e-9)


def test_same_seed_same_ensemble_and_whole_grid_zone(sample_dir, tmp_path):
    kw = dict(**sample_inputs(sample_dir), members=5, seed=3)
    a = run_uncertainty(**kw)
    b = run_uncertainty(**kw, block_values=1 << 14)  # other windows, same numbers
    assert a.labels == ["all"]
    np.testing.assert_allclose(a.totals_g, b.totals_g, rtol=1e-9)
    one = run_uncertainty(**kw, threads=1)  # any thread count: the same bits
    np.testing.assert_array_equal(a.totals_g, one.totals_g)
    c = run_uncertainty(**{**kw, "seed": 4})
    assert not np.allclose(a.totals_g, c.totals_g)
    assert len(a.members.varied) > 10  # the shipped table varies every listed parameter


def test_draws_and_table_errors(tmp_path):
    d = load_distributions()
    assert {"epsilon_max:*", "fpar_max", "respiration_b"} <= set(d)
    assert all(x.source for x in d.values())
    from casa_nep_plugin.core.params import ModelParams

    base = {"epsilon_max": np.array([0.5]), "ndvi_min": np.array([0.02]), "ndvi_max": np.array([0.6])}
    mp = draw_members(
        {"fpar_max": Distribution("uniform", {"low": 0.9, "high": 0.99})}, ["crop"], base, ModelParams(), 1000, 0
    )
    assert 0.9 <= mp.scalars["fpar_max"].min() and mp.scalars["fpar_max"].max() <= 0.99
    assert (mp.epsilon_max == 0.5).all() and mp.varied == ["fpar_max"]
    with pytest.raises(CasaInputError, match="unknown parameter"):
        load_distributions(table(tmp_path, "eps,normal,sd=1,x\n"))
    with pytest.raises(CasaInputError, match="normal takes"):
        load_distributions(table(tmp_path, "fpar_max,normal,low=1,x\n"))


# -- on a Dask cluster (issue 13) ----------------------------------------------------------
def _scene(folder, h: int = 300, w: int = 520) -> dict:
    """Two years of monthly stacks (with NDVI gaps and water) on a grid of several windows, and two zones."""
    import json

    from tests.rasters import months_of, write

    rng = np.random.default_rng(11)
    months = months_of([2021, 2022])
    m = np.arange(len(months)) % 12
    shape = (len(months), h, w)
    data = {
        "ndvi": rng.uniform(-0.1, 0.9, shape),
        "sol": rng.uniform(150, 600, shape),
        "t": (15 + 14 * np.sin(2 * np.pi * (m - 3) / 12))[:, None, None] + rng.normal(0, 6, shape),
        "p": np.where(rng.random(shape) < 0.05, 0.0, rng.uniform(0, 300, shape)),
    }
    data["ndvi"][:, 7::97, 3::89] = -9999
    tiled = dict(tiled=True, blockxsize=256, blockysize=256)
    paths = {k: write(folder / f"{k}.tif", v.astype(np.float32), months, **tiled) for k, v in data.items()}
    codes = np.array([12, 52, 72, 130, 190, 210], np.uint8)
    paths["lc"] = write(folder / "lc.tif", codes[rng.integers(0, len(codes), (h, w))], ["code"], nodata=None, **tiled)
    x0, y0 = 730000, 2565000  # tests.rasters' origin, 250 m cells
    boxes = [(x0 + 1000, y0 - 60000, x0 + 70000, y0 - 1000), (x0 + 50000, y0 - 74000, x0 + 129000, y0 - 20000)]
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"z{i}"},
            "geometry": {"type": "Polygon", "coordinates": [[(a, b), (c, b), (c, d), (a, d), (a, b)]]},
        }
        for i, (a, b, c, d) in enumerate(boxes)
    ]
    (folder / "zones.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": features,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}},
            }
        )
    )
    paths["zones"] = str(folder / "zones.geojson")
    return paths


def test_on_a_dask_cluster_the_ensemble_equals_the_local_run_bit_for_bit(tmp_path, monkeypatch):
    """The same window tasks on a real distributed.LocalCluster (2 worker processes, loopback) give the same
    maps (cell bits, profile, tags) and the same zone totals, to the last bit, as the local engine."""
    distributed = pytest.importorskip("distributed")
    import rasterio

    from casa_nep_plugin.core import cluster, engine, uncertainty_task

    paths = _scene(tmp_path)
    monkeypatch.delenv(cluster.ENV, raising=False)
    factory = engine.EXECUTOR_FACTORY
    sent = []
    submit = cluster.DaskExecutor.submit

    def counted(self, fn, *args):
        sent.append(args)
        return submit(self, fn, *args)

    monkeypatch.setattr(cluster.DaskExecutor, "submit", counted)

    def run(where: str, **kw):
        out = tmp_path / where
        out.mkdir()
        res = run_uncertainty(
            paths["ndvi"],
            paths["lc"],
            paths["sol"],
            paths["t"],
            paths["p"],
            zones=paths["zones"],
            members=23,
            seed=9,
            sd_output=str(out / "sd.tif"),
            probability_output=str(out / "p.tif"),
            mean_output=str(out / "mean.tif"),
            **kw,
        )
        with rasterio.open(out / "sd.tif") as ds:
            assert ds.count == 2
        return res, out

    def content(path) -> tuple:
        with rasterio.open(path) as ds:
            return ds.read().tobytes(), ds.profile, ds.tags(), [ds.tags(i) for i in ds.indexes], ds.descriptions

    local, lout = run("local", threads=2)
    assert not sent
    lc = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        monkeypatch.setenv(cluster.ENV, lc.scheduler_address)
        cluster.connect(lc.scheduler_address).wait_for_workers(2, timeout=30)
        remote, rout = run("dask")
    finally:
        cluster.close_clients()
        engine.EXECUTOR_FACTORY = factory
        lc.close()
    windows = {(int(w.col_off), int(w.row_off)) for w, _ in sent}
    assert len(windows) > 1 and len(sent) == 2 * len(windows)  # every window x year went to the cluster
    assert uncertainty_task.MEMBER_CHUNK < 23  # several member chunks per task
    for name in ("sd", "p", "mean"):
        assert content(rout / f"{name}.tif") == content(lout / f"{name}.tif"), name
    for a in ("totals_g", "valid_m2", "valid_cells", "cells"):
        np.testing.assert_array_equal(getattr(remote, a), getattr(local, a), err_msg=a)
    assert (local.valid_cells[:, :, 2] > 0).all() and local.labels == ["z0", "z1"]


def test_memory_follows_the_window_not_the_members(tmp_path):
    """Members are computed a chunk at a time: 60 members peak at about the memory of 10 (all 60 members of a
    window at once would add 60 x 110 000 land cells x 4 bytes x 4 arrays, some 100 MB, to a peak of ~45 MB)."""
    import tracemalloc

    p = _scene(tmp_path)
    peaks = {}
    for m in (10, 60):
        tracemalloc.start()
        run_uncertainty(
            p["ndvi"],
            p["lc"],
            p["sol"],
            p["t"],
            p["p"],
            members=m,
            seed=2,
            threads=1,
            sd_output=str(tmp_path / f"sd{m}.tif"),
        )
        peaks[m] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[60] < 1.2 * peaks[10], peaks
