"""The block engine at scale: threads, layouts, resampling, cancel, signals, writes that cannot lie.

Expected values here are the engine's own single-threaded or whole-file results
(the science is checked against the scalar oracle in test_model.py), GDAL's
whole-file warp (an independent resampling), or hand-made files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from casa_nep_plugin.core import engine
from casa_nep_plugin.core.engine import Callbacks
from casa_nep_plugin.core.errors import CasaCancelled, CasaInputError
from casa_nep_plugin.core.model import run_annual, run_nep, run_npp, run_rh
from tests.rasters import months_of, npp_chain, read, write

ROOT = Path(__file__).resolve().parents[2]
TILED = dict(tiled=True, blockxsize=256, blockysize=256)


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(f for f in os.listdir(folder) if ".part" in f or f.startswith(".cog"))


def make_scene(folder: Path, h: int = 300, w: int = 530, years=(2021,), seed: int = 11, **layout) -> dict[str, str]:
    """Monthly stacks with every branch of the model (cold, hot, dry months, gaps) and GLC_FCS30 land cover."""
    rng = np.random.default_rng(seed)
    months = months_of(list(years))
    n = len(months)
    m = np.arange(n) % 12
    t = (15 + 14 * np.sin(2 * np.pi * (m - 3) / 12))[:, None, None] + rng.normal(0, 6, (n, h, w))
    data = {
        "ndvi": rng.uniform(-0.1, 0.9, (n, h, w)),
        "sol": rng.uniform(150, 600, (n, h, w)),
        "t": t,
        "p": np.where(rng.random((n, h, w)) < 0.05, 0.0, rng.uniform(0, 300, (n, h, w))),
    }
    data["ndvi"][rng.random((n, h, w)) < 0.01] = -9999
    paths = {k: write(folder / f"{k}.tif", v.astype(np.float32), months, **layout) for k, v in data.items()}
    codes = np.array([12, 52, 72, 130, 190, 210], np.uint8)
    lc = codes[rng.integers(0, len(codes), (h, w))]
    paths["lc"] = write(folder / "lc.tif", lc, ["code"], nodata=None, **layout)
    return paths


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    return make_scene(folder, **TILED), folder


# -- all cores, same bits ---------------------------------------------------------------
def test_outputs_are_bit_identical_for_any_number_of_workers(scene, monkeypatch):
    paths, folder = scene
    monkeypatch.setattr(engine, "DEFAULT_BLOCK_VALUES", 256 * 256 * 12)  # many windows
    sums = []
    for n in (1, 2, 3):
        npp_chain(paths, folder / f"t{n}", threads=n)
        sums.append([read(folder / f"t{n}" / f"{k}.tif").tobytes() for k in ("npp", "rh", "nep")])
    assert sums[0] == sums[1] == sums[2]


def test_fused_kernel_equals_the_numpy_path_through_the_engine(scene, monkeypatch):
    pytest.importorskip("numba")
    paths, folder = scene
    monkeypatch.setenv("CASANEP_NUMBA", "1")
    npp_chain(paths, folder / "fused")
    monkeypatch.setenv("CASANEP_NUMBA", "0")
    npp_chain(paths, folder / "numpy")
    for k in ("npp", "rh", "nep"):
        a = read(folder / "fused" / f"{k}.tif").astype(np.float32)
        b = read(folder / "numpy" / f"{k}.tif").astype(np.float32)
        assert np.array_equal(np.isnan(a), np.isnan(b))
        ok = np.isfinite(a)
        np.testing.assert_array_max_ulp(a[ok], b[ok], maxulp=1)


def test_threads_setting_and_environment(monkeypatch):
    monkeypatch.setenv("CASANEP_THREADS", "3")
    assert engine.default_threads() == 3
    monkeypatch.setenv("CASANEP_THREADS", "zero")
    with pytest.raises(CasaInputError) as err:
        engine.default_threads()
    assert err.value.parameter == "CASANEP_THREADS"
    monkeypatch.delenv("CASANEP_THREADS")
    monkeypatch.setattr(engine.SETTINGS, "threads", 0)
    assert engine.default_threads() == (os.cpu_count() or 1)
    monkeypatch.setattr(engine.SETTINGS, "threads", 1)
    assert engine.default_threads() == 1


# -- any layout ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layout",
    [
        dict(),  # GDAL's default: striped, pixel-interleaved
        dict(tiled=True, blockxsize=512, blockysize=512, interleave="pixel", compress="deflate"),  # rasterio-style
        dict(tiled=True, blockxsize=128, blockysize=128, interleave="band", compress="zstd"),
    ],
    ids=["striped-pixel", "tiled512-pixel-deflate", "tiled128-band"],
)
def test_every_layout_gives_the_same_result(tmp_path, scene, layout):
    paths, folder = scene
    ref_dir = folder / "ref_layout"
    if not ref_dir.exists():
        npp_chain(paths, ref_dir)
    other = make_scene(tmp_path, **layout)  # same seed: the same values in another layout
    npp_chain(other, tmp_path / "out")
    for k in ("npp", "rh", "nep"):
        assert read(tmp_path / "out" / f"{k}.tif").tobytes() == read(ref_dir / f"{k}.tif").tobytes()


def test_a_vrt_stack_reads_like_its_file(tmp_path, scene):
    paths, folder = scene
    vrt = tmp_path / "ndvi.vrt"
    subprocess.run(["gdal_translate", "-q", "-of", "VRT", paths["ndvi"], str(vrt)], check=True)
    p2 = dict(paths, ndvi=str(vrt))
    npp_chain(p2, tmp_path / "vrt")
    npp_chain(paths, tmp_path / "tif")
    assert read(tmp_path / "vrt" / "npp.tif").tobytes() == read(tmp_path / "tif" / "npp.tif").tobytes()


def test_windows_follow_the_input_blocks():
    from casa_nep_plugin.core.grid import ModelGrid

    g = ModelGrid(None, from_origin(0, 0, 1, 1), 6000, 6000)
    wins = list(g.windows(1 << 22, 12, (512, 512)))
    assert all(w.row_off % 512 == 0 and w.col_off % 512 == 0 for w in wins)
    assert all(w.height == 512 or w.row_off + w.height == 6000 for w in wins)
    strips = list(g.windows(1 << 22, 12, (1, 6000)))
    assert all(w.col_off == 0 and w.width == 6000 for w in strips)


# -- climate on another grid, resampled window by window -------------------------------------
def test_window_resampling_of_coarse_lonlat_climate_is_bilinear(tmp_path):
    """A field linear in the coarse file's cell coordinates is reproduced exactly by bilinear
    resampling, so each UTM cell must get the field's value at its centre (computed here with
    pyproj, independently of GDAL), up to GDAL's approximate transform: 1/8 source cell."""
    from pyproj import Transformer

    from casa_nep_plugin.core.grid import ModelGrid
    from casa_nep_plugin.core.raster import RasterInput

    rows, cols = np.mgrid[0:12, 0:14].astype(np.float64)
    gx, gy = 0.3, 0.2  # units per source cell
    field = 10 + gx * cols + gy * rows  # value at the centre of source cell (row, col)
    stack = np.stack([field + k for k in range(24)]).astype(np.float32)
    src = write(
        tmp_path / "c.tif",
        stack,
        months_of([2021, 2022]),
        crs="EPSG:4326",
        transform=from_origin(112.9, 23.4, 0.1, 0.1),
    )
    grid = ModelGrid(rasterio.crs.CRS.from_epsg(32649), from_origin(700000, 2575000, 250, 250), 700, 500)
    inp = RasterInput.open(src, "TEMPERATURE")
    inp.attach(grid)
    got = np.full((24, 500, 700), np.nan, np.float32)
    for w in grid.windows(256 * 256 * 24, 24):
        r, c = int(w.row_off), int(w.col_off)
        got[:, r : r + int(w.height), c : c + int(w.width)] = inp.read(w)
    inp.close()
    yy, xx = np.mgrid[0:500, 0:700]
    east, north = 700000 + (xx + 0.5) * 250, 2575000 - (yy + 0.5) * 250
    lon, lat = Transformer.from_crs(32649, 4326, always_xy=True).transform(east, north)
    scol, srow = (lon - 112.9) / 0.1 - 0.5, (23.4 - lat) / 0.1 - 0.5
    inside = (scol > 0.2) & (scol < 12.8) & (srow > 0.2) & (srow < 10.8)
    assert inside.sum() > 100000
    for k in (0, 13, 23):
        want = 10 + k + gx * scol + gy * srow
        err = np.abs(got[k][inside] - want[inside])
        assert err.max() <= (gx + gy) * 0.125 + 1e-4, err.max()


