"""Speed and memory of casanep:uncertainty (issue 12): MEMBERS members against one deterministic run.

On the synthetic 12-month stacks of ``bench_chain.make_inputs`` (fixed seed, 250 m UTM grid, GLC_FCS30 land
cover) this times, each in its own child process with its peak resident memory (VmHWM):

- one deterministic run: ``run_npp`` with RH and NEP in the same pass, then ``run_annual`` (annual NEP is what
  the ensemble summarises);
- the ensemble: ``run_uncertainty`` with MEMBERS members of the shipped distribution table, writing the maps of
  sd(annual NEP) and P(NEP > 0) and the whole-grid zone table.

Target (issue 12): 100 members at 2000^2 x 12 in at most 15x the time of the deterministic run, and memory
bounded by the window (peak not growing with the members).  The two runs alternate (round-robin) for
``--rounds`` rounds and the median of the per-round ratios is reported, so load on a shared machine hits both
alike.  Writes ``bench/results/uncertainty.md`` and prints it.  Options: ``--size`` (default 2000),
``--members`` (default 100), ``--rounds`` (default 3).  The default size runs in a few minutes on this
project's 2-core machines; ``--size 300 --members 10 --rounds 1`` checks that it works.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "uncertainty.md"
TARGET_RATIO = 15.0

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from casa_nep_plugin.core.model import run_annual, run_npp
from casa_nep_plugin.core.uncertainty import run_uncertainty
cfg = json.loads(sys.argv[1])
p, out = cfg["inputs"], cfg["out"]
t0 = time.perf_counter()
common = dict(evapotranspiration=p["e"])
if cfg["variant"] == "deterministic":
    run_npp(p["ndvi"], p["lc"], p["sol"], p["t"], p["p"], out + "/npp.tif", rh_output=out + "/rh.tif",
            nep_output=out + "/nep.tif", **common)
    t1 = time.perf_counter()
    run_annual(out + "/npp.tif", out + "/rh.tif", nep_output=out + "/nep_annual.tif")
    extra = {{"npp_pass_s": t1 - t0}}
else:
    run_uncertainty(p["ndvi"], p["lc"], p["sol"], p["t"], p["p"], members=cfg["members"], seed=1,
                    sd_output=out + "/sd.tif", probability_output=out + "/p.tif", table_output=out + "/u.csv",
                    **common)
    extra = {{}}
peak = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM"):
        peak = int(line.split()[1]) / 1024
print(json.dumps(dict(seconds=time.perf_counter() - t0, peak_mb=peak, **extra)))
"""


def child(variant: str, inputs: dict, out: Path, members: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cfg = json.dumps({"variant": variant, "inputs": inputs, "out": str(out), "members": members})
    res = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), cfg], capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--members", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3, help="round-robin rounds (the median ratio is reported)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary inputs and outputs")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_chain import make_inputs  # the chain benchmark's synthetic stacks

    tmp = Path(tempfile.mkdtemp(prefix="casanep-bench-unc-"))
    try:
        t0 = time.perf_counter()
        (tmp / "in").mkdir()
        inputs = make_inputs(tmp / "in", args.size)
        prep = time.perf_counter() - t0
        rounds = []
        for r in range(max(1, args.rounds)):
            det = child("deterministic", inputs, tmp / f"det{r}", 1)
            ens = child("ensemble", inputs, tmp / f"ens{r}", args.members)
            rounds.append((det, ens))
            print(
                f"round {r + 1}: deterministic {det['seconds']:.1f} s, ensemble {ens['seconds']:.1f} s, "
                f"{ens['seconds'] / det['seconds']:.1f}x",
                flush=True,
            )
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    ratios = sorted(e["seconds"] / d["seconds"] for d, e in rounds)
    ratio = statistics.median(ratios)
    det, ens = sorted(rounds, key=lambda de: de[1]["seconds"] / de[0]["seconds"])[len(rounds) // 2]
    ratio_npp = statistics.median(e["seconds"] / d["npp_pass_s"] for d, e in rounds)
    mpx = args.size * args.size * 12 / 1e6
    cores = Path("/proc/cpuinfo").read_text().count("processor")
    det_time = f"{det['seconds']:.1f} (run_npp {det['npp_pass_s']:.1f})"
    at_target = args.size == 2000 and args.members == 100
    verdict = ("met" if ratio <= TARGET_RATIO else "NOT met") + (
        "" if at_target else " (not at the target size: indicative only)"
    )
    text = f"""# casanep:uncertainty benchmark

{args.size} x {args.size} x 12 months ({mpx:.0f} Mpx-months), synthetic inputs of bench_chain.py (prepared in
{prep:.1f} s), {args.members} members of the shipped distribution table, on {cores} cores.

| run | time (s) | peak memory (MB) |
|---|---|---|
| deterministic: run_npp (NPP, RH, NEP in one pass) + run_annual | {det_time} | {det["peak_mb"]:.0f} |
| ensemble, {args.members} members (sd(NEP), P(NEP > 0), zone table) | {ens["seconds"]:.1f} | {ens["peak_mb"]:.0f} |

The table shows the median round. Ensemble / deterministic, median of {len(rounds)} round-robin rounds:
**{ratio:.1f}x** (rounds: {", ".join(f"{x:.1f}" for x in ratios)};
against run_npp alone {ratio_npp:.1f}x); target <= {TARGET_RATIO:g}x
for 100 members at 2000^2 x 12: {verdict}.
Per member: {(ens["seconds"] - det["seconds"]) / max(args.members, 1):.2f} s beyond one deterministic run.
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
