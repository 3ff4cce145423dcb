"""Round-robin timing of benchmark variants, each run in its own child process.

Method (stated in every report, see :func:`method_text`):

- Variants run round-robin, A, B, C, A, B, C, ..., for ``rounds`` rounds, so that
  a slow phase of the machine (another job, page-cache write-back) falls on
  every variant alike rather than on one.
- Every run is a fresh child process (``python <worker> '<json>'``).  Before it
  starts the parent calls ``os.sync()`` so the previous run's dirty pages are
  not flushed inside this run's timing.
- Per run: the work's wall time as the child measured it around the timed call
  (imports and interpreter start-up excluded), the whole process's wall time,
  the child's CPU time (user + sys, all its threads) from ``os.wait4``'s rusage,
  the work section's CPU time (``getrusage(RUSAGE_SELF)`` before and after the
  timed call, in the child), and the child's peak resident memory: ``VmHWM``
  from its own ``/proc/self/status`` at its end.  (``wait4``'s ``ru_maxrss`` is
  not used for memory: Linux carries the parent's high-water mark across
  fork + exec into it.)
- CPU % = CPU time / wall time; 100 % = one core busy.
- Per variant the report gives the median and the minimum over the rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
WORKER = HERE / "_chain_worker.py"
#: load average (1, 5, 15 min) when the benchmark started: other work on the machine
LOAD_AT_START = os.getloadavg()


@dataclass
class Variant:
    """One benchmark variant: a worker config run as its own child process."""

    name: str
    label: str
    cfg: dict
    #: folder the run writes into; emptied after every run except the last round's when ``keep_last``
    out: Path | None = None
    keep_last: bool = False
    env: dict = field(default_factory=dict)
    #: prepended to PYTHONPATH (e.g. an old checkout of the plugin)
    pythonpath: str | None = None
    worker: Path = WORKER
    #: the result's work time (seconds); default ``times['total']``
    work_time: Callable[[dict], float] | None = None


def _child_env(v: Variant) -> dict:
    # the engine's environment switches come from the variant alone, never from the caller's shell
    env = {k: x for k, x in os.environ.items() if not k.startswith("CASANEP_") or k == "CASANEP_SHARED_DATA"}
    env.update({k: str(x) for k, x in v.env.items()})
    paths = [p for p in (v.pythonpath, str(ROOT), str(HERE)) if p]
    env["PYTHONPATH"] = os.pathsep.join(
        paths + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    )
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("PROJ_DATA", "/usr/share/proj")
    return env


def run_child(v: Variant, log_dir: Path, tag: str, timeout: float = 3600.0) -> dict:
    """Run variant ``v`` once in a child process; its RESULT plus the parent's measurements."""
    os.sync()
    if v.out is not None:
        shutil.rmtree(v.out, ignore_errors=True)
        v.out.mkdir(parents=True, exist_ok=True)
    cfg = dict(v.cfg)
    if v.out is not None:
        cfg["out"] = str(v.out)
    out_path, err_path = log_dir / f"{tag}.out", log_dir / f"{tag}.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(v.worker), json.dumps(cfg)], stdout=out, stderr=err, env=_child_env(v)
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in out_path.read_text().splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        err_text = err_path.read_text()
        sys.stderr.write(err_text[-4000:])
        last = [ln for ln in err_text.splitlines() if ln.strip()][-1:] or ["no error output"]
        raise RuntimeError(f"{v.name} failed (exit {proc.returncode}): {last[0].strip()}")
    res = json.loads(lines[-1][len("RESULT ") :])
    res["process_wall"] = wall
    res["process_cpu"] = usage.ru_utime + usage.ru_stime
    res["peak_mb"] = res.get("vmhwm_before_compare_mb", res.get("vmhwm_mb", float("nan")))
    res["work"] = v.work_time(res) if v.work_time else res.get("times", {}).get("total", float("nan"))
    return res