def test_long_stack_with_coarse_climate_keeps_memory_by_the_window(tmp_path, monkeypatch):
    """120 months: each task reads one year, so no read holds more than 12 bands."""
    from casa_nep_plugin.core import raster

    years = list(range(2001, 2011))
    months = months_of(years)
    rng = np.random.default_rng(2)
    h, w = 64, 80
    ndvi = rng.uniform(0.1, 0.8, (len(months), h, w)).astype(np.float32)
    lc = np.full((h, w), 12, np.uint8)
    p = {"ndvi": write(tmp_path / "n.tif", ndvi, months), "lc": write(tmp_path / "lc.tif", lc, ["c"], nodata=None)}
    geo = from_origin(730000 - 2500, 2565000 + 2500, 2500, 2500)
    for k, lo, hi in (("sol", 200, 500), ("t", 5, 30), ("p", 0, 300)):
        p[k] = write(
            tmp_path / f"{k}.tif", rng.uniform(lo, hi, (len(months), 10, 11)).astype(np.float32), months, transform=geo
        )
    deepest = []
    orig = raster.RasterInput.read

    def spy(self, window, bands=None):
        out = orig(self, window, bands)
        deepest.append(out.shape[0])
        return out

    monkeypatch.setattr(raster.RasterInput, "read", spy)
    npp_chain(p, tmp_path / "o")
    assert max(deepest) == 12
    assert read(tmp_path / "o" / "npp.tif").shape == (120, h, w)


