"""Run every benchmark, each in its own process, and write bench/results/summary.md.

``make bench`` runs this with the benchmark venv's Python (``.venv-bench``, see
``bench/setup_venv.sh``).  The benchmarks, in order (``--only`` picks some):

- ``chain``: the one-pass chain at 2000^2 x 12 against commit 4aeb060, fused
  numpy + ZSTD, the ZSTD and uncompressed floors, the QGIS raster calculator,
  1 thread and the numpy path (``bench_chain.py``);
- ``interleave``: pixel- against band-interleaved NDVI at 6000^2 x 12
  (``bench_interleave.py``);
- ``months``: 240 months against 12 at 2000^2, climate 10x coarser
  (``bench_months.py``);
- ``aggregate``: zonal statistics against exactextract and QGIS, land-cover
  fractions against gdalwarp (``bench_aggregate.py``);
- ``prepare``: monthly NDVI composites against gdalwarp (``bench_prepare.py``,
  at 1200^2 here to keep the whole run short; 4800 when run alone);
- ``cluster``: the engine on a local Dask cluster, 1 against 2 workers, and
  against the local engine with the same cores (``bench_cluster.py``);
- ``uncertainty``: 100 Monte Carlo members against one deterministic run at
  2000^2 x 12 (``bench_uncertainty.py``).

The zonal part of ``aggregate`` runs ``--rounds`` rounds; its land-cover
fraction part one run per variant here (``--frac-reps 1``).

``--quick`` runs all of them at small sizes (a check that everything runs, a
few minutes).  Each benchmark writes bench/results/<name>.md; this script adds
summary.md: every target in one table, and the 16-core projection.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

ORDER = ("chain", "interleave", "months", "aggregate", "prepare", "cluster", "uncertainty")
LOAD = os.getloadavg()


def commands(a: argparse.Namespace) -> dict[str, list[str]]:
    q = ["--quick"] if a.quick else []
    rounds = ["--rounds", str(a.rounds)]
    cmds = {
        "chain": ["bench_chain.py", *rounds, "--rc-months", a.rc_months, *q]
        + (["--size", str(a.chain_size)] if a.chain_size else []),
        "interleave": ["bench_interleave.py", *rounds, *q]
        + (["--size", str(a.interleave_size)] if a.interleave_size else []),
        "months": ["bench_months.py", *rounds, *q] + (["--size", str(a.months_size)] if a.months_size else []),
        "aggregate": ["bench_aggregate.py", "--reps", str(a.rounds), "--frac-reps", "1", *q],
        "prepare": ["bench_prepare.py", "--size", str(a.prepare_size or (600 if a.quick else 1200))],
        "cluster": ["bench_cluster.py", "--repeats", str(a.rounds), *q],
        "uncertainty": ["bench_uncertainty.py"] + (["--size", "500", "--members", "20"] if a.quick else []),
    }
    return cmds


#: CPU cost of the one-pass chain with the climate on a 10x coarser grid against the same grid (1500^2 x 12,
#: engine of 3617caa, work CPU seconds 9.4 against 5.6): used for the rough forecast only
COARSE_FACTOR = 1.7


def forecast(a: argparse.Namespace, chosen: list[str]) -> str | None:
    """A rough forecast of the interleave and months benchmarks from the chain's measured throughput."""
    path = RESULTS / "chain.json"
    try:
        chain = json.loads(path.read_text())
        rate = chain["mpx_months"] / chain["summary"]["new"]["median"]  # Mpx-months / s
    except (OSError, KeyError, ValueError):
        return None
    if chain.get("size", 0) < 1000:  # fixed costs dominate small runs: no forecast
        return None
    parts = []
    if "interleave" in chosen:
        n = a.interleave_size or (1500 if a.quick else 6000)
        parts.append(("interleave", 2 * a.rounds * n * n * 12 / 1e6 / rate * COARSE_FACTOR + n * n / 1.5e5))
    if "months" in chosen:
        n = a.months_size or (200 if a.quick else 2000)
        parts.append(("months", a.rounds * n * n * (240 + 12) / 1e6 / rate * COARSE_FACTOR + n * n / 6e4))
    if not parts:
        return None
    return "rough forecast from the chain's throughput: " + ", ".join(f"{k} ~{v / 60:.0f} min" for k, v in parts)


