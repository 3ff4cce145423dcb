"""Pixel- against band-interleaved NDVI input (issue 8), for ``make bench``.

One NDVI stack of ``--size``^2 x 12 float32 written twice with the same values,
tiled 512 x 512, deflate: once band-interleaved, once pixel-interleaved
(GDAL's default for multi-band GeoTIFF, and what ``gdal_merge``, ``gdal_translate``
of a VRT or QGIS *Merge* make).  Land cover at the NDVI's 250 m; SOL, T, P, E on a
grid ten times coarser (2500 m, same CRS and extent), so the inputs stay small.
The one-pass chain (``run_npp`` with ``rh_output`` and ``nep_output``, default
threads and compression) runs on each, round-robin, each run in its own child
process (method: ``_harness.py``).  The last round's NEP outputs of the two are
compared (they must be equal).

Writes ``bench/results/interleave.md`` (+ ``.json``).  Options: ``--size``
(default 6000), ``--rounds``, ``--quick`` (1500), ``--climate-factor`` (10; 1 puts
the climate on the NDVI grid).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

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
from bench_chain import compare_outputs  # noqa: E402

FACTOR = 10
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 1024.0
LAYOUT = dict(tiled=True, blockxsize=512, blockysize=512, compress="deflate")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=6000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1500^2 (a check that all runs)")
    ap.add_argument(
        "--climate-factor",
        type=int,
        default=FACTOR,
        help="climate cell size / NDVI cell size (1: climate on the NDVI grid, a stricter test of the "
        "NDVI reading, ~7 GB more input at 6000^2)",
    )
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.size = min(args.size, 1500)
    factor = args.climate_factor
    size = args.size - args.size % factor
    mpxm = size * size * 12 / 1e6
    t_start = time.perf_counter()
    say = make_say(t_start)
    root = tmp_root()
    # two NDVI copies (~float32 size each, deflate gains little on noise) + 3 outputs of each variant kept
    check_disk(root, size * size * 12 * 4 * (2 + 6 + 4 / factor**2) / 1e9 + 2)
    tmp = Path(tempfile.mkdtemp(prefix="casanep-bench-interleave-", dir=root))
    logs = tmp / "logs"
    logs.mkdir()
    try:
        data = tmp / "inputs"
        say(f"generating {size} x {size} x 12 NDVI (band- and pixel-interleaved), climate {size // factor}^2")
        layouts = {"ndvi_band": dict(LAYOUT, interleave="band"), "ndvi_pixel": dict(LAYOUT, interleave="pixel")}
        gen = Variant(
            "generate",
            "generate",
            {"variant": "generate_grid", "size": size, "months": 12, "factor": factor, "layouts": layouts},
            out=data,
        )
        g = run_child(gen, logs, "generate")
        inputs = g["inputs"]
        say(
            f"  generated in {g['process_wall']:.0f} s; NDVI files "
            f"{Path(inputs['ndvi_band']).stat().st_size / 1e9:.2f} GB (band), "
            f"{Path(inputs['ndvi_pixel']).stat().st_size / 1e9:.2f} GB (pixel)"
        )
        variants = []
        for name, key, label in (
            ("pixel", "ndvi_pixel", "NDVI pixel-interleaved"),
            ("band", "ndvi_band", "NDVI band-interleaved"),
        ):
            cfg = {"variant": "plugin", "chain": "onepass", "inputs": dict(inputs, ndvi=inputs[key])}
            variants.append(Variant(name, f"one-pass chain, {label}", cfg, out=tmp / name, keep_last=True))
        runs = round_robin(variants, args.rounds, logs, say)
        sums = {k: summarize(v) for k, v in runs.items()}
        say("comparing the NEP outputs of the two layouts")
        agree = compare_outputs(tmp / "pixel", tmp / "band", names=("nep",))["nep"]
        shutil.rmtree(tmp / "pixel", ignore_errors=True)
        shutil.rmtree(tmp / "band", ignore_errors=True)
        p, b = sums["pixel"], sums["band"]
        ratio = p.median / b.median
        targets = [
            (
                f"pixel-interleaved within {TARGET_RATIO:g}x of band-interleaved",
                f"{ratio:.2f}x (medians {fmt(p.median)} / {fmt(b.median)} s; minima {p.best / b.best:.2f}x)",
                ratio <= TARGET_RATIO,
            ),
            (
                "peak RSS < 1 GB at 12 months, any raster size",
                f"{fmt(max(p.peak_max, b.peak_max), 0)} MB at {size}^2",
                max(p.peak_max, b.peak_max) < TARGET_PEAK_MB,
            ),
            (
                "NEP equal in both layouts",
                f"max abs diff {agree['max_abs']:.3g}, nodata mismatches "
                f"{agree['mask_mismatch']:,}, {agree['compared']:,} cells",
                agree["max_abs"] == 0 and agree["mask_mismatch"] == 0,
            ),
        ]
        lines = [
            "# Pixel- against band-interleaved NDVI input",
            "",
            f"NDVI {size} x {size} x 12 float32 (250 m, UTM 49N), tiled 512 x 512, deflate (no predictor), the same "
            "values written band-interleaved and pixel-interleaved (`bench/_inputs.py`); land cover "
            f"{size} x {size} uint8; SOL, T, P, E "
            + (
                f"{size // factor} x {size // factor} at {250 * factor} m (same CRS and extent: the plugin resamples "
                "them bilinearly onto the NDVI grid)"
                if factor > 1
                else "on the NDVI grid (uncompressed)"
            )
            + ". One-pass chain (`run_npp` with "
            "`rh_output` and `nep_output`), default threads and compression. "
            f"{mpxm:,.0f} Mpx-months per run.",
            "",
            *method_text(args.rounds),
            "",
            *variant_table(
                [(v.label, sums[v.name]) for v in variants], mpx_months=mpxm, ref=("band-interleaved", b.median)
            ),
            "",
            "## Targets (issue 8)",
            "",
            *target_table(targets),
            "",
            f"Whole benchmark: {time.perf_counter() - t_start:.0f} s (input generation {g['process_wall']:.0f} s).",
            "",
        ]
        text = "\n".join(lines)
        path = write_results(
            "interleave",
            text,
            {"size": size, "mpx_months": mpxm, "targets": targets, "summary": {k: vars(s) for k, s in sums.items()}},
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