# -- cancel and signals ----------------------------------------------------------------------
def test_cancel_is_seen_within_two_seconds_and_leaves_nothing(scene, tmp_path, monkeypatch):
    paths, _ = scene
    from casa_nep_plugin.core import model

    orig = model.NppTask.__call__

    def slow(self, window, part):
        time.sleep(0.3)
        return orig(self, window, part)

    monkeypatch.setattr(model.NppTask, "__call__", slow)
    monkeypatch.setattr(engine, "DEFAULT_BLOCK_VALUES", 256 * 256 * 12)
    flag = threading.Event()
    threading.Timer(0.5, flag.set).start()
    out = tmp_path / "c"
    t0 = time.perf_counter()
    with pytest.raises(CasaCancelled):
        npp_chain(paths, out, callbacks=Callbacks(is_cancelled=flag.is_set))
    assert time.perf_counter() - t0 < 0.5 + 2.0
    assert os.listdir(out) == []


SIGNAL_SCRIPT = textwrap.dedent("""
    import sys, time
    from casa_nep_plugin.core import model
    from tests.core.test_engine import make_scene
    from tests.rasters import npp_chain
    from pathlib import Path
    folder = Path(sys.argv[1])
    paths = make_scene(folder, h=600, w=600, tiled=True, blockxsize=256, blockysize=256)
    orig = model.NppTask.__call__
    def slow(self, window, part):
        time.sleep(0.2)
        return orig(self, window, part)
    model.NppTask.__call__ = slow
    print("ready", flush=True)
    npp_chain(paths, folder / "out")
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_remove_part_files(tmp_path, sig):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGNAL_SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = tmp_path / "out"
    deadline = time.time() + 60
    while time.time() < deadline and not (out.exists() and leftovers(out)):
        time.sleep(0.05)
    assert leftovers(out), proc.stderr.read() if proc.poll() is not None else "no .part file appeared"
    t0 = time.perf_counter()
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert time.perf_counter() - t0 < 2.0 + 1.0  # reacts within 2 s (plus interpreter exit)
    assert proc.returncode != 0
    assert leftovers(out) == [] and not (out / "npp.tif").exists()


# -- writes that cannot lie ------------------------------------------------------------------
def _tmpfs(tmp_path: Path, size: str) -> Path:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    return mnt


def test_full_disk_fails_clearly_and_keeps_the_previous_file(tmp_path, scene):
    paths, _ = scene
    mnt = _tmpfs(tmp_path, "2m")
    try:
        previous = mnt / "npp.tif"
        previous.write_bytes(b"the user's earlier result" * 1000)
        before = sha(previous)
        with pytest.raises(CasaInputError) as err:
            run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], str(previous), compress="none")
        assert err.value.parameter == "OUTPUT"
        assert "No space left" in str(err.value) or "space" in str(err.value)
        assert sha(previous) == before
        assert leftovers(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_all_nodata_result_is_an_error_and_keeps_the_previous_file(tmp_path, scene):
    paths, _ = scene
    with rasterio.open(paths["ndvi"]) as ds:
        prof, desc = ds.profile, ds.descriptions
    empty = tmp_path / "empty_ndvi.tif"
    with rasterio.open(empty, "w", **prof) as ds:
        ds.write(np.full((prof["count"], prof["height"], prof["width"]), -9999, np.float32))
        ds.descriptions = desc
    previous = tmp_path / "npp.tif"
    previous.write_bytes(b"keep me")
    with pytest.raises(CasaInputError) as err:
        run_npp(str(empty), paths["lc"], paths["sol"], paths["t"], paths["p"], str(previous))
    assert err.value.parameter == "NDVI"
    assert previous.read_bytes() == b"keep me"
    assert leftovers(tmp_path) == []


def test_outputs_refused_before_any_work(tmp_path, scene):
    paths, _ = scene
    args = (paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"])
    sums = {k: sha(v) for k, v in paths.items()}
    cases = [
        (dict(output=paths["t"]), "OUTPUT", "input"),
        (
            dict(output=str(tmp_path / "o.tif"), rh_output=str(tmp_path / "o.tif")),
            "RH_OUTPUT",
            "also the OUTPUT output",
        ),
        (dict(output=str(tmp_path / "o.txt")), "OUTPUT", ".tif"),
        (dict(output=str(tmp_path / "nofolder" / "o.tif")), "OUTPUT", "does not exist"),
    ]
    if os.path.exists("/dev/full"):
        cases.append((dict(output="/dev/full"), "OUTPUT", "not a regular file"))
    link = tmp_path / "link.tif"
    link.symlink_to(paths["t"])
    cases.append((dict(output=str(link)), "OUTPUT", "input"))
    for kw, param, words in cases:
        with pytest.raises(CasaInputError) as err:
            run_npp(*args, **kw)
        assert err.value.parameter == param, (kw, str(err.value))
        assert words in str(err.value), (kw, str(err.value))
    assert {k: sha(v) for k, v in paths.items()} == sums
    assert leftovers(tmp_path) == []


def test_a_symlinked_output_is_written_through_to_its_target(tmp_path, scene):
    paths, _ = scene
    target = tmp_path / "real" / "npp.tif"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "npp_link.tif"
    link.symlink_to(target)
    run_npp(paths["ndvi"], paths["lc"], paths["sol"], paths["t"], paths["p"], str(link))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert read(target).shape[0] == 12


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, scene, mask, mode):
    paths, _ = scene
    old = os.umask(mask)
    try:
        run_rh(paths["t"], paths["p"], str(tmp_path / "rh.tif"))
    finally:
        os.umask(old)
    assert (tmp_path / "rh.tif").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("compress,cog", [("none", False), ("deflate", False), ("zstd", True)])
def test_output_formats_hold_the_same_values(tmp_path, scene, compress, cog):
    paths, _ = scene
    run_rh(paths["t"], paths["p"], str(tmp_path / "ref.tif"))
    run_rh(paths["t"], paths["p"], str(tmp_path / "rh.tif"), compress=compress, cog=cog)
    assert read(tmp_path / "rh.tif").tobytes() == read(tmp_path / "ref.tif").tobytes()
    with rasterio.open(tmp_path / "rh.tif") as ds:
        assert (ds.compression.value.lower() if ds.compression else "none") == compress
        if cog:
            assert ds.profile.get("tiled") and ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT", "COG") == "COG"
    with pytest.raises(CasaInputError) as err:
        run_rh(paths["t"], paths["p"], str(tmp_path / "x.tif"), compress="lzma")
    assert err.value.parameter == "COMPRESSION"


# -- coverage ----------------------------------------------------------------------------------
def test_partial_climate_coverage_is_reported_and_warned(tmp_path, scene):
    paths, _ = scene
    with rasterio.open(paths["t"]) as ds:
        t = ds.read()
        prof, desc = ds.profile, ds.descriptions
    t[:, :, : t.shape[2] // 2] = -9999  # the western half has no temperature
    half = tmp_path / "t_half.tif"
    with rasterio.open(half, "w", **prof) as ds:
        ds.write(t)
        ds.descriptions = desc
    said, warned = [], []
    run_npp(
        paths["ndvi"],
        paths["lc"],
        paths["sol"],
        str(half),
        paths["p"],
        str(tmp_path / "npp.tif"),
        callbacks=Callbacks(info=said.append, warning=warned.append),
    )
    assert any("coverage" in s for s in said)
    assert any(w.startswith("TEMPERATURE") and "%" in w for w in warned), warned
    with rasterio.open(tmp_path / "npp.tif") as ds:
        import json

        cov = json.loads(ds.tags()["casanep_coverage"])
    assert 0.45 < cov["share"] < 0.55
    assert cov["lost_to"]["TEMPERATURE"] > 0


def test_one_pass_equals_separate_runs_and_annual(scene, tmp_path):
    """The year-by-year tasks of rh, nep and annual agree with the one-pass chain."""
    paths, _ = scene
    one = npp_chain(paths, tmp_path / "one")
    run_rh(paths["t"], paths["p"], str(tmp_path / "rh.tif"), landcover=paths["lc"])
    run_nep(one["npp"], str(tmp_path / "rh.tif"), str(tmp_path / "nep.tif"), ratio_output=str(tmp_path / "r.tif"))
    assert read(tmp_path / "rh.tif").tobytes() == read(one["rh"]).tobytes()
    assert read(tmp_path / "nep.tif").tobytes() == read(one["nep"]).tobytes()
    run_annual(one["npp"], one["rh"], npp_output=str(tmp_path / "a.tif"))
    a = read(tmp_path / "a.tif")
    npp = read(one["npp"])
    np.testing.assert_allclose(a[0], npp.sum(axis=0), rtol=1e-5)


def test_the_writer_never_changes_what_a_task_hands_back(tmp_path):
    """Nodata is written into a copy: a task returning a view of its caller's array leaves it as it was."""
    from casa_nep_plugin.core.grid import ModelGrid
    from casa_nep_plugin.core.raster import write_stack

    g = ModelGrid(rasterio.crs.CRS.from_epsg(32649), from_origin(730000, 2565000, 250, 250), 300, 270)
    data = np.random.default_rng(4).random((2, 270, 300)).astype(np.float32)
    data[0, 3, 4] = np.nan
    before = data.copy()
    write_stack(str(tmp_path / "s.tif"), g, data, ["2021-01", "2021-02"])
    np.testing.assert_array_equal(data, before)
