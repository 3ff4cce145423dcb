"""Child process of the benchmarks: runs one variant and prints one ``RESULT {json}`` line.

Usage: ``python _chain_worker.py '<json config>'``.  The config names the
variant and an output folder ``out``:

- ``plugin``: ``casa_nep_plugin.core.model`` (whichever tree is first on
  PYTHONPATH); ``chain`` ``onepass`` (``run_npp`` with ``rh_output`` and
  ``nep_output``) or ``threestep`` (``run_npp``, ``run_rh``, ``run_nep``);
  optional ``threads`` and ``compress`` (passed only when given, so that old
  checkouts without them run too);
- ``fused``: whole-array numpy of METHOD.md + write with ``GTIFF_PROFILE``;
- ``floor``: read every input, write three outputs, no compute (``compress``);
- ``rastercalc``: the chain from ``qgis:rastercalculator`` (``months``);
- ``generate`` (``bench_chain.make_inputs``) and ``generate_grid``
  (``_inputs.make_grid_inputs``): synthetic inputs.

The result holds ``times`` (``total`` = the timed call, seconds), ``work_cpu``
(user + sys CPU seconds of that call, all threads), and the process's peak
resident memory (``vmhwm_mb``, VmHWM, measured before any comparison).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import rasterio

# --------------------------------------------------------------------------- #
# GLC_FCS30 codes used by the synthetic land cover, and METHOD.md's table.
# --------------------------------------------------------------------------- #
#: class -> (NDVImin, NDVImax, eps_max gC MJ-1), METHOD.md section 1 (Zhu et al. 2006).
CLASSES = {
    "enf": (0.023, 0.647, 0.389),
    "dnf": (0.023, 0.738, 0.485),
    "ebf": (0.023, 0.676, 0.985),
    "dbf": (0.023, 0.747, 0.692),
    "mf": (0.023, 0.702, 0.475),
    "shrub": (0.023, 0.636, 0.429),
    "grass": (0.023, 0.634, 0.542),
    "crop": (0.023, 0.634, 0.542),
    "other": (0.023, 0.634, 0.542),
}
#: GLC_FCS30 code -> class (METHOD.md; water 210 and ice 220 carry no NPP).
CODES = {
    10: "crop",
    20: "crop",
    51: "ebf",
    61: "dbf",
    71: "enf",
    81: "dnf",
    91: "mf",
    120: "shrub",
    130: "grass",
    181: "other",
    190: "other",
    200: "other",
    210: None,
    220: None,
}


def peak_rss_kib() -> int:
    """ru_maxrss of this process and its waited-for children, KiB.

    Linux carries the parent's high-water mark across fork + exec into this
    figure, so it is only an upper bound; :func:`vmhwm_mb` is exact.
    """
    return max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def cpu_seconds() -> float:
    """User + sys CPU time of this process (all threads) so far, seconds."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def vmhwm_mb() -> float:
    """Peak resident memory of this process since exec (VmHWM in /proc/self/status), MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# --------------------------------------------------------------------------- #
# Plugin chain (core, no QGIS)
# --------------------------------------------------------------------------- #
def apply_patches(patches: dict) -> None:
    """Monkeypatch engine constants for an experiment (never edits files)."""
    from casa_nep_plugin.core import engine

    if "block_values" in patches:
        engine.DEFAULT_BLOCK_VALUES = int(patches["block_values"])
    if "gdal_cache_mb" in patches:
        from casa_nep_plugin.core import model

        engine.GDAL_CACHE_BYTES = int(patches["gdal_cache_mb"]) * 1024 * 1024
        # gdal_cache() took its default at definition time, and model imported it by name: rebind both
        default = engine.GDAL_CACHE_BYTES
        orig = engine.gdal_cache.__wrapped__

        def patched(limit_bytes: int = default):
            return orig(limit_bytes)

        import contextlib

        engine.gdal_cache = model.gdal_cache = contextlib.contextmanager(patched)
    if "profile" in patches:
        profile = gtiff_profile()
        prof = dict(profile)
        for k, v in patches["profile"].items():
            if v is None:
                prof.pop(k, None)
            else:
                prof[k] = v
        profile.clear()
        profile.update(prof)


def gtiff_profile() -> dict:
    """The plugin's GeoTIFF creation options (``core.outputs``; ``core.engine`` in older trees)."""
    try:
        from casa_nep_plugin.core.outputs import GTIFF_PROFILE
    except ImportError:  # commits before the output files had a module of their own (e.g. 4aeb060)
        from casa_nep_plugin.core.engine import GTIFF_PROFILE
    return GTIFF_PROFILE