def round_robin(
    variants: list[Variant],
    rounds: int,
    log_dir: Path,
    say: Callable[[str], None],
    warmup: list[Variant] | None = None,
    failures: dict[str, str] | None = None,
) -> dict[str, list[dict]]:
    """Run the variants A, B, C, A, B, C, ... ``rounds`` times; every run's result per variant name.

    ``warmup`` variants run once, untimed, first (numba's compile cache, the page cache).
    With ``failures`` given, a failed run is recorded there (variant name -> error) and the
    other runs go on; without it the first failure ends the benchmark.
    """
    for v in warmup or []:
        say(f"warm-up: {v.label}")
        run_child(v, log_dir, f"warmup_{v.name}")
        if v.out is not None:
            shutil.rmtree(v.out, ignore_errors=True)
    runs: dict[str, list[dict]] = {v.name: [] for v in variants}
    for r in range(rounds):
        for v in variants:
            try:
                res = run_child(v, log_dir, f"{v.name}_r{r}")
            except RuntimeError as exc:
                if failures is None:
                    raise
                failures[v.name] = str(exc)
                say(f"round {r + 1}/{rounds} {v.name}: FAILED ({exc})")
                if v.out is not None:  # no half-written outputs for the comparisons
                    shutil.rmtree(v.out, ignore_errors=True)
                continue
            runs[v.name].append(res)
            say(
                f"round {r + 1}/{rounds} {v.name}: {res['work']:.2f} s (process {res['process_wall']:.2f} s, "
                f"CPU {cpu_pct(res):.0f} %, work CPU {work_cpu_pct(res):.0f} %, peak {res['peak_mb']:.0f} MB)"
            )
            if v.out is not None and not (v.keep_last and r == rounds - 1):
                shutil.rmtree(v.out, ignore_errors=True)
    return runs


def cpu_pct(res: dict) -> float:
    """Whole child process: CPU time (user + sys, wait4 rusage) / process wall time, %."""
    return 100.0 * res["process_cpu"] / res["process_wall"]


def work_cpu_pct(res: dict) -> float:
    """The timed work section: CPU time (getrusage in the child) / its wall time, %; NaN if not measured."""
    if "work_cpu" not in res or not res.get("times", {}).get("total"):
        return float("nan")
    return 100.0 * res["work_cpu"] / res["times"]["total"]


@dataclass
class Summary:
    """Median and minimum of a variant's runs."""

    median: float
    best: float
    process_median: float
    cpu: float
    work_cpu: float
    peak_median: float
    peak_max: float
    all_work: list[float]
    #: CPU seconds (user + sys) of the timed call, median: less sensitive to other load than wall time
    work_cpu_s: float = float("nan")


def summarize(runs: list[dict]) -> Summary:
    work = [r["work"] for r in runs]
    wcpu = [work_cpu_pct(r) for r in runs]
    wcpu = [x for x in wcpu if x == x]
    peaks = [r["peak_mb"] for r in runs]
    return Summary(
        median=statistics.median(work),
        best=min(work),
        process_median=statistics.median(r["process_wall"] for r in runs),
        cpu=statistics.median(cpu_pct(r) for r in runs),
        work_cpu=statistics.median(wcpu) if wcpu else float("nan"),
        peak_median=statistics.median(peaks),
        peak_max=max(peaks),
        all_work=work,
        work_cpu_s=statistics.median(r["work_cpu"] for r in runs)
        if all("work_cpu" in r for r in runs)
        else float("nan"),
    )


# --------------------------------------------------------------------------- #
# Report helpers
# --------------------------------------------------------------------------- #
def fmt(x: float, nd: int = 2) -> str:
    if x != x:
        return "n/a"
    return f"{x:,.{nd}f}"


