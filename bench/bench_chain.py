"""Speed and memory of the NPP + RH + NEP chain (issue 2), for ``make bench``.

On synthetic 12-month stacks (fixed seed, 250 m UTM grid, GLC_FCS30 land
cover) this times, each variant in its own child process whose peak resident
memory (VmHWM) it reports:

- the plugin chain in three steps: ``casa_nep_plugin.core.model.run_npp``,
  ``run_rh``, ``run_nep`` (each re-reads what it needs);
- the plugin chain in one pass: ``run_npp`` with ``rh_output`` and
  ``nep_output`` (what ``casanep:npp`` and the workflow use), whose outputs
  are compared with the three-step chain's;
- a fused in-memory numpy computation of METHOD.md's equations (whole arrays,
  no blocks) - the speed reference - whose NPP/RH/NEP are compared with the
  plugin's outputs; its read and write phases (rasterio alone, written with the
  plugin's ``GTIFF_PROFILE``) are the I/O;
- the same chain from QGIS's raster calculator (``qgis:rastercalculator``), one
  expression per step and month, timed on a subset of months and extrapolated
  linearly to 12 (per-year steps are timed in full);
- both plugin chains again at a larger size (peak memory must not grow), a
  profile of where their time goes, and a few engine settings monkeypatched in.

Writes ``bench/results/chain.md`` and prints it.  Options: ``--size``,
``--large-size`` (0 to skip), ``--rc-months`` (e.g. ``1,7``), ``--repeats``,
``--no-experiments``, ``--exp-repeats``, ``--exp-chain``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "_chain_worker.py"
RESULTS = HERE / "results" / "chain.md"
MONTHS = [f"2021-{m:02d}" for m in range(1, 13)]
SEED = 20210101
#: GLC_FCS30 codes of the synthetic land cover and their shares (water 210 and ice 220 carry no NPP).
LC_CODES = [10, 20, 51, 61, 71, 81, 91, 120, 130, 181, 190, 200, 210, 220]
LC_SHARES = [0.15, 0.05, 0.15, 0.08, 0.08, 0.03, 0.06, 0.08, 0.08, 0.04, 0.08, 0.03, 0.08, 0.01]
#: Targets of issue 2.
TARGET_VS_RASTERCALC = 10.0
TARGET_VS_FUSED_IO = 2.0
TARGET_PEAK_MB = 1024.0


# --------------------------------------------------------------------------- #
# Synthetic inputs
# --------------------------------------------------------------------------- #
def make_inputs(folder: Path, size: int, seed: int = SEED) -> dict[str, str]:
    """12-band float32 GeoTIFFs (NDVI, SOL MJ m-2 month-1, T degC, P mm, E mm) and a land-cover raster.

    Smooth spatial gradients plus noise so that every branch of the model is
    hit: T from about -20 to 38 degC (Te1 = 0, Ep0 = 0, the hot Thornthwaite
    branch, both Te2 edges), P = 0 in dry cells, negative E, water/ice
    classes, and 0.2 % NDVI nodata per band.  Tiled, uncompressed.
    """
    rng = np.random.default_rng(seed)
    h = w = size
    transform = from_origin(500000.0, 2700000.0, 250.0, 250.0)
    prof = dict(driver="GTiff", width=w, height=h, crs="EPSG:32649", transform=transform, tiled=True,
                blockxsize=256, blockysize=256, interleave="band")
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    f32 = np.float32

    def noise() -> np.ndarray:
        return rng.standard_normal((h, w), dtype=np.float32)

    # land cover: patches of about 40 x 40 cells plus 2 % scattered cells
    patch = 40
    coarse = rng.choice(LC_CODES, size=(h // patch + 1, w // patch + 1), p=LC_SHARES)
    lc = np.repeat(np.repeat(coarse, patch, axis=0), patch, axis=1)[:h, :w].astype(np.uint8)
    scatter = rng.random((h, w)) < 0.02
    lc[scatter] = rng.choice(LC_CODES, size=int(scatter.sum()), p=LC_SHARES)
    paths = {"lc": str(folder / "landcover.tif")}
    with rasterio.open(paths["lc"], "w", count=1, dtype="uint8", nodata=0, **prof) as ds:
        ds.write(lc, 1)
    water = (lc == 210) | (lc == 220)
    del coarse, scatter, lc

    base = (0.40 + 0.15 * np.sin(4 * gx) * np.cos(3 * gy)).astype(f32)
    amp = (0.20 + 0.10 * np.cos(5 * gx + gy)).astype(f32)
    peak = (6.5 + 2.0 * np.sin(2 * gx + gy)).astype(f32)
    relief = (6.0 * np.sin(3 * gx) * np.sin(2 * gy)).astype(f32)
    specs = {
        "ndvi": ("ndvi.tif", "1"),
        "sol": ("sol.tif", "MJ m-2 month-1"),
        "t": ("temp.tif", "degC"),
        "p": ("prec.tif", "mm month-1"),
        "e": ("evap.tif", "mm month-1"),
    }
    dsets = {}
    for key, (name, _units) in specs.items():
        paths[key] = str(folder / name)
        dsets[key] = rasterio.open(paths[key], "w", count=12, dtype="float32", nodata=-9999.0, **prof)
    try:
        for m in range(12):
            season = f32(-np.cos(2 * np.pi * m / 12))  # -1 in January, +1 in July
            ndvi = base + amp * np.cos(f32(2 * np.pi / 12) * (m - peak)) + f32(0.03) * noise()
            ndvi[water] = f32(-0.1)
            ndvi = np.clip(ndvi, f32(-0.2), f32(0.95))
            ndvi[rng.random((h, w)) < 0.002] = f32(-9999)
            dsets["ndvi"].write(ndvi, m + 1)
            del ndvi
            t = f32(12) + f32(13) * season - f32(9) * gy - relief + f32(1.5) * noise()
            dsets["t"].write(t.astype(f32), m + 1)
            del t
            sol = f32(330) + f32(170) * season + f32(40) * gx + f32(15) * noise()
            dsets["sol"].write(np.maximum(sol, f32(20)), m + 1)
            del sol
            p = f32(90) + f32(110) * season + f32(70) * gx + f32(45) * noise()
            dsets["p"].write(np.maximum(p, f32(0)), m + 1)
            del p
            e = f32(45) + f32(40) * season + f32(15) * gx + f32(15) * noise()
            dsets["e"].write(e.astype(f32), m + 1)
            del e
        for key, ds in dsets.items():
            ds.descriptions = tuple(MONTHS)
            ds.update_tags(units=specs[key][1])
    finally:
        for ds in dsets.values():
            ds.close()
    return paths


# --------------------------------------------------------------------------- #
# Child processes
# --------------------------------------------------------------------------- #
def run_child(cfg: dict, log_dir: Path, repeats: int = 1) -> dict:
    """Run a worker variant ``repeats`` times: the fastest run's result, the largest peak memory."""
    runs = [_run_child_once(cfg, log_dir) for _ in range(repeats)]
    best = dict(min(runs, key=lambda r: r.get("times", {}).get("total", 0.0)))
    best["peak_mb"] = max(r["peak_mb"] for r in runs)
    best["all_totals"] = [r.get("times", {}).get("total") for r in runs]
    return best


