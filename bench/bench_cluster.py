"""The block engine on a Dask cluster against the local engine (issue 13), for ``make bench``.

On the synthetic 12-month stacks of bench_chain.py (``--size`` cells square,
default 1000), the one-pass NPP + RH + NEP chain (``run_npp`` with ``rh_output``
and ``nep_output``) is timed:

- on the local engine with 1 and with 2 threads;
- on a ``distributed.LocalCluster`` (loopback, worker processes, one thread
  each) with 1 and with 2 workers, selected by ``CASANEP_DASK_SCHEDULER`` as a
  user would.

Each timing is the best of ``--repeats`` runs after a warm-up run on a small
grid of 4 windows (numba loads its kernel once per process, and the workers
are new processes).  Starting a cluster is timed apart.  Reported: 1 against 2 workers,
and the cluster path against the local engine with the same number of cores
(target <= 1.3x); every cluster output must equal the local one bit for bit.

Writes ``bench/results/cluster.md`` and prints it.  Options: ``--size``,
``--repeats``, ``--quick`` (size 400, one repeat); others are ignored.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
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
    model.run_npp(inputs["ndvi"], inputs["lc"], inputs["sol"], inputs["t"], inputs["p"], str(out / "npp.tif"),
                  evapotranspiration=inputs["e"], rh_output=str(out / "rh.tif"), nep_output=str(out / "nep.tif"),
                  threads=threads)
    return time.perf_counter() - t0


def best(inputs: dict[str, str], out: Path, repeats: int, threads: int | None = None) -> float:
    return min(chain(inputs, out, threads) for _ in range(repeats))


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
    parser.add_argument("--repeats", type=int, default=2)
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

    from casa_nep_plugin.core import cluster

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
        local: dict[int, float] = {}
        for threads in (1, 2):
            chain(warm, work / "w", threads)
            local[threads] = best(inputs, work / f"local{threads}", args.repeats, threads)
            print(f"local engine, {threads} thread(s): {local[threads]:.2f} s", flush=True)
        remote: dict[int, float] = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            lc = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          host="127.0.0.1", dashboard_address=None)
            os.environ[cluster.ENV] = lc.scheduler_address
            try:
                chain(warm, work / "w")
                start = time.perf_counter() - t0
                remote[workers] = best(inputs, work / f"dask{workers}", args.repeats)
                equal &= same_cells(work / f"dask{workers}", work / "local2")
            finally:
                os.environ.pop(cluster.ENV, None)
                cluster.close_clients()
                lc.close()
            print(f"Dask, {workers} worker(s): {remote[workers]:.2f} s (start and warm-up {start:.1f} s)", flush=True)
        for n in (1, 2):
            ratio = remote[n] / local[n]
            rows.append((n, local[n], remote[n], ratio))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    speedup = remote[1] / remote[2]
    ok = all(r[3] <= TARGET_OVERHEAD for r in rows) and equal
    lines = [
        "# The block engine on a Dask cluster (bench/bench_cluster.py)",
        "",
        f"NPP + RH + NEP in one pass on {args.size} x {args.size} cells x 12 months (bench_chain's synthetic "
        f"stacks), best of {args.repeats} after a warm-up; machine: {os.cpu_count()} cores (shared).",
        "Cluster: distributed.LocalCluster on 127.0.0.1, worker processes with one thread each; results travel "
        "back to this process, which writes them.",
        "",
        "| cores | local engine (s) | Dask cluster (s) | cluster / local (target <= 1.3) |",
        "|---|---|---|---|",
        *[f"| {n} | {lo:.2f} | {re:.2f} | {ratio:.2f} |" for n, lo, re, ratio in rows],
        "",
        f"1 against 2 workers: {remote[1]:.2f} s against {remote[2]:.2f} s, speed-up {speedup:.2f}x.",
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
