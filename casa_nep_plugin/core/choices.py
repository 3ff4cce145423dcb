"""Option values the Processing algorithms and the core share.

Standard library only, so that the plugin's algorithms and settings load (and say
what to install) even where numpy or rasterio are missing.
"""

from __future__ import annotations

#: How a cell counts toward a zone: its centre in the zone, or the exact share of its area.
WEIGHTINGS = ("centre", "exact")

#: Output compressions offered (Processing setting, ``COMPRESSION`` parameters, ``CASANEP_COMPRESS``).
COMPRESSIONS = ("zstd", "deflate", "none")
