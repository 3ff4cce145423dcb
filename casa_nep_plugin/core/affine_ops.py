"""Affine products that read the same on affine 2.x and 3.x.

affine 3 deprecates ``*`` for matrix products (PendingDeprecationWarning) in
favour of ``@``; affine 2.4 (Debian 12) has no ``@``.  ``matmul`` picks the
operator the installed version supports.  Units are those of the transforms
(map units per cell for a raster's transform).
"""

from __future__ import annotations

from typing import Any


def matmul(transform: Any, other: Any) -> Any:
    """``transform @ other`` (another Affine, or an ``(x, y)`` point -> ``(x', y')``)."""
    if hasattr(type(transform), "__matmul__"):
        return transform @ other
    return transform * other
