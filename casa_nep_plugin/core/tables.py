"""Class tables: CASA vegetation classes and land-cover code tables (CSV), parsed in one place.

The shipped tables live in ``resources/tables`` (the products' tables are listed in
:mod:`.products`); users may pass their own CSV with the same columns.  Lines starting
with ``#`` are comments.

- vegetation table (``key,name,ndvi_min,ndvi_max,epsilon_max,npp``): the CASA classes'
  parameters, :func:`load_vegetation_table`;
- code table (``code,class[,label]``): a product's codes to classes, read by
  :func:`read_code_rows` for both of its uses: codes to CASA vegetation classes
  (:func:`load_code_table`, a :class:`ClassLookup` for the model) and codes to any
  classes, e.g. the study's six (:func:`load_class_map`, a :class:`ClassMap` for the
  land-cover fractions).  Class ``nodata`` (any case) marks fill codes.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .errors import CasaInputError
from .products import DEFAULT_PRODUCT, FRACTION_TABLE_OPTIONS, TABLES_DIR, find_product

DEFAULT_VEGETATION_TABLE = TABLES_DIR / "vegetation_classes.csv"
DEFAULT_CODE_TABLE = DEFAULT_PRODUCT.casa_table

NODATA_CLASS = "nodata"


def read_csv_rows(path: str | Path, parameter: str, required: list[str]) -> list[dict[str, str]]:
    """Rows of a comment-tolerant CSV as dicts; checks the required columns."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CasaInputError(parameter, f"cannot read table '{path}': {exc.strerror}.") from exc
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in required if c not in fields]
    if missing:
        raise CasaInputError(
            parameter,
            f"table '{path}' lacks the column(s) {', '.join(missing)}; expected columns: {', '.join(required)}.",
        )
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


@dataclass(frozen=True)
class VegetationClass:
    """One CASA vegetation class: NDVI bounds (unitless) and eps_max (gC MJ-1)."""

    key: str
    name: str
    ndvi_min: float
    ndvi_max: float
    epsilon_max: float
    has_npp: bool


def _same_class(a: VegetationClass, b: VegetationClass) -> bool:
    """Equal rows (NaN equal to NaN): a repeated row is harmless, a conflicting one is not."""
    ta, tb = dataclasses.astuple(a), dataclasses.astuple(b)
    return all(x == y or (isinstance(x, float) and isinstance(y, float) and x != x and y != y) for x, y in zip(ta, tb))


def load_vegetation_table(
    path: str | Path | None = None, parameter: str = "VEGETATION_TABLE"
) -> dict[str, VegetationClass]:
    """Vegetation classes by key, from ``path`` or the shipped Zhu et al. (2006) table."""
    path = path or DEFAULT_VEGETATION_TABLE
    rows = read_csv_rows(path, parameter, ["key", "name", "ndvi_min", "ndvi_max", "epsilon_max", "npp"])
    classes: dict[str, VegetationClass] = {}
    for row in rows:
        has_npp = row["npp"].lower() in ("yes", "true", "1")
        try:
            nums = [float(row[c]) if row[c] else float("nan") for c in ("ndvi_min", "ndvi_max", "epsilon_max")]
        except ValueError as exc:
            raise CasaInputError(parameter, f"class '{row['key']}' has a value that is not a number ({exc}).") from exc
        if has_npp and not (-1.0 <= nums[0] < nums[1] < 1.0 and nums[2] > 0):
            raise CasaInputError(
                parameter,
                f"class '{row['key']}' needs -1 <= ndvi_min < ndvi_max < 1 and epsilon_max > 0 (gC MJ-1).",
            )
        cls = VegetationClass(row["key"], row["name"], nums[0], nums[1], nums[2], has_npp)
        if row["key"] in classes and not _same_class(classes[row["key"]], cls):
            raise CasaInputError(
                parameter,
                f"class '{row['key']}' appears twice in '{path}' with different values; each class once, please.",
            )
        classes[row["key"]] = cls
    if not classes:
        raise CasaInputError(parameter, f"table '{path}' has no classes.")
    return classes