def summary(elapsed: dict[str, float], failed: list[str]) -> str:
    lines = [
        "# Benchmark summary",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, load average "
        f"at the start {LOAD[0]:.2f}; each benchmark's method and tables are in its own file beside this one.",
        "",
        "| benchmark | wall time (s) | result |",
        "|---|---:|---|",
    ]
    for name, sec in elapsed.items():
        lines.append(f"| {name} | {sec:.0f} | {'FAILED' if name in failed else f'[{name}.md]({name}.md)'} |")
    lines += ["", "## Targets", "", "| benchmark | target | measured | met |", "|---|---|---|---|"]
    data = {}
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if name in elapsed and name not in failed and path.exists():
            data[name] = json.loads(path.read_text())
            for t, m, ok in data[name].get("targets", []):
                lines.append(f"| {name} | {t} | {m} | {'n/a' if ok is None else ('yes' if ok else 'NO')} |")
    chain = data.get("chain", {})
    if "projection" in chain:
        from bench_chain import projection, projection_lines

        lines += [
            "",
            "## Projection: China at 250 m for 20 years on 16 cores",
            "",
            "From the chain benchmark (climate on the model grid, 12 months):",
            "",
            *projection_lines(chain["projection"]),
        ]
        months = data.get("months")
        summ = chain.get("summary", {})
        one = "new_1core" if "new_1core" in summ else "new_1t"
        if months and "new" in summ and one in summ and months.get("size") == chain.get("size"):
            chain_ns = summ["new"]["median"] / (chain["mpx_months"] * 1e6) * 1e9
            factor = months["ns_per_pxm"]["long"] / chain_ns
            p = projection(
                chain["mpx_months"],
                summ[one]["median"],
                summ["new"]["median"],
                chain["cores"],
                one_core=one == "new_1core",
                extra_factor=factor,
                extra_note="climate on a 10x coarser grid over 240 months costs "
                f"{factor:.2f}x the chain's per-pixel-month time, measured in bench_months",
            )
            lines += [
                "",
                "With the per-pixel-month cost of the 240-month run with climate on a 10x coarser grid "
                "(what ERA5-Land against 250 m NDVI looks like):",
                "",
                *projection_lines(p),
            ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a check that everything runs")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ORDER)}")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rc-months", default="1", help="months the raster calculator runs (0 skips it)")
    ap.add_argument("--chain-size", type=int, default=0)
    ap.add_argument("--interleave-size", type=int, default=0)
    ap.add_argument("--months-size", type=int, default=0)
    ap.add_argument("--prepare-size", type=int, default=0)
    a = ap.parse_args()
    chosen = [n for n in ORDER if not a.only or n in a.only.split(",")]
    load = os.getloadavg()
    if load[0] > 0.5:
        print(f"note: load average {load[0]:.2f}: other work is running, the timings will be noisy", flush=True)
    cmds = commands(a)
    failed, elapsed = [], {}
    t_all = time.perf_counter()
    for name in chosen:
        cmd = [sys.executable, str(HERE / cmds[name][0]), *cmds[name][1:]]
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        if subprocess.call(cmd) != 0:
            failed.append(name)
        elapsed[name] = time.perf_counter() - t0
        print(f"=== {name}: {elapsed[name]:.0f} s (total so far {time.perf_counter() - t_all:.0f} s)", flush=True)
        if name == "chain" and name not in failed:
            note = forecast(a, chosen)
            if note:
                print(f"=== {note}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = summary(elapsed, failed)
    text += f"\nWhole run: {time.perf_counter() - t_all:.0f} s{' (--quick)' if a.quick else ''}.\n"
    (RESULTS / "summary.md").write_text(text)
    print()
    print(text)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
