"""Counting fine class codes per model cell: the inner loop of the land-cover fractions.

A chunk of fine codes covering ``h`` x ``w`` model cells of ``ky`` x ``kx`` fine cells
each is counted in one pass over all classes.  Model cells whose fine cells all share
one code (open water, forest interiors, fill) are counted from their minimum and
maximum alone; the others by ``np.bincount`` over a combined cell x bin index, cell by
cell when few are mixed, over the whole chunk when many are.  Codes go to bins through a
lookup (:meth:`.tables.ClassMap.lut`): one bin per class, then nodata, then codes the
table lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .tables import ClassMap

__all__ = ["ClassCounter", "as_unsigned", "count_classes"]

#: Above this share of mixed model cells a chunk is counted whole, not cell by cell.
MIXED_SHARE_FULL = 0.35


def as_unsigned(a: NDArray) -> NDArray:
    """Return an integer array viewed as unsigned of the same width (for lookups)."""
    if a.dtype.kind == "i":
        return a.view(np.dtype(f"u{a.dtype.itemsize}"))
    return a


@dataclass
class ClassCounter:
    """Counts fine cells per model cell and bin, chunk by chunk (one counter per thread).

    ``lut`` maps raw codes (as unsigned) to bins; ``ky`` x ``kx`` fine cells make a model cell.
    """

    lut: NDArray
    nbins: int
    ky: int
    kx: int
    _base: dict = field(default_factory=dict)

    def base(self, h: int, w: int) -> NDArray:
        """Return the first bin index of each fine cell's model cell in an (h*ky, w*kx) chunk (cached)."""
        key = (h, w)
        b = self._base.get(key)
        if b is None:
            rows = (np.arange(h * self.ky) // self.ky) * w
            cols = np.arange(w * self.kx) // self.kx
            b = ((rows[:, None] + cols[None, :]) * self.nbins).astype(np.intp)
            if len(self._base) > 4:
                self._base.clear()
            self._base[key] = b
        return b

    def count(self, s: NDArray, h: int, w: int) -> NDArray:
        """Return the (h, w, nbins) counts of an (h*ky, w*kx) chunk of raw (unsigned) codes."""
        ky, kx, nb = self.ky, self.kx, self.nbins
        k2 = ky * kx
        out = np.zeros((h * w, nb), np.int64)
        lo, hi = s.min(), s.max()
        if lo == hi:
            out[:, self.lut[lo]] = k2
            return out.reshape(h, w, nb)
        s3 = s.reshape(h, ky, w * kx)
        mn = np.minimum.reduce(s3, axis=1).reshape(h * w, kx).min(axis=1)
        mx = np.maximum.reduce(s3, axis=1).reshape(h * w, kx).max(axis=1)
        mixed = mn != mx
        nmixed = int(mixed.sum())
        if nmixed > MIXED_SHARE_FULL * h * w:
            idx = self.base(h, w) + self.lut[s]
            return np.bincount(idx.ravel(), minlength=h * w * nb).reshape(h, w, nb)
        hom = np.flatnonzero(~mixed)
        out[hom, self.lut[mn[hom]]] = k2
        if nmixed:
            cells = np.flatnonzero(mixed)
            r, c = np.divmod(cells, w)
            blocks = s.reshape(h, ky, w, kx)[r, :, c, :]  # (m, ky, kx)
            idx = np.arange(nmixed)[:, None, None] * nb + self.lut[blocks]
            out[cells] = np.bincount(idx.ravel(), minlength=nmixed * nb).reshape(nmixed, nb)
        return out.reshape(h, w, nb)


def count_classes(codes: NDArray, ky: int, kx: int, class_map: ClassMap, nodata: float | None = None) -> NDArray:
    """Return the (n+2, rows, cols) counts of a whole fine array of codes, cut to a multiple of (ky, kx).

    One band per class of ``class_map``, then nodata, then codes the table lacks.
    """
    h, w = codes.shape[0] // ky, codes.shape[1] // kx
    s = as_unsigned(np.ascontiguousarray(codes[: h * ky, : w * kx]))
    counter = ClassCounter(class_map.lut(codes.dtype, nodata), class_map.n + 2, ky, kx)
    return np.moveaxis(counter.count(s, h, w), -1, 0)