def method_text(rounds: int, extra: str = "") -> list[str]:
    """The method paragraph every report carries."""
    return [
        f"Method: {rounds} rounds, variants run round-robin (A, B, C, A, B, C, ...), each run in its own child "
        "process started by the benchmark; `os.sync()` before every run. **time** = wall time of the timed call "
        "inside the child (interpreter start-up and imports excluded); **process** = wall time of the whole "
        "child. **CPU %** = the child's user + sys CPU time from `os.wait4`'s rusage / the child's wall time "
        "(100 % = one core busy); **work CPU %** = the same for the timed call alone (`getrusage(RUSAGE_SELF)` "
        "in the child before and after it), and **work CPU-s** its CPU seconds (all threads; less sensitive "
        "than wall time to other load on the machine). **peak RSS** = the child's `VmHWM` (/proc/self/status) "
        "at its end "
        "(`wait4`'s ru_maxrss is not used: Linux carries the parent's high-water mark into it). Median and "
        "minimum over the rounds. Inputs are in the page cache after the first round (warm-cache figures). "
        f"Machine: {os.cpu_count()} CPUs, {_mem_gb():.0f} GB RAM; load average (1 / 15 min) at the benchmark's "
        f"start {LOAD_AT_START[0]:.2f} / {LOAD_AT_START[2]:.2f} (above 0.2 or so, other work shared the machine); "
        f"report written {time.strftime('%Y-%m-%d %H:%M %Z')}." + (" " + extra if extra else ""),
    ]


def _mem_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            return int(fh.readline().split()[1]) / 1024 / 1024
    except OSError:  # pragma: no cover
        return float("nan")


def variant_table(
    rows: list[tuple[str, Summary]], mpx_months: float | None = None, ref: tuple[str, float] | None = None
) -> list[str]:
    """Markdown table: one row per variant (label, summary); ``ref`` = (name, seconds) for a ratio column."""
    head = (
        "| variant | time median (s) | time min (s) | process median (s) | CPU % | work CPU % | work CPU-s "
        "| peak RSS median / max (MB) |"
    )
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if mpx_months:
        head += " Mpx-months/s (median) |"
        sep += "---:|"
    if ref:
        head += f" median vs {ref[0]} |"
        sep += "---:|"
    head += " all runs (s) |"
    sep += "---|"
    lines = [head, sep]
    for label, s in rows:
        line = (
            f"| {label} | {fmt(s.median)} | {fmt(s.best)} | {fmt(s.process_median)} | {fmt(s.cpu, 0)} | "
            f"{fmt(s.work_cpu, 0)} | {fmt(s.work_cpu_s)} | {fmt(s.peak_median, 0)} / {fmt(s.peak_max, 0)} |"
        )
        if mpx_months:
            line += f" {fmt(mpx_months / s.median)} |"
        if ref:
            line += f" {s.median / ref[1]:.2f}x |"
        line += " " + ", ".join(fmt(x) for x in s.all_work) + " |"
        lines.append(line)
    return lines


def target_table(targets: list[tuple[str, str, bool | None]]) -> list[str]:
    """Markdown table of (target, measured, met)."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    for t, m, ok in targets:
        lines.append(f"| {t} | {m} | {'n/a' if ok is None else ('yes' if ok else 'NO')} |")
    return lines


def write_results(name: str, text: str, data: dict) -> Path:
    """bench/results/<name>.md (and .json for run_all's summary)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1, default=str))
    return RESULTS / f"{name}.md"


def check_disk(folder: Path, need_gb: float) -> None:
    """Refuse to start when ``folder``'s file system has less than ``need_gb`` free."""
    free = shutil.disk_usage(folder).free / 1e9
    if free < need_gb:
        raise SystemExit(f"{folder}: {free:.0f} GB free, this benchmark needs about {need_gb:.0f} GB")


def tmp_root() -> Path:
    """Where benchmark inputs go: ``CASANEP_BENCH_TMP`` or the system's temporary folder."""
    return Path(os.environ.get("CASANEP_BENCH_TMP") or os.environ.get("TMPDIR") or "/tmp")


def make_say(t_start: float) -> Callable[[str], None]:
    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.0f} s] {msg}", flush=True)

    return say