@dataclass(frozen=True)
class ClassLookup:
    """Maps land-cover codes to per-pixel CASA parameters.

    ``codes`` sorted; ``class_keys`` the vegetation key per code (or ``nodata``).
    """

    codes: NDArray
    class_keys: tuple[str, ...]
    ndvi_min: NDArray
    ndvi_max: NDArray
    epsilon_max: NDArray
    has_npp: NDArray
    is_data: NDArray

    def missing_codes(self, values: NDArray) -> list[int]:
        """Codes among ``values`` that the table does not list."""
        values = np.unique(np.asarray(values))
        return [int(v) for v in values[~np.isin(values, self.codes)]]

    def index(self, landcover: NDArray) -> tuple[NDArray, NDArray]:
        """(position in the table, known) for a code array."""
        pos = np.searchsorted(self.codes, landcover)
        pos = np.clip(pos, 0, len(self.codes) - 1)
        known = self.codes[pos] == landcover
        return pos, known

    def parameters(self, landcover: NDArray, epsilon_override: float | None = None) -> tuple[NDArray, NDArray, NDArray]:
        """Per-pixel (ndvi_min, ndvi_max, epsilon_max); NaN where no NPP.

        Unknown codes and no-NPP classes (water, ice) and nodata give NaN.
        """
        pos, known = self.index(landcover)
        ok = known & self.has_npp[pos]
        eps = self.epsilon_max[pos] if epsilon_override is None else np.full(pos.shape, epsilon_override)
        nan = np.float32(np.nan)
        return (
            np.where(ok, self.ndvi_min[pos], nan).astype(np.float32),
            np.where(ok, self.ndvi_max[pos], nan).astype(np.float32),
            np.where(ok, eps, nan).astype(np.float32),
        )

    def with_ndvi_bounds(self, bounds: dict[str, tuple[float, float]]) -> ClassLookup:
        """Return a copy whose NDVI bounds are replaced for the classes in ``bounds`` (key -> (min, max))."""
        lo, hi = self.ndvi_min.copy(), self.ndvi_max.copy()
        for i, key in enumerate(self.class_keys):
            if key in bounds:
                lo[i], hi[i] = bounds[key]
        return dataclasses.replace(self, ndvi_min=lo, ndvi_max=hi)

    def land_mask(self, landcover: NDArray) -> NDArray:
        """Return True where the code is a class with NPP (not water, ice or nodata)."""
        pos, known = self.index(landcover)
        return known & self.has_npp[pos]


def read_code_rows(path: str | Path, parameter: str) -> dict[int, str]:
    """Return the codes of a code table (CSV ``code,class[,label]``) and their class names, in the table's order.

    Codes are whole numbers; a class named ``nodata`` in any case comes back as
    ``nodata``.  The same row twice is harmless; a code given two different classes,
    a code that is not an integer and a row with no class are refused
    (:class:`CasaInputError` naming ``parameter``).
    """
    names: dict[int, str] = {}
    for row in read_csv_rows(path, parameter, ["code", "class"]):
        try:
            value = float(row["code"])
            code = int(value)
        except (ValueError, OverflowError) as exc:
            raise CasaInputError(parameter, f"code '{row['code']}' in '{path}' is not an integer.") from exc
        if value != code:
            raise CasaInputError(parameter, f"code '{row['code']}' in '{path}' is not an integer.")
        name = row["class"]
        if not name:
            raise CasaInputError(parameter, f"code {code} in '{path}' has no class.")
        if name.lower() == NODATA_CLASS:
            name = NODATA_CLASS
        if names.setdefault(code, name) != name:
            raise CasaInputError(
                parameter,
                f"code {code} appears twice in '{path}', as '{names[code]}' and as '{name}'; a code can map to "
                "one class only. Keep one of the rows.",
            )
    return names


