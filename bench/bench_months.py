"""A 20-year monthly stack against one year, climate on a 10x coarser grid (issue 8), for ``make bench``.

Two input sets with the same generator (``bench/_inputs.py``): NDVI ``--size``^2
x ``--months`` (default 2000^2 x 240, 2001-01 .. 2020-12) and the same NDVI
x 12 (2001), band-interleaved tiled 256 uncompressed float32, land cover at the
NDVI's 250 m, SOL, T, P, E on a grid ten times coarser (2500 m, same CRS and
extent: ERA5-Land against 250 m NDVI).  The one-pass chain (``run_npp`` with
``rh_output`` and ``nep_output``, default threads and compression) runs on
both, round-robin, each run in its own child process (method: ``_harness.py``).
Targets: peak RSS < 1 GB, and time per pixel-month of the long run within
1.5x of the 12-month run's.  The first year of the long run's NEP is compared
with the 12-month run's (the same inputs: they must be equal).

Writes ``bench/results/months.md`` (+ ``.json``).  Options: ``--size``,
``--months``, ``--rounds``, ``--quick`` (200^2 x 240).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _harness import (  # noqa: E402
    Variant,
    check_disk,
    fmt,
    make_say,
    method_text,
    round_robin,
    run_child,
    summarize,
    target_table,
    tmp_root,
    variant_table,
    write_results,
)

FACTOR = 10
TARGET_PER_PXM = 1.5
TARGET_PEAK_MB = 1024.0
LAYOUT = dict(tiled=True, blockxsize=256, blockysize=256, interleave="band")


def first_year_equal(long_nep: Path, short_nep: Path) -> dict:
    """Max |difference| and nodata mismatches of the first 12 bands of two NEP files."""
    worst, mismatch, compared = 0.0, 0, 0
    with rasterio.open(long_nep) as a, rasterio.open(short_nep) as b:
        for i in range(1, b.count + 1):
            x = a.read(i, masked=True).filled(np.nan)
            y = b.read(i, masked=True).filled(np.nan)
            fx, fy = np.isfinite(x), np.isfinite(y)
            both = fx & fy
            mismatch += int((fx != fy).sum())
            compared += int(both.sum())
            if both.any():
                worst = max(worst, float(np.abs(x[both].astype(np.float64) - y[both]).max()))
    return {"max_abs": worst, "mask_mismatch": mismatch, "compared": compared}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--months", type=int, default=240)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="200^2 x 240 (a check that all runs)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.size = min(args.size, 200)
    size = args.size - args.size % FACTOR
    months = args.months - args.months % 12
    t_start = time.perf_counter()
    say = make_say(t_start)
    root = tmp_root()
    # the long NDVI (uncompressed) + its three outputs kept from the last round (ZSTD gains little on noise)
    check_disk(root, size * size * months * 4 * 4 / 1e9 + 2)
    tmp = Path(tempfile.mkdtemp(prefix="casanep-bench-months-", dir=root))
    logs = tmp / "logs"
    logs.mkdir()
    try:
        inputs, gen_s = {}, 0.0
        for n in (months, 12):
            say(f"generating {size} x {size} x {n} NDVI, climate {size // FACTOR}^2 x {n}")
            gen = Variant(
                f"gen{n}",
                "generate",
                {"variant": "generate_grid", "size": size, "months": n, "factor": FACTOR, "layouts": {"ndvi": LAYOUT}},
                out=tmp / f"in{n}",
            )
            g = run_child(gen, logs, f"generate{n}")
            inputs[n] = g["inputs"]
            gen_s += g["process_wall"]
            say(f"  {g['process_wall']:.0f} s")
        variants = [
            Variant(
                f"m{n}",
                f"one-pass chain, {n} months ({n // 12} year{'s' if n > 12 else ''})",
                {"variant": "plugin", "chain": "onepass", "inputs": inputs[n]},
                out=tmp / f"m{n}",
                keep_last=True,
            )
            for n in (months, 12)
        ]
        runs = round_robin(variants, args.rounds, logs, say)
        sums = {k: summarize(v) for k, v in runs.items()}
        say("comparing the first year of the long run with the 12-month run (NEP)")
        agree = first_year_equal(tmp / f"m{months}" / "nep.tif", tmp / "m12" / "nep.tif")
        long_, short = sums[f"m{months}"], sums["m12"]
        px = size * size
        per_long = long_.median / (px * months) * 1e9  # ns per pixel-month
        per_short = short.median / (px * 12) * 1e9
        ratio = per_long / per_short
        targets = [
            (
                f"peak RSS < 1 GB at {months} months",
                f"{fmt(long_.peak_max, 0)} MB (12 months: {fmt(short.peak_max, 0)} MB)",
                long_.peak_max < TARGET_PEAK_MB,
            ),
            (
                f"time per pixel-month within {TARGET_PER_PXM:g}x of the 12-month run's",
                f"{ratio:.2f}x ({per_long:.1f} against {per_short:.1f} ns per pixel-month, medians; minima "
                f"{(long_.best / months) / (short.best / 12):.2f}x)",
                ratio <= TARGET_PER_PXM,
            ),
            (
                "first year of the long run equal to the 12-month run (NEP)",
                f"max abs diff {agree['max_abs']:.3g}, nodata mismatches {agree['mask_mismatch']:,}, "
                f"{agree['compared']:,} cells",
                agree["max_abs"] == 0 and agree["mask_mismatch"] == 0,
            ),
        ]
        lines = [
            f"# {months} months against 12: memory and time per pixel-month",
            "",
            f"NDVI {size} x {size} float32 (250 m, UTM 49N) x {months} months (2001-01 onwards) and x 12 months, "
            "band-interleaved, tiled 256, uncompressed (`bench/_inputs.py`, band by band); land cover "
            f"{size} x {size} uint8; SOL, T, P, E {size // FACTOR} x {size // FACTOR} at {250 * FACTOR} m (same CRS "
            "and extent, resampled bilinearly by the plugin). One-pass chain (`run_npp` with `rh_output` and "
            "`nep_output`), default threads and compression.",
            "",
            *method_text(args.rounds),
            "",
            *variant_table([(v.label, sums[v.name]) for v in variants]),
            "",
            "| variant | Mpx-months | ns per pixel-month (median) | Mpx-months/s (median) |",
            "|---|---:|---:|---:|",
            f"| {months} months | {px * months / 1e6:,.1f} | {per_long:.1f} | {px * months / 1e6 / long_.median:.2f} |",
            f"| 12 months | {px * 12 / 1e6:,.1f} | {per_short:.1f} | {px * 12 / 1e6 / short.median:.2f} |",
            "",
            "## Targets (issue 8)",
            "",
            *target_table(targets),
            "",
            f"Whole benchmark: {time.perf_counter() - t_start:.0f} s (input generation {gen_s:.0f} s).",
            "",
        ]
        text = "\n".join(lines)
        path = write_results(
            "months",
            text,
            {
                "size": size,
                "months": months,
                "targets": targets,
                "ns_per_pxm": {"long": per_long, "short": per_short},
                "mpxm_s_long": px * months / 1e6 / long_.median,
                "summary": {k: vars(s) for k, s in sums.items()},
            },
        )
        print()
        print(text)
        print(f"written: {path}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
