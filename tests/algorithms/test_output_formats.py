"""Outputs offer only the formats the algorithms write (.tif rasters, .gpkg/.csv tables)."""

from __future__ import annotations

import re

import pytest

from casa_nep_plugin.algorithms import ALGORITHMS

WRITES = {
    "rasterDestination": {"tif"},
    "vectorDestination": {"gpkg", "csv"},
    "sink": {"gpkg", "csv"},
    "fileDestination": {"png", "csv", "html", "json"},
    "folderDestination": set(),
}


def _extensions(file_filter: str) -> set[str]:
    return {e.lower() for e in re.findall(r"\*\.(\w+)", file_filter)}


@pytest.mark.parametrize("alg_id", [cls.ALG_ID for cls in ALGORITHMS])
def test_destinations_offer_only_what_is_written(casanep_provider, alg_id):
    alg = casanep_provider.algorithm(alg_id)
    for param in alg.destinationParameterDefinitions():
        kind = param.type()
        assert kind in WRITES, (alg_id, param.name(), kind)
        offered = _extensions(param.createFileFilter()) if kind != "folderDestination" else set()
        assert offered <= WRITES[kind], (alg_id, param.name(), offered)
        assert not param.supportsNonFileBasedOutput(), (alg_id, param.name())
        if kind in ("vectorDestination", "rasterDestination"):
            assert param.defaultFileExtension() in WRITES[kind]
