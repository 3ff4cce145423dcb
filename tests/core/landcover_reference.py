"""Reference for the land-cover fraction tests: the study's six classes, WorldCover's codes, a direct count."""

from __future__ import annotations

import numpy as np

SIX = ("forest", "cropland", "grassland", "water", "built-up", "bare")
WORLDCOVER = {
    10: "forest",
    20: "forest",
    95: "forest",
    40: "cropland",
    30: "grassland",
    100: "grassland",
    80: "water",
    90: "water",
    70: "water",
    50: "built-up",
    60: "bare",
}


def direct_fractions(codes: np.ndarray, k: int, mapping: dict[int, str], classes=SIX, nodata=(0,)):
    """Reference: pad to whole cells, count each class per k x k block with plain numpy."""
    h, w = -(-codes.shape[0] // k), -(-codes.shape[1] // k)
    pad = np.full((h * k, w * k), nodata[0], codes.dtype)
    pad[: codes.shape[0], : codes.shape[1]] = codes
    counts = np.zeros((len(classes), h, w))
    for i, c in enumerate(classes):
        mask = np.isin(pad, [code for code, cl in mapping.items() if cl == c])
        counts[i] = mask.reshape(h, k, w, k).sum(axis=(1, 3))
    total = counts.sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(total > 0, counts / np.maximum(total, 1), np.nan), counts