def _run_child_once(cfg: dict, log_dir: Path, timeout: float = 1800) -> dict:
    """Run one worker variant; returns its JSON result plus ``peak_mb`` (the child's VmHWM)."""
    os.sync()  # flush the previous run's output so its write-back does not land in this timing
    env = dict(os.environ)
    env.update(cfg.get("env", {}))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("PROJ_DATA", "/usr/share/proj")
    tag = cfg.get("tag", cfg["variant"])
    out_path, err_path = log_dir / f"{tag}.out", log_dir / f"{tag}.err"
    t0 = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(cfg)], stdout=out, stderr=err, env=env)
        deadline = time.time() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    lines = [ln for ln in out_path.read_text().splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(err_path.read_text()[-4000:])
        raise RuntimeError(f"worker {tag} failed (exit {proc.returncode}); see {err_path}")
    result = json.loads(lines[-1][len("RESULT "):])
    # the child's own VmHWM (exact, since its exec), before any comparison with other outputs;
    # ru_maxrss from wait4 also counts the parent's RSS at fork time, so it is only a bound
    result["peak_mb"] = result.get("vmhwm_before_compare_mb", result["vmhwm_mb"])
    result["wait4_maxrss_mb"] = usage.ru_maxrss / 1024.0  # KiB on Linux
    result["process_wall"] = wall
    return result


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #
#: chain -> (row label, short name)
CHAINS = {
    "threestep": ("plugin chain, three steps (core `run_npp` + `run_rh` + `run_nep`)", "three-step chain"),
    "onepass": ("plugin chain, one pass (`run_npp` with `rh_output` and `nep_output`)", "one-pass chain"),
}


def fmt(x: float, nd: int = 1) -> str:
    return f"{x:,.{nd}f}"


def mega(n: int) -> str:
    """4194304 -> '4M'."""
    return f"{n >> 20}M" if n % (1 << 20) == 0 else f"{n:,}"


def describe_settings(s: dict, block: bool = True) -> str:
    """GeoTIFF options (and window size) as reported by a worker, in words."""
    codec = (s.get("compress") or "").lower()
    if not codec:
        txt = "no compression"
    elif codec == "zstd":
        txt = f"ZSTD level {s['zstd_level']}" if s.get("zstd_level") is not None else "ZSTD (GDAL's default level)"
    elif codec == "deflate":
        txt = f"deflate zlevel {s['zlevel']}" if s.get("zlevel") is not None else "deflate (GDAL's default level)"
    else:
        txt = codec
    if codec and s.get("predictor") is not None:
        txt += f", predictor {s['predictor']}"
    if s.get("num_threads"):
        txt += f", NUM_THREADS={s['num_threads']}"
    if block and s.get("block_values"):
        txt += f", DEFAULT_BLOCK_VALUES {mega(s['block_values'])}"
    return txt


def steps_txt(res: dict) -> str:
    t = res["times"]
    if res.get("chain") == "onepass":
        return "NPP, RH and NEP computed and written in the same pass"
    return f"npp {fmt(t['npp'])} s, rh {fmt(t['rh'])} s, nep {fmt(t['nep'])} s"


def runs_txt(res: dict) -> str:
    totals = [x for x in res.get("all_totals", []) if x is not None]
    if len(totals) < 2:
        return ""
    return f"; fastest of {len(totals)} runs ({', '.join(fmt(x) for x in totals)} s)"


def report(r: dict, args: argparse.Namespace) -> str:
    size, mpm = args.size, args.size * args.size * 12 / 1e6
    fused, rc = r["fused"], r["rastercalc"]
    ft = fused["times"]
    io = ft["read"] + ft["write"]
    ref_io = ft["compute"] + io
    rct = rc["times"]["extrapolated_12_months"]
    rc_months = ",".join(str(m) for m in args.rc_months)
    settings = r["threestep"]["settings"]
    lines = [
        "# NPP + RH + NEP chain: speed and memory",
        "",
        f"Synthetic inputs: {size} x {size} cells x 12 months (2021-01..2021-12), 250 m UTM 49N, float32 "
        "tiled uncompressed GeoTIFFs (NDVI, SOL, T degC, P, E) + GLC_FCS30 land cover (uint8), all on "
        f"one grid (no warping), seed {SEED}. {fmt(mpm)} megapixel-months per chain. "
        f"Machine: {os.cpu_count()} CPUs. Generated by `bench/bench_chain.py` on {time.strftime('%Y-%m-%d %H:%M')}.",
        f"Plugin outputs as the engine writes them by default: {describe_settings(settings)} "
        "(`casa_nep_plugin/core/engine.py`); GDAL's block cache bounded by `gdal_cache()` for each whole "
        "`run_*` call.",
        "Each variant ran in its own child process; peak memory = that process's peak resident set (VmHWM from "
        "/proc/self/status at its end, before any comparison with other outputs), interpreter and libraries "
        "included. (`os.wait4`'s ru_maxrss is not used: Linux carries the parent's high-water mark across "
        "fork + exec into it.)",
        "",
        "| variant | cells | wall time (s) | Mpx-months/s | peak RSS (MB) | notes |",
        "|---|---|---|---|---|---|",
    ]
    for c, (label, _short) in CHAINS.items():
        res = r[c]
        t = res["times"]["total"]
        lines.append(f"| {label} | {size}^2 x 12 | {fmt(t)} | {fmt(mpm / t, 2)} | {fmt(res['peak_mb'], 0)} | "
                     f"{steps_txt(res)}{runs_txt(res)} |")
    ls = args.large_size
    lm = ls * ls * 12 / 1e6
    for key, label, note in (
        ("large_threestep", "plugin chain, three steps, larger raster", ""),
        ("large_onepass", "plugin chain, one pass, larger raster", ""),
        ("large_cache", "plugin chain, three steps, larger raster, env GDAL_CACHEMAX=128", "; GDAL's cache "
         "bounded for the whole process, not only inside the `run_*` calls"),
    ):
        if key in r:
            lg = r[key]
            t = lg["times"]["total"]
            lines.append(f"| {label} | {ls}^2 x 12 | {fmt(t)} | {fmt(lm / t, 2)} | {fmt(lg['peak_mb'], 0)} | "
                         f"{steps_txt(lg)}{runs_txt(lg)}{note} |")
    write_settings = describe_settings(fused.get("write_settings", settings), block=False)
    lines += [
        f"| fused in-memory numpy (compute only) | {size}^2 x 12 | {fmt(ft['compute'])} | "
        f"{fmt(mpm / ft['compute'], 2)} | {fmt(fused['peak_mb'], 0)} | whole arrays, METHOD.md equations |",
        f"| I/O with rasterio alone (read inputs + write 3 outputs) | {size}^2 x 12 | {fmt(io)} | "
        f"{fmt(mpm / io, 2)} | (same process) | read {fmt(ft['read'])} s, write {fmt(ft['write'])} s "
        f"({write_settings}: the plugin's `GTIFF_PROFILE`) |",
        f"| fused numpy + I/O | {size}^2 x 12 | {fmt(ft['total'])} | {fmt(mpm / ft['total'], 2)} | "
        f"{fmt(fused['peak_mb'], 0)} | |",
        f"| QGIS raster calculator chain (`qgis:rastercalculator`) | {size}^2 x 12 | {fmt(rct)}"
        f"{' (extrapolated)' if len(args.rc_months) < 12 else ''} | "
        f"{fmt(mpm / rct, 2)} | {fmt(rc['peak_mb'], 0)} | {rc['n_calls_full']} calculator runs for 12 months; "
        f"per-year steps (class parameters, Topt, heat index) {fmt(rc['times']['per_year'])} s + per-month "
        f"steps for month(s) {rc_months} {fmt(rc['times']['per_month_subset'])} s"
        f"{f', x 12/{len(args.rc_months)}' if len(args.rc_months) < 12 else ''}; uncompressed outputs |",
        "",
        "## Targets (issue 2)",
        "",
        "| target | chain | measured | met |",
        "|---|---|---|---|",
    ]
    for c, (_label, short) in CHAINS.items():
        pt = r[c]["times"]["total"]
        lines.append(f"| >= {TARGET_VS_RASTERCALC:g}x faster than the raster-calculator chain ({fmt(rct)} s) | "
                     f"{short} | {fmt(pt)} s: {fmt(rct / pt)}x | "
                     f"{'yes' if rct / pt >= TARGET_VS_RASTERCALC else 'NO'} |")
    for c, (_label, short) in CHAINS.items():
        pt = r[c]["times"]["total"]
        lines.append(f"| <= {TARGET_VS_FUSED_IO:g}x (fused numpy + I/O) = {fmt(TARGET_VS_FUSED_IO * ref_io)} s | "
                     f"{short} | {fmt(pt)} s = {fmt(pt / ref_io, 2)}x | "
                     f"{'yes' if pt <= TARGET_VS_FUSED_IO * ref_io else 'NO'} |")
    for c, (_label, short) in CHAINS.items():
        peaks = [(f"{size}^2", r[c]["peak_mb"])]
        if f"large_{c}" in r:
            peaks.append((f"{ls}^2", r[f"large_{c}"]["peak_mb"]))
        peak_txt = ", ".join(f"{fmt(p, 0)} MB at {s}" for s, p in peaks)
        met = "yes" if all(p < TARGET_PEAK_MB for _, p in peaks) else "NO"
        if c == "threestep" and "large_cache" in r:
            peak_txt += f"; with env GDAL_CACHEMAX=128: {fmt(r['large_cache']['peak_mb'], 0)} MB at {ls}^2"
        lines.append(f"| peak memory < 1 GB whatever the size | {short} | {peak_txt} | {met} |")
    if r.get("agree"):
        lines += ["", "## One pass vs three steps", "",
                  "The one-pass chain's outputs compared with the three-step chain's, band by band "
                  "(both read from their GeoTIFFs).", "",
                  "| size | quantity | max abs diff (gC m-2 month-1) | max abs value | cells compared | "
                  "nodata mask mismatches |", "|---|---|---|---|---|---|"]
        for sz, comp in r["agree"]:
            for q, c in comp.items():
                lines.append(f"| {sz}^2 x 12 | {q.upper()} | {c['max_abs']:.3g} | {fmt(c['max_value'])} | "
                             f"{c['compared']:,} | {c['mask_mismatch']:,} |")
    lines += ["", "## Agreement with independent computations (three-step chain's outputs)", "",
              "| reference | quantity | max abs diff (gC m-2 month-1) | max abs value | cells compared | "
              "nodata mask mismatches |", "|---|---|---|---|---|---|"]
    for label, res in (("fused numpy (all months)", fused), (f"raster calculator (month(s) {rc_months})", rc)):
        for q, c in res.get("compare", {}).items():
            lines.append(f"| {label} | {q.upper()} | {c['max_abs']:.3g} | {fmt(c['max_value'])} | "
                         f"{c['compared']:,} | {c['mask_mismatch']:,} |")
    lines.append("")
    lines.append("Raster-calculator mask mismatches are expected: the calculator propagates one month's NDVI "
                 "nodata into Topt and so into every month of that cell, where the plugin (METHOD.md) takes "
                 "Topt from the valid months.")
    profs = [(short, r[f"profile_{c}"]) for c, (_label, short) in CHAINS.items() if f"profile_{c}" in r]
    if profs:
        heads = ", ".join(f"{short} {fmt(p['times']['total'])} s" for short, p in profs)
        lines += ["", f"## Where the plugin chain's time goes ({size}^2 x 12, profiled, fastest of "
                  f"{len(profs[0][1].get('all_totals', [0]))} run(s) each: {heads})", "",
                  "| part | " + " | ".join(f"{short} (s) | share" for short, _ in profs) + " |",
                  "|---|" + "---|---|" * len(profs)]
        first = profs[0][1]["profile"]
        keys = sorted({k for _, p in profs for k in p["profile"]}, key=lambda k: -first.get(k, 0.0))
        other = "other (opening, metadata, Python overhead)"
        for k in keys + [other]:
            cells = []
            for _, p in profs:
                total = p["times"]["total"]
                v = total - sum(p["profile"].values()) if k == other else p["profile"].get(k, 0.0)
                cells.append(f"{fmt(v, 2)} | {100 * v / total:.0f} %")
            lines.append(f"| {k} | " + " | ".join(cells) + " |")
    if r.get("experiments"):
        chain = r["exp_chain"]
        base = r[chain]["times"]["total"]
        per_step = chain == "threestep"
        lines += ["", f"## Engine settings tried (monkeypatched in the benchmark, {CHAINS[chain][1]}, "
                  f"{size}^2 x 12)", "",
                  f"Each setting: fastest of {args.exp_repeats} run(s); the default row is the "
                  f"{CHAINS[chain][1]} above (fastest of {args.repeats}). Every run is listed so that the "
                  "run-to-run spread can be judged against the differences.", "",
                  "| setting | chain time (s) | vs default | all runs (s) | "
                  + ("npp / rh / nep (s) | " if per_step else "")
                  + "peak RSS (MB) | output size (MB) | max abs diff vs default outputs |",
                  "|---|---|---|---|" + ("---|" if per_step else "") + "---|---|---|"]
        for label, ex in r["experiments"]:
            t = ex["times"]
            steps = f"{fmt(t['npp'])} / {fmt(t['rh'])} / {fmt(t['nep'])} | " if per_step else ""
            runs = ", ".join(fmt(x) for x in ex.get("all_totals", []) if x is not None)
            lines.append(f"| {label} | {fmt(t['total'])} | {t['total'] / base:.2f}x | {runs} | {steps}"
                         f"{fmt(ex['peak_mb'], 0)} | {fmt(ex['out_mb'], 0)} | {ex.get('diff', 0.0):.3g} |")
    return "\n".join(lines) + "\n"


def compare_outputs(a: Path, b: Path, names: tuple[str, ...] = ("npp", "rh", "nep")) -> dict:
    """Band-by-band comparison of the ``<name>.tif`` outputs in two folders (NaN = nodata)."""
    res = {}
    for name in names:
        worst = scale = 0.0
        mismatch = compared = 0
        with rasterio.open(a / f"{name}.tif") as da, rasterio.open(b / f"{name}.tif") as db:
            if (da.count, da.shape) != (db.count, db.shape):
                raise RuntimeError(f"{name}: {da.count} x {da.shape} in {a}, {db.count} x {db.shape} in {b}")
            for i in range(1, da.count + 1):
                x = da.read(i, masked=True).filled(np.nan)
                y = db.read(i, masked=True).filled(np.nan)
                fx, fy = np.isfinite(x), np.isfinite(y)
                both = fx & fy
                mismatch += int((fx != fy).sum())
                compared += int(both.sum())
                if both.any():
                    worst = max(worst, float(np.abs(x[both].astype(np.float64) - y[both]).max()))
                    scale = max(scale, float(np.abs(x[both]).max()))
        res[name] = {"max_abs": worst, "max_value": scale, "mask_mismatch": mismatch, "compared": compared}
    return res


def max_diff(a: Path, b: Path) -> float:
    """Largest |difference| between the npp/rh/nep outputs of two folders (inf if nodata masks differ)."""
    comp = compare_outputs(a, b)
    if any(c["mask_mismatch"] for c in comp.values()):
        return float("inf")
    return max(c["max_abs"] for c in comp.values())


def folder_mb(folder: Path, names: tuple[str, ...] = ("npp.tif", "rh.tif", "nep.tif")) -> float:
    return sum((folder / n).stat().st_size for n in names if (folder / n).exists()) / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--large-size", type=int, default=4000, help="second run of both plugin chains (0 to skip)")
    ap.add_argument("--rc-months", default="1,2,3,4,5,6,7,8,9,10,11,12",
                    help="months run with the raster calculator (the rest extrapolated linearly)")
    ap.add_argument("--no-experiments", action="store_true")
    ap.add_argument("--repeats", type=int, default=2,
                    help="runs of each plugin chain and of each profile at --size (fastest kept)")
    ap.add_argument("--exp-repeats", type=int, default=2, help="runs of each engine-setting experiment")
    ap.add_argument("--exp-chain", choices=sorted(CHAINS), default="onepass",
                    help="the chain the engine-setting experiments run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    args.rc_months = [int(m) for m in args.rc_months.split(",")]
    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="casanep-bench-"))
    logs = tmp / "logs"
    logs.mkdir()
    r: dict = {}

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.0f} s] {msg}", flush=True)

    try:
        data = tmp / f"in{args.size}"
        data.mkdir()
        say(f"generating {args.size} x {args.size} x 12 inputs in {data}")
        inputs = run_child({"variant": "generate", "out": str(data), "size": args.size, "tag": "gen"}, logs)["inputs"]

        def cfg(variant: str, out: str, **kw) -> dict:
            return {"variant": variant, "inputs": inputs, "out": str(tmp / out), "tag": out, **kw}

        for c, (_label, short) in CHAINS.items():
            say(short)
            r[c] = run_child(cfg("plugin", c, chain=c), logs, repeats=args.repeats)
            say(f"  {r[c]['times']['total']:.1f} s, peak {r[c]['peak_mb']:.0f} MB")
        r["agree"] = [(args.size, compare_outputs(tmp / "threestep", tmp / "onepass"))]
        say(f"  one pass vs three steps, max abs diff: "
            f"{ {q: c['max_abs'] for q, c in r['agree'][0][1].items()} }")
        say("fused numpy")
        r["fused"] = run_child(cfg("fused", "fused", compare_dir=str(tmp / "threestep")), logs)
        say(f"  {r['fused']['times']}, peak {r['fused']['peak_mb']:.0f} MB")
        shutil.rmtree(tmp / "fused", ignore_errors=True)
        for c, (_label, short) in CHAINS.items():
            say(f"profiled {short}")
            r[f"profile_{c}"] = run_child(cfg("profile", f"profile_{c}", chain=c), logs, repeats=args.repeats)
            shutil.rmtree(tmp / f"profile_{c}", ignore_errors=True)
        if not args.no_experiments:
            chain = r["exp_chain"] = args.exp_chain
            default = r[chain]["settings"]
            nocomp = {"compress": None, "predictor": None, "zlevel": None, "zstd_level": None, "num_threads": None}
            # the engine's default before ZSTD, exactly: deflate level 1, predictor 3, single-threaded
            deflate = {"compress": "deflate", "zlevel": 1, "zstd_level": None, "predictor": 3, "num_threads": None}
            if default.get("num_threads"):
                threads = ("default without NUM_THREADS (tiles compressed on the writing thread)",
                           {"patches": {"profile": {"num_threads": None}}})
            else:
                threads = ("default + GDAL NUM_THREADS=ALL_CPUS", {"patches": {"profile": {"num_threads": "ALL_CPUS"}}})
            exps = [
                (f"default ({describe_settings(default)})", None),
                ("GDAL_CACHEMAX=128 (MB) for the whole process (env)", {"env": {"GDAL_CACHEMAX": "128"}}),
                ("no compression", {"patches": {"profile": nocomp}}),
                ("deflate zlevel 1, predictor 3, one thread (the default before ZSTD)",
                 {"patches": {"profile": deflate}}),
                threads,
                ("DEFAULT_BLOCK_VALUES = 16M (4x larger windows)", {"patches": {"block_values": 1 << 24}}),
                ("DEFAULT_BLOCK_VALUES = 1M (4x smaller windows)", {"patches": {"block_values": 1 << 20}}),
            ]
            r["experiments"] = []
            for i, (label, patch) in enumerate(exps):
                if patch is None:
                    res = dict(r[chain])
                    res["out_mb"] = folder_mb(tmp / chain)
                else:
                    say(f"experiment ({CHAINS[chain][1]}): {label}")
                    res = run_child(cfg("plugin", f"exp{i}", chain=chain, **patch), logs, repeats=args.exp_repeats)
                    res["out_mb"] = folder_mb(tmp / f"exp{i}")
                    res["diff"] = max_diff(tmp / chain, tmp / f"exp{i}")
                    say(f"  {res['times']['total']:.1f} s, peak {res['peak_mb']:.0f} MB")
                    shutil.rmtree(tmp / f"exp{i}", ignore_errors=True)
                r["experiments"].append((label, res))
        # last at this size: it peaks at ~11 GB and writes ~1.6 GB (a profiled run right after it was 30 % slow)
        say(f"raster calculator chain, months {args.rc_months}")
        r["rastercalc"] = run_child(cfg("rastercalc", "rastercalc", months=args.rc_months,
                                        compare_dir=str(tmp / "threestep")), logs)
        say(f"  {r['rastercalc']['times']}, peak {r['rastercalc']['peak_mb']:.0f} MB")
        shutil.rmtree(tmp / "rastercalc", ignore_errors=True)
        for c in CHAINS:
            shutil.rmtree(tmp / c, ignore_errors=True)
        if args.large_size:
            shutil.rmtree(data, ignore_errors=True)
            large = tmp / f"in{args.large_size}"
            large.mkdir()
            say(f"generating {args.large_size} x {args.large_size} x 12 inputs")
            inputs = run_child({"variant": "generate", "out": str(large), "size": args.large_size,
                                "tag": "gen_large"}, logs)["inputs"]
            for c, (_label, short) in CHAINS.items():
                say(f"{short}, larger raster")
                r[f"large_{c}"] = run_child(cfg("plugin", f"large_{c}", chain=c), logs)
                say(f"  {r[f'large_{c}']['times']['total']:.1f} s, peak {r[f'large_{c}']['peak_mb']:.0f} MB")
            r["agree"].append((args.large_size, compare_outputs(tmp / "large_threestep", tmp / "large_onepass")))
            for c in CHAINS:
                shutil.rmtree(tmp / f"large_{c}", ignore_errors=True)
            say("three-step chain, larger raster, GDAL_CACHEMAX=128 for the whole process")
            r["large_cache"] = run_child(cfg("plugin", "large_cache", chain="threestep",
                                             env={"GDAL_CACHEMAX": "128"}), logs)
            say(f"  {r['large_cache']['times']['total']:.1f} s, peak {r['large_cache']['peak_mb']:.0f} MB")
            shutil.rmtree(tmp / "large_cache", ignore_errors=True)
        text = report(r, args)
        text += f"\nWhole benchmark: {time.perf_counter() - t_start:.0f} s.\n"
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
        print()
        print(text)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
