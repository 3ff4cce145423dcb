"""The block engine on a Dask cluster against the local engine (issue 13), for ``make bench``.

On the synthetic 12-month stacks of bench_chain.py (``--size`` cells square,
default 1000), the one-pass NPP + RH + NEP chain (``run_npp`` with ``rh_output``
and ``nep_output``) is timed, for 1 and for 2 cores:

- on the local engine with that many threads;
- on a ``distributed.LocalCluster`` (loopback, worker processes, one thread
  each) with that many workers, selected by ``CASANEP_DASK_SCHEDULER`` as a
  user would, with the results staged in the shared folder beside the outputs
  (the default here: one file system) and with ``CASANEP_DASK_STAGING=off``
  (results travel back through Dask).

The three are timed round-robin, ``--repeats`` rounds (so the machine's load
is the same for all), after a warm-up run of each on a small grid of 4
windows (numba loads its kernel once per process, and the workers are new
processes); median and minimum are reported.  Starting a cluster is timed
apart.  Reported: 1 against 2 workers, and the cluster path against the local
engine with the same number of cores (target <= 1.3x, on the medians); every
cluster output must equal the local one bit for bit.

Writes ``bench/results/cluster.md`` and prints it.  Options: ``--size``,
``--repeats``, ``--quick`` (size 400, one repeat); others are ignored.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "cluster.md"
TARGET_OVERHEAD = 1.3
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def chain(inputs: dict[str, str], out: Path, threads: int | None = None) -> float:
    """Seconds for one run of the one-pass chain into ``out``."""
    from casa_nep_plugin.core import model

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    model.run_npp(
        inputs["ndvi"],
        inputs["lc"],
        inputs["sol"],
        inputs["t"],
        inputs["p"],
        str(out / "npp.tif"),
        evapotranspiration=inputs["e"],
        rh_output=str(out / "rh.tif"),
        nep_output=str(out / "nep.tif"),
        threads=threads,
    )
    return time.perf_counter() - t0


def round_robin(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each run, ``repeats`` rounds, the runs in turn within a round."""
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for k, run in runs.items():
            times[k].append(run())
    return times


def same_cells(a: Path, b: Path) -> bool:
    """The outputs' cells are bit-identical (and so are their tags)."""
    for name in ("npp", "rh", "nep"):
        with rasterio.open(a / f"{name}.tif") as x, rasterio.open(b / f"{name}.tif") as y:
            if x.read().tobytes() != y.read().tobytes() or x.tags() != y.tags():
                return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args, _ = parser.parse_known_args()
    if args.quick:
        args.size, args.repeats = min(args.size, 400), 1
    try:
        import distributed
    except ImportError:
        print("bench_cluster: distributed is not installed (apt install python3-distributed); skipped.")
        return 0
    from bench_chain import make_inputs

    from casa_nep_plugin.core import cluster, cluster_staging

    os.environ.pop(cluster.ENV, None)
    work = Path(tempfile.mkdtemp(prefix="casanep-bench-cluster-"))
    rows, equal = [], True
    try:
        t0 = time.perf_counter()
        for sub in ("in", "warm"):
            (work / sub).mkdir()
        inputs = make_inputs(work / "in", args.size)
        warm = make_inputs(work / "warm", 512)  # 4 windows: every worker loads numba and its kernel
        print(f"inputs {args.size}^2 x 12 made in {time.perf_counter() - t0:.1f} s", flush=True)
        times: dict[int, dict[str, list[float]]] = {}
        start: dict[int, float] = {}
        for n in (1, 2):
            t0 = time.perf_counter()
            lc = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
            address = lc.scheduler_address

            def run(where: str, n: int = n, address: str = address) -> float:
                os.environ.pop(cluster.ENV, None)
                os.environ.pop(cluster_staging.STAGING_ENV, None)
                if where != "local":
                    os.environ[cluster.ENV] = address
                if where == "transfer":
                    os.environ[cluster_staging.STAGING_ENV] = "off"
                try:
                    return chain(inputs, work / f"{where}{n}", n if where == "local" else None)
                finally:
                    os.environ.pop(cluster.ENV, None)
                    os.environ.pop(cluster_staging.STAGING_ENV, None)

            try:
                for where in ("local", "staging", "transfer"):  # warm-up on 4 windows
                    os.environ[cluster.ENV] = address
                    if where == "local":
                        os.environ.pop(cluster.ENV)
                    chain(warm, work / "w", n if where == "local" else None)
                os.environ.pop(cluster.ENV, None)
                start[n] = time.perf_counter() - t0
                times[n] = round_robin(
                    {w: (lambda w=w: run(w)) for w in ("local", "staging", "transfer")}, args.repeats
                )
                for where in ("staging", "transfer"):
                    equal &= same_cells(work / f"{where}{n}", work / f"local{n}")
            finally:
                cluster.close_clients()
                lc.close()
            med = {k: statistics.median(v) for k, v in times[n].items()}
            print(
                f"{n} core(s): "
                + ", ".join(f"{k} {med[k]:.2f} s" for k in med)
                + f" (cluster start and warm-up {start[n]:.1f} s)",
                flush=True,
            )
            for where in ("staging", "transfer"):
                lo, re = times[n]["local"], times[n][where]
                rows.append(
                    (
                        n,
                        where,
                        statistics.median(lo),
                        statistics.median(re),
                        statistics.median(re) / statistics.median(lo),
                        min(lo),
                        min(re),
                        min(re) / min(lo),
                    )
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    speedup = statistics.median(times[1]["staging"]) / statistics.median(times[2]["staging"])
    ok = all(r[4] <= TARGET_OVERHEAD for r in rows) and equal
    try:
        load = "load average {:.1f} {:.1f} {:.1f} at the end".format(*os.getloadavg())
    except OSError:
        load = "load unknown"
    lines = [
        "# The block engine on a Dask cluster (bench/bench_cluster.py)",
        "",
        f"NPP + RH + NEP in one pass on {args.size} x {args.size} cells x 12 months (bench_chain's synthetic "
        f"stacks); local engine and cluster timed round-robin, {args.repeats} rounds after a warm-up, so both "
        f"ran under the same load; machine: {os.cpu_count()} cores, shared ({load}).",
        "Cluster: distributed.LocalCluster on 127.0.0.1, worker processes with one thread each; results staged "
        "in the shared folder beside the outputs (`staging`) or sent back through Dask (`transfer`, "
        "CASANEP_DASK_STAGING=off); this process writes the GeoTIFFs.",
        "",
        "| cores | results | local engine median / min (s) | Dask cluster median / min (s) "
        "| cluster / local, median (target <= 1.3) / min |",
        "|---|---|---|---|---|",
        *[
            f"| {n} | {w} | {lo:.2f} / {lomin:.2f} | {re:.2f} / {remin:.2f} | {ratio:.2f} / {rmin:.2f} |"
            for n, w, lo, re, ratio, lomin, remin, rmin in rows
        ],
        "",
        f"1 against 2 workers (staging, medians): {statistics.median(times[1]['staging']):.2f} s against "
        f"{statistics.median(times[2]['staging']):.2f} s, speed-up {speedup:.2f}x.",
        f"Outputs bit-identical to the local engine's: {'yes' if equal else 'NO'}.",
        f"Target met: {'yes' if ok else 'NO'}.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0 if equal else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