def engine_settings() -> dict:
    """The engine's effective GeoTIFF options and window size (after any patches)."""
    from casa_nep_plugin.core import engine

    prof = gtiff_profile()
    keys = ("compress", "zstd_level", "zlevel", "predictor", "num_threads")
    return {**{k: prof.get(k) for k in keys}, "block_values": engine.DEFAULT_BLOCK_VALUES}


def run_plugin(cfg: dict) -> dict:
    """NPP, RH and NEP through casa_nep_plugin.core.model; wall time per step.

    ``chain`` ``threestep``: ``run_npp``, then ``run_rh``, then ``run_nep`` on
    the two files just written.  ``onepass``: one ``run_npp`` call writing NPP,
    RH and NEP together (``rh_output``, ``nep_output``).
    """
    from casa_nep_plugin.core import model

    apply_patches(cfg.get("patches", {}))
    inp, out = cfg["inputs"], Path(cfg["out"])
    chain = cfg.get("chain", "threestep")
    npp_args = dict(
        ndvi=inp["ndvi"],
        landcover=inp["lc"],
        solar_radiation=inp["sol"],
        temperature=inp["t"],
        precipitation=inp["p"],
        evapotranspiration=inp["e"],
        output=str(out / "npp.tif"),
    )
    for key in ("threads", "compress"):  # the new engine's options (absent from old checkouts: not passed)
        if cfg.get(key) is not None:
            npp_args[key] = cfg[key]
    times = {}
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    if chain == "onepass":
        model.run_npp(**npp_args, rh_output=str(out / "rh.tif"), nep_output=str(out / "nep.tif"))
        times["onepass"] = time.perf_counter() - t0
    elif chain == "threestep":
        model.run_npp(**npp_args)
        times["npp"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        model.run_rh(temperature=inp["t"], precipitation=inp["p"], landcover=inp["lc"], output=str(out / "rh.tif"))
        times["rh"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        model.run_nep(npp=str(out / "npp.tif"), rh=str(out / "rh.tif"), output=str(out / "nep.tif"))
        times["nep"] = time.perf_counter() - t2
    else:
        raise ValueError(f"unknown chain {chain!r}")
    times["total"] = time.perf_counter() - t0
    res = {"times": times, "work_cpu": cpu_seconds() - c0, "chain": chain, "settings": engine_settings()}
    try:  # what the engine actually used (absent from old checkouts)
        from casa_nep_plugin.core import engine, kernels

        res["numba"] = kernels.use_kernel()
        res["threads_used"] = cfg.get("threads") or engine.default_threads()
    except (ImportError, AttributeError):
        pass
    return res


# --------------------------------------------------------------------------- #
# Fused in-memory numpy, written from METHOD.md (no casa_nep_plugin imports)
# --------------------------------------------------------------------------- #
def _luts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nmin = np.full(256, np.nan, np.float32)
    nmax = np.full(256, np.nan, np.float32)
    eps = np.full(256, np.nan, np.float32)
    for code, cls in CODES.items():
        if cls is not None:
            nmin[code], nmax[code], eps[code] = CLASSES[cls]
    return nmin, nmax, eps


def fused_chain(ndvi, sol, t, p, e, lc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPP, RH, NEP (gC m-2 month-1) for one calendar year of 12 months, whole arrays.

    METHOD.md sections 1-3: CASA NPP with FPAR (NDVI and SR forms, alpha 0.5),
    Topt at the NDVI peak, Te1, Te2 with its edge rule, Thornthwaite Ep0, We
    from the given E; Pei RH masked to land; NEP = NPP - RH.  float32 throughout.
    """
    f32 = np.float32
    nmin_l, nmax_l, eps_l = _luts()
    codes = np.where(lc >= 0, lc, 255).astype(np.intp)
    nmin, nmax, eps = nmin_l[codes], nmax_l[codes], eps_l[codes]
    land = np.isfinite(eps)
    # FPAR
    n = np.clip(ndvi, nmin, nmax)
    sr = (1 + n) / (1 - n)
    srmin = (1 + nmin) / (1 - nmin)
    srmax = (1 + nmax) / (1 - nmax)
    fpar = f32(0.5) * ((n - nmin) / (nmax - nmin) * f32(0.949) + f32(0.001)) + f32(0.5) * (
        (sr - srmin) / (srmax - srmin) * f32(0.949) + f32(0.001)
    )
    del n, sr
    # Topt: T of the (first) NDVI-peak month
    filled = np.where(np.isnan(ndvi), -np.inf, ndvi)
    peak = np.argmax(filled, axis=0)
    del filled
    topt = np.take_along_axis(t, peak[None], axis=0)[0]
    topt[np.isnan(ndvi).all(axis=0)] = np.nan
    # Te1, Te2
    te1 = np.where(t <= -10, f32(0), f32(0.8) + f32(0.02) * topt - f32(0.0005) * topt * topt)

    def te2raw(tt):
        return f32(1.1814) / ((1 + np.exp(f32(0.2) * (topt - 10 - tt))) * (1 + np.exp(f32(0.3) * (-topt - 10 + tt))))

    te2 = np.where((t > topt + 10) | (t < topt - 13), te2raw(topt) / 2, te2raw(t))
    # Thornthwaite Ep0 (one calendar year)
    heat = np.where(t > 0, (np.maximum(t, 0) / 5) ** f32(1.514), f32(0)).sum(axis=0, dtype=f32)
    a = f32(6.75e-7) * heat**3 - f32(7.71e-5) * heat**2 + f32(1.792e-2) * heat + f32(0.49239)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = f32(16) * (10 * np.maximum(t, 0) / heat) ** a
    ep0 = np.where(t <= 0, f32(0), np.where(t < 26.5, mid, f32(-415.85) + f32(32.24) * t - f32(0.43) * t * t))
    del mid
    # water stress from the given actual ET
    ee = np.maximum(e, 0)
    ep = (ee + ep0) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        we = np.where(ep <= 0, f32(1), np.clip(f32(0.5) + f32(0.5) * ee / ep, f32(0.5), f32(1)))
    del ee, ep, ep0
    npp = sol * fpar * f32(0.5) * te1 * te2 * we * eps
    del fpar, te1, te2, we
    rh = f32(0.22) * (np.exp(f32(0.0913) * t) + np.log(f32(0.3145) * np.maximum(p, 0) + 1)) * f32(30 * 0.465)
    rh = np.where(land, rh, np.nan)
    nep = npp - rh
    return npp, rh, nep


def _read_all(path: str) -> np.ndarray:
    with rasterio.open(path) as ds:
        data = ds.read(masked=True)
        if data.dtype.kind == "f":
            return data.filled(np.nan).astype(np.float32, copy=False)
        return data.astype(np.int32).filled(-1)


def run_fused(cfg: dict) -> dict:
    """Read everything, compute fused, write with the plugin's GeoTIFF profile; compare."""
    GTIFF_PROFILE = gtiff_profile()  # the profile only, for a fair write

    inp, out = cfg["inputs"], Path(cfg["out"])
    times = {}
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    arrays = {k: _read_all(inp[k]) for k in ("ndvi", "sol", "t", "p", "e", "lc")}
    with rasterio.open(inp["ndvi"]) as ds:
        crs, transform, desc = ds.crs, ds.transform, ds.descriptions
    times["read"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    npp, rh, nep = fused_chain(arrays["ndvi"], arrays["sol"], arrays["t"], arrays["p"], arrays["e"], arrays["lc"][0])
    times["compute"] = time.perf_counter() - t1
    del arrays
    t2 = time.perf_counter()
    for name, data in (("npp", npp), ("rh", rh), ("nep", nep)):
        prof = dict(GTIFF_PROFILE)
        prof.update(
            count=data.shape[0],
            dtype="float32",
            nodata=-9999.0,
            crs=crs,
            transform=transform,
            width=data.shape[2],
            height=data.shape[1],
        )
        with rasterio.open(out / f"fused_{name}.tif", "w", **prof) as ds:
            ds.write(np.where(np.isfinite(data), data, np.float32(-9999)))
            ds.descriptions = desc
    times["write"] = time.perf_counter() - t2
    times["total"] = time.perf_counter() - t0
    result = {
        "times": times,
        "work_cpu": cpu_seconds() - c0,
        "vmhwm_before_compare_mb": vmhwm_mb(),
        "write_settings": {k: GTIFF_PROFILE.get(k) for k in ("compress", "zstd_level", "zlevel", "predictor")},
    }
    if cfg.get("compare_dir"):
        result["compare"] = compare({"npp": npp, "rh": rh, "nep": nep}, Path(cfg["compare_dir"]))
    return result


def run_floor(cfg: dict) -> dict:
    """The physical floor: read every input whole, write three outputs, no compute.

    Reads the six inputs (unmasked, as stored) on ``threads`` threads (default
    all cores), then writes NDVI, T and P as the three outputs ``npp``, ``rh``,
    ``nep`` (float32, nodata -9999) with the plugin's ``GTIFF_PROFILE`` and the
    given compression (``zstd``: the profile as it is; ``deflate``: level 1;
    ``none``), each output on its own thread (rasterio releases the GIL while
    GDAL reads, compresses and writes).
    """
    from concurrent.futures import ThreadPoolExecutor

    from casa_nep_plugin.core.outputs import GTIFF_PROFILE

    inp, out = cfg["inputs"], Path(cfg["out"])
    compress = cfg.get("compress", "zstd")
    threads = int(cfg.get("threads") or os.cpu_count() or 1)
    prof = dict(GTIFF_PROFILE)
    if compress == "none":
        for k in ("compress", "predictor", "zstd_level", "zlevel"):
            prof.pop(k, None)
    elif compress == "deflate":
        prof.pop("zstd_level", None)
        prof.update(compress="deflate", zlevel=1)
    elif compress != "zstd":
        raise ValueError(f"unknown compression {compress!r}")

    def read(key: str):
        with rasterio.open(inp[key]) as ds:
            return key, ds.read(), ds.crs, ds.transform

    times = {}
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        got = {k: (a, crs, tr) for k, a, crs, tr in ex.map(read, ("ndvi", "sol", "t", "p", "e", "lc"))}
    times["read"] = time.perf_counter() - t0

    def write(item: tuple[str, str]) -> None:
        name, key = item
        data, crs, transform = got[key]
        p = dict(
            prof,
            count=data.shape[0],
            dtype="float32",
            nodata=-9999.0,
            crs=crs,
            transform=transform,
            width=data.shape[2],
            height=data.shape[1],
        )
        with rasterio.open(out / f"{name}.tif", "w", **p) as ds:
            ds.write(data)

    t1 = time.perf_counter()
    with ThreadPoolExecutor(3) as ex:
        list(ex.map(write, (("npp", "ndvi"), ("rh", "t"), ("nep", "p"))))
    times["write"] = time.perf_counter() - t1
    times["total"] = time.perf_counter() - t0
    return {
        "times": times,
        "work_cpu": cpu_seconds() - c0,
        "write_settings": {k: prof.get(k) for k in ("compress", "zstd_level", "zlevel", "predictor")},
    }


def compare(ref: dict[str, np.ndarray], folder: Path, bands: list[int] | None = None) -> dict:
    """Max |difference| between arrays and the plugin's outputs in ``folder``, and mask agreement."""
    res = {}
    for name, arr in ref.items():
        with rasterio.open(folder / f"{name}.tif") as ds:
            plug = ds.read(bands, masked=True).filled(np.nan) if bands else ds.read(masked=True).filled(np.nan)
        both = np.isfinite(plug) & np.isfinite(arr)
        diff = np.abs(plug[both].astype(np.float64) - arr[both])
        scale = float(np.abs(plug[both]).max()) if both.any() else 0.0
        res[name] = {
            "max_abs": float(diff.max()) if diff.size else 0.0,
            "max_value": scale,
            "mask_mismatch": int((np.isfinite(plug) != np.isfinite(arr)).sum()),
            "compared": int(both.sum()),
        }
    return res


# --------------------------------------------------------------------------- #
# The same chain from QGIS's raster calculator (qgis:rastercalculator)
# --------------------------------------------------------------------------- #
E = repr(math.e)


def _lc_expr(value_of) -> str:
    """Nested if() over GLC_FCS30 codes; water/ice give 0/0 matrices (the calculator's nodata)."""
    expr = '("landcover@1" < 0) / ("landcover@1" < 0)'
    by_value: dict[float, list[int]] = defaultdict(list)
    for code, cls in CODES.items():
        if cls is not None:
            by_value[value_of(cls)].append(code)
    for value, codes in by_value.items():
        cond = " OR ".join(f'"landcover@1" = {c}' for c in codes)
        expr = f"if({cond}, {value}, {expr})"
    return expr


def rastercalc_steps(months: list[int]) -> tuple[list, list]:
    """(per-year steps, per-month steps) as (output name, layer names, expression)."""
    year = [
        ("nmax", ["landcover"], _lc_expr(lambda c: CLASSES[c][1])),
        ("eps", ["landcover"], _lc_expr(lambda c: CLASSES[c][2])),
    ]
    # Topt: T of the first month whose NDVI is >= every later month (the first peak)
    topt = '"temp@12"'
    for m in range(11, 0, -1):
        later = f'"ndvi@{m + 1}"'
        for k in range(m + 2, 13):
            later = f'max({later}, "ndvi@{k}")'
        topt = f'if("ndvi@{m}" >= {later}, "temp@{m}", {topt})'
    year.append(("topt", ["ndvi", "temp"], topt))
    heat = " + ".join(f'if("temp@{m}" > 0, ("temp@{m}" / 5) ^ 1.514, 0)' for m in range(1, 13))
    year.append(("heat", ["temp"], heat))
    year.append(("aexp", ["heat"], '6.75e-7 * "heat@1"^3 - 7.71e-5 * "heat@1"^2 + 1.792e-2 * "heat@1" + 0.49239'))
    srmin = "((1 + 0.023) / (1 - 0.023))"
    monthly = []
    for m in months:
        n = f'min(max("ndvi@{m}", 0.023), "nmax@1")'
        fpar = (
            f'0.5 * (({n} - 0.023) / ("nmax@1" - 0.023) * 0.949 + 0.001) + '
            f'0.5 * (((1 + {n}) / (1 - {n}) - {srmin}) / ((1 + "nmax@1") / (1 - "nmax@1") - {srmin}) * 0.949 + 0.001)'
        )
        te1 = f'if("temp@{m}" <= -10, 0, 0.8 + 0.02 * "topt@1" - 0.0005 * "topt@1" ^ 2)'

        def te2raw(tt: str) -> str:
            return (
                f'1.1814 / ((1 + {E} ^ (0.2 * ("topt@1" - 10 - {tt}))) * '
                f'(1 + {E} ^ (0.3 * (-1 * "topt@1" - 10 + {tt}))))'
            )

        te2 = (
            f'if("temp@{m}" > "topt@1" + 10 OR "temp@{m}" < "topt@1" - 13, '
            f"{te2raw(chr(34) + 'topt@1' + chr(34))} / 2, {te2raw(chr(34) + f'temp@{m}' + chr(34))})"
        )
        ep0 = (
            f'if("temp@{m}" <= 0, 0, if("temp@{m}" < 26.5, 16 * (10 * "temp@{m}" / "heat@1") ^ "aexp@1", '
            f'-415.85 + 32.24 * "temp@{m}" - 0.43 * "temp@{m}" ^ 2))'
        )
        ee = f'max("evap@{m}", 0)'
        we = f'if(({ee} + "ep0_{m}@1") / 2 <= 0, 1, min(max(0.5 + 0.5 * {ee} / (({ee} + "ep0_{m}@1") / 2), 0.5), 1))'
        npp = f'"sol@{m}" * "fpar_{m}@1" * 0.5 * "te1_{m}@1" * "te2_{m}@1" * "we_{m}@1" * "eps@1"'
        rh = (
            f'("eps@1" > 0) / ("eps@1" > 0) * 0.22 * ({E} ^ (0.0913 * "temp@{m}") + '
            f'ln(0.3145 * max("prec@{m}", 0) + 1)) * 30 * 0.465'
        )
        monthly += [
            (f"fpar_{m}", ["ndvi", "nmax"], fpar),
            (f"te1_{m}", ["temp", "topt"], te1),
            (f"te2_{m}", ["temp", "topt"], te2),
            (f"ep0_{m}", ["temp", "heat", "aexp"], ep0),
            (f"we_{m}", ["evap", f"ep0_{m}"], we),
            (f"npp_{m}", ["sol", f"fpar_{m}", f"te1_{m}", f"te2_{m}", f"we_{m}", "eps"], npp),
            (f"rh_{m}", ["temp", "prec", "eps"], rh),
            (f"nep_{m}", [f"npp_{m}", f"rh_{m}"], f'"npp_{m}@1" - "rh_{m}@1"'),
        ]
    return year, monthly


def run_rastercalc(cfg: dict) -> dict:
    """The chain as qgis:rastercalculator runs: per-year steps once, per-month steps for a subset."""
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication, QgsRasterLayer

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing

    inp, out = cfg["inputs"], Path(cfg["out"])
    months = cfg["months"]
    # qgis:rastercalculator (3.22) refers to layers by their file's base name, whatever the layer name
    names = {"ndvi": "ndvi", "sol": "sol", "t": "temp", "p": "prec", "e": "evap", "lc": "landcover"}
    for k, v in names.items():
        if Path(inp[k]).stem != v:
            raise ValueError(f"the calculator needs {k} in a file named {v}.tif, not {inp[k]}")
    layers = {v: QgsRasterLayer(inp[k], v) for k, v in names.items()}
    ref = layers["ndvi"]
    year, monthly = rastercalc_steps(months)
    times = {"per_year": 0.0, "per_month_subset": 0.0}
    steps = {}
    for kind, todo in (("per_year", year), ("per_month_subset", monthly)):
        for name, names, expr in todo:
            t = time.perf_counter()
            res = processing.run(
                "qgis:rastercalculator",
                {
                    "EXPRESSION": expr,
                    "LAYERS": [layers[k] for k in names],
                    "CELLSIZE": ref.rasterUnitsPerPixelX(),
                    "EXTENT": ref.extent(),
                    "CRS": ref.crs(),
                    "OUTPUT": str(out / f"{name}.tif"),
                },
            )
            dt = time.perf_counter() - t
            times[kind] += dt
            steps[name] = dt
            layers[name] = QgsRasterLayer(res["OUTPUT"], name)
    times["extrapolated_12_months"] = times["per_year"] + times["per_month_subset"] * 12 / len(months)
    result = {
        "times": times,
        "steps": steps,
        "vmhwm_before_compare_mb": vmhwm_mb(),
        "n_calls_subset": len(year) + len(monthly),
        "n_calls_full": len(year) + len(monthly) * 12 // len(months),
    }
    if cfg.get("compare_dir"):
        ref_arrays = {}
        for q in ("npp", "rh", "nep"):
            stack = []
            for m in months:
                with rasterio.open(out / f"{q}_{m}.tif") as ds:
                    stack.append(ds.read(1, masked=True).filled(np.nan).astype(np.float32))
            ref_arrays[q] = np.stack(stack)
        result["compare"] = compare(ref_arrays, Path(cfg["compare_dir"]), bands=months)
    return result  # no exitQgis(): QGIS 3.22 may crash tearing down; main() leaves with os._exit


def main() -> None:
    cfg = json.loads(sys.argv[1])
    if cfg.get("cpus"):  # pinned before any worker thread starts: they all inherit it
        os.sched_setaffinity(0, set(cfg["cpus"]))
    os.makedirs(cfg["out"], exist_ok=True)
    variant = cfg["variant"]
    if variant == "generate":
        from bench_chain import make_inputs  # bench/ is this script's folder, so on sys.path

        result = {"inputs": make_inputs(Path(cfg["out"]), int(cfg["size"]))}
    elif variant == "generate_grid":
        from _inputs import make_grid_inputs

        result = {
            "inputs": make_grid_inputs(
                Path(cfg["out"]), int(cfg["size"]), int(cfg["months"]), int(cfg["factor"]), cfg["layouts"]
            )
        }
    else:
        fn = {"plugin": run_plugin, "fused": run_fused, "rastercalc": run_rastercalc, "floor": run_floor}[variant]
        result = fn(cfg)
    result["vmhwm_mb"] = vmhwm_mb()
    result["pythonpath0"] = sys.path[1] if len(sys.path) > 1 else ""
    import casa_nep_plugin

    result["plugin_file"] = casa_nep_plugin.__file__
    result["self_ru_maxrss_kib"] = peak_rss_kib()
    print("RESULT " + json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
