"""The outputs of the eps_max calibration: calibrated vegetation table, factors, skill and scatter plot.

Each is written atomically (nothing half-written is left) from a :class:`.calibration_fit.CalibrationResult`.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from .calibration_fit import CalibrationResult
from .outputs import atomic_path
from .tables import DEFAULT_VEGETATION_TABLE, read_csv_rows

__all__ = ["write_vegetation_table", "write_factors", "write_metrics", "calibration_plot"]


def write_vegetation_table(
    result: CalibrationResult, path: str, vegetation_table: str | None = None, reference: str | None = None
) -> str:
    """Write the vegetation table with calibrated eps_max (gC MJ-1).

    Same columns; ``casanep:npp`` reads it as VEGETATION_TABLE.  Uncalibrated classes keep their
    value (the global EPSILON_MAX where the NPP was computed with one).
    """
    source = vegetation_table or str(DEFAULT_VEGETATION_TABLE)
    rows = read_csv_rows(source, "VEGETATION_TABLE", ["key", "name", "ndvi_min", "ndvi_max", "epsilon_max", "npp"])
    columns = list(rows[0]) if rows else ["key", "name", "ndvi_min", "ndvi_max", "epsilon_max", "npp"]
    by_key = {c.key: c for c in result.factors}
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        fh.write(
            f"# eps_max calibrated by casanep:calibrate from '{os.path.basename(source)}'"
            f"{' against ' + os.path.basename(reference) if reference else ''}"
            f"{' for ' + str(result.year) if result.year else ''}: least squares per class on reference "
            f"cells at least {result.purity:g} pure.\n"
        )
        for c in result.factors:
            fh.write(
                f"# {c.key}: factor {c.factor:.4f} (s.e. {c.standard_error:.4f}, {c.cells} cells)"
                f"{'' if c.calibrated else ' - kept: ' + c.note}\n"
            )
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in rows:
            fitted = by_key.get(row["key"])
            if fitted is not None:
                row = dict(row, epsilon_max=f"{fitted.epsilon_after:.6g}")
            w.writerow(row)
    return path


def write_factors(result: CalibrationResult, path: str) -> str:
    """CSV: class, name, eps_max before/after (gC MJ-1), factor, standard error, pure cells, calibrated, note."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "class",
                "name",
                "epsilon_max_before",
                "factor",
                "standard_error",
                "epsilon_max_after",
                "pure_cells",
                "calibrated",
                "note",
            ]
        )
        for c in result.factors:
            w.writerow(
                [
                    c.key,
                    c.name,
                    f"{c.epsilon_before:.6g}",
                    f"{c.factor:.6g}",
                    "" if not np.isfinite(c.standard_error) else f"{c.standard_error:.6g}",
                    f"{c.epsilon_after:.6g}",
                    c.cells,
                    "yes" if c.calibrated else "no",
                    c.note,
                ]
            )
    return path


def write_metrics(result: CalibrationResult, path: str) -> str:
    """CSV: skill before (uncalibrated) and after (k-fold spatial-block cross-validation)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["set", "n", "r2", "rmse", "bias", "slope", "intercept", "folds", "block_size_cells", "purity"])
        for name, s in (("before", result.before), ("after_cross_validated", result.after)):
            w.writerow(
                [
                    name,
                    s["n"],
                    *(f"{s[k]:.6g}" for k in ("r2", "rmse", "bias", "slope", "intercept")),
                    result.folds,
                    result.block_size,
                    result.purity,
                ]
            )
    return path


def calibration_plot(result: CalibrationResult, path: str, max_points: int = 20000) -> str:
    """PNG: CASA against reference before (grey) and after calibration (held-out, green), 1:1 line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = np.arange(result.x.size)
    if idx.size > max_points:
        idx = np.sort(np.random.default_rng(0).choice(idx.size, max_points, replace=False))
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=110)
    try:
        x = result.x[idx]
        ax.scatter(x, result.y[idx], s=6, alpha=0.4, color="#9e9e9e", edgecolor="none", label="before")
        if np.isfinite(result.y_cv).any():
            ax.scatter(
                x, result.y_cv[idx], s=6, alpha=0.5, color="#2e7d32", edgecolor="none", label="after (cross-validated)"
            )
        hi = float(np.nanmax(np.concatenate([[1.0], result.x, result.y, result.y_cv]))) * 1.05
        ax.plot([0, hi], [0, hi], color="k", lw=1, label="1:1")
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_xlabel("reference NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_ylabel("CASA NPP (gC m$^{-2}$ a$^{-1}$)")
        ax.set_title("eps_max calibration" + (f" {result.year}" if result.year else ""), fontsize=10)
        b, a = result.before, result.after

        def fmt(v: float) -> str:
            return f"{v:.3g}" if np.isfinite(v) else "n/a"

        ax.text(
            0.03,
            0.97,
            f"N = {b['n']} pure cells\nbefore: R² {fmt(b['r2'])}, RMSE {fmt(b['rmse'])}, "
            f"bias {fmt(b['bias'])}\nafter ({result.folds}-fold CV): R² {fmt(a['r2'])}, RMSE {fmt(a['rmse'])}, "
            f"bias {fmt(a['bias'])}",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
        )
        ax.legend(loc="lower right", fontsize=8)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path
