"""Print the README's "Speed and memory" table from the last ``make bench`` (bench/results/*.json).

Usage: ``python bench/readme_table.py`` after a full ``make bench``; paste its output over the README
section's table.  Every figure is a median of the round-robin runs (method: bench/README.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def main() -> int:
    chain, inter, months, agg = load("chain"), load("interleave"), load("months"), load("aggregate")
    rows = []
    s = chain.get("summary", {})
    if "new" in s:
        n = s["new"]
        size, mpxm = chain["size"], chain["mpx_months"]
        peers = []
        for key, label in (
            ("old", "commit 4aeb060"),
            ("fused", "fused numpy + ZSTD"),
            ("rastercalc", "QGIS raster-calculator chain"),
        ):
            if key in s:
                peers.append(f"{label} {s[key]['median']:.1f} s ({s[key]['median'] / n['median']:.1f}x)")
        for key, label in (("floor_zstd", "floor read + write ZSTD"), ("floor_none", "uncompressed floor")):
            if key in s:
                peers.append(f"{label} {s[key]['median']:.1f} s ({n['median'] / s[key]['median']:.2f}x of it)")
        rows.append(
            (
                f"NPP + RH + NEP one pass, {size} x {size} x 12 ({mpxm:.0f} Mpx-months)",
                f"{n['median']:.1f} s ({mpxm / n['median']:.1f} Mpx-months/s), CPU {n['work_cpu']:.0f} %, "
                f"{n['peak_max']:.0f} MB peak",
                "; ".join(peers),
            )
        )
        if "new_1t" in s:
            t1 = s["new_1t"]["median"]
            rows.append(
                (
                    "the same on 1 thread; numpy path (`CASANEP_NUMBA=0`)",
                    f"{t1:.1f} s (2 threads: {t1 / n['median']:.2f}x faster)"
                    + (f"; {s['new_numpy']['median']:.1f} s" if "new_numpy" in s else ""),
                    "",
                )
            )
        if "new_1core" in s:
            c1 = s["new_1core"]["median"]
            rows.append(
                (
                    "the same pinned to one core (CPU affinity)",
                    f"{c1:.1f} s (2 cores: {c1 / n['median']:.2f}x faster)",
                    "",
                )
            )
    si = inter.get("summary", {})
    if "pixel" in si:
        rows.append(
            (
                f"one pass, NDVI {inter['size']}^2 x 12 pixel- / band-interleaved (deflate, climate 10x coarser)",
                f"{si['pixel']['median']:.1f} s / {si['band']['median']:.1f} s "
                f"({si['pixel']['median'] / si['band']['median']:.2f}x), "
                f"{max(si['pixel']['peak_max'], si['band']['peak_max']):.0f} MB peak",
                "target <= 1.5x",
            )
        )
    sm = months.get("summary", {})
    if sm:
        lm = sm[f"m{months['months']}"]
        ns = months["ns_per_pxm"]
        rows.append(
            (
                f"one pass, {months['size']}^2 x {months['months']} months against x 12 (climate 10x coarser)",
                f"{lm['median']:.0f} s, {lm['peak_max']:.0f} MB peak; {ns['long']:.1f} ns against "
                f"{ns['short']:.1f} ns per pixel-month ({ns['long'] / ns['short']:.2f}x)",
                "targets < 1 GB, <= 1.5x",
            )
        )
    sa = agg.get("summary", {})
    if "exact" in sa:
        ee = sa.get("exactextract")
        rows.append(
            (
                "zonal statistics exact, 9 PRD cities x 24 bands (core API)",
                f"{sa['exact']['median']:.2f} s (centre {sa['centre']['median']:.2f} s)",
                f"exactextract {ee['median']:.2f} s ({sa['exact']['median'] / ee['median']:.2f}x)"
                if ee
                else "exactextract not measured",
            )
        )
    p = chain.get("projection")
    if p:
        rows.append(
            (
                "projection: China at 250 m, 20 years (88 G px-months), 16 cores",
                f"{p['hours_amdahl']:.2f} h (Amdahl from the measured 1 -> 2 "
                f"{'core' if p.get('one_core') else 'thread'} scaling {p['speedup']:.2f}x)",
                "target < 1 h",
            )
        )
    if not rows:
        print("no results in bench/results: run make bench first", file=sys.stderr)
        return 1
    print("| task | casa-nep | peers and targets |")
    print("|---|---|---|")
    for task, ours, peers in rows:
        print(f"| {task} | {ours} | {peers} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