def load_code_table(
    path: str | Path | None = None,
    vegetation: dict[str, VegetationClass] | None = None,
    parameter: str = "CLASS_TABLE",
) -> ClassLookup:
    """Return a code -> CASA class lookup from a code table (CSV ``code,class``).

    Default: the shipped GLC_FCS30 table.  Every class must be a key of the
    vegetation table or ``nodata``.
    """
    path = path or DEFAULT_CODE_TABLE
    veg = vegetation or load_vegetation_table()
    mapping = read_code_rows(path, parameter)
    for code, key in mapping.items():
        if key != NODATA_CLASS and key not in veg:
            raise CasaInputError(
                parameter,
                f"code {code} maps to class '{key}', which is not in the vegetation table "
                f"(known: {', '.join(veg)}, or 'nodata').",
            )
    if not mapping:
        raise CasaInputError(parameter, f"table '{path}' maps no codes.")
    codes = np.array(sorted(mapping), dtype=np.int64)
    keys = tuple(mapping[int(c)] for c in codes)

    def col(attr: str) -> NDArray:
        return np.array([getattr(veg[k], attr) if k in veg else np.nan for k in keys], dtype=np.float64)

    return ClassLookup(
        codes=codes,
        class_keys=keys,
        ndvi_min=col("ndvi_min"),
        ndvi_max=col("ndvi_max"),
        epsilon_max=col("epsilon_max"),
        has_npp=np.array([k in veg and veg[k].has_npp for k in keys]),
        is_data=np.array([k != NODATA_CLASS for k in keys]),
    )


@dataclass(frozen=True)
class ClassMap:
    """Codes to classes of any names (e.g. the study's six), for counting class cover.

    ``classes`` in band order (the order of first appearance in the table);
    ``mapping`` code -> class position (-1: nodata); ``path`` the table read.
    """

    classes: tuple[str, ...]
    mapping: dict[int, int]
    path: str

    @property
    def n(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def lut(self, dtype: np.dtype, nodata: float | None, fill: int | None = None) -> NDArray:
        """Return a lookup from raw values of ``dtype`` (viewed as unsigned) to bins.

        Bins: 0..n-1 the classes, n nodata (codes the table marks ``nodata``, the
        raster's ``nodata`` and a ``fill`` value), n+1 codes the table lacks.
        """
        dtype = np.dtype(dtype)
        size = 1 << (8 * dtype.itemsize)
        lut = np.full(size, self.n + 1, dtype=np.uint8 if self.n + 2 < 256 else np.uint16)
        for code, pos in self.mapping.items():
            u = _unsigned_code(code, dtype)
            if u is not None:
                lut[u] = self.n if pos < 0 else pos
        for value in (nodata, fill):
            if value is not None and math.isfinite(value):
                u = _unsigned_code(int(value), dtype)
                if u is not None:
                    lut[u] = self.n
        return lut


def _unsigned_code(code: int, dtype: np.dtype) -> int | None:
    """Return ``code`` as the unsigned integer of the same width as ``dtype`` (None: out of its range)."""
    info = np.iinfo(dtype)
    if not info.min <= code <= info.max:
        return None
    return code % (1 << (8 * np.dtype(dtype).itemsize))


def load_class_map(table: str | Path | None, parameter: str = "CLASS_TABLE") -> ClassMap:
    """Return a code -> class map from a product name (its study table, e.g. ``worldcover``) or a code table path."""
    if not table:
        raise CasaInputError(
            parameter, f"give a class table: one of {', '.join(FRACTION_TABLE_OPTIONS)} or a CSV file (code,class)."
        )
    product = find_product(table)
    path = product.study_table if product else table
    names = read_code_rows(path, parameter)
    classes = tuple(dict.fromkeys(name for name in names.values() if name != NODATA_CLASS))
    if not classes:
        raise CasaInputError(parameter, f"table '{path}' maps no code to a class.")
    if len(classes) > 250:
        raise CasaInputError(parameter, f"table '{path}' has {len(classes)} classes; at most 250 are supported.")
    position = {name: i for i, name in enumerate(classes)}
    return ClassMap(classes, {code: position.get(name, -1) for code, name in names.items()}, str(path))
