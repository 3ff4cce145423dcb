"""casanep:uncertainty through processing.run, against the core with the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from casa_nep_plugin.core.uncertainty import run_uncertainty
from tests.rasters import read

S = {
    "ndvi": "ndvi_2021_2022.tif",
    "lc": "landcover_glcfcs30.tif",
    "sol": "solar_radiation_2021_2022.tif",
    "t": "temperature_2021_2022.tif",
    "p": "precipitation_2021_2022.tif",
    "e": "evapotranspiration_2021_2022.tif",
    "zones": "zones.geojson",
}


def test_uncertainty_through_processing_equals_core(casanep_provider, sample_dir, tmp_path):
    import processing

    s = {k: str(sample_dir / v) for k, v in S.items()}
    res = processing.run(
        "casanep:uncertainty",
        {
            "NDVI": s["ndvi"],
            "LANDCOVER": s["lc"],
            "SOLAR_RADIATION": s["sol"],
            "TEMPERATURE": s["t"],
            "PRECIPITATION": s["p"],
            "EVAPOTRANSPIRATION": s["e"],
            "NDVI_SCALE": 0.0001,
            "ZONES": s["zones"],
            "MEMBERS": 8,
            "SEED": 5,
            "TABLE": str(tmp_path / "u.csv"),
            "SD_OUTPUT": str(tmp_path / "sd.tif"),
            "PROBABILITY_OUTPUT": str(tmp_path / "p.tif"),
            "CHART": str(tmp_path / "chart.png"),
            "REPORT": str(tmp_path / "report.html"),
        },
    )
    core = run_uncertainty(
        s["ndvi"],
        s["lc"],
        s["sol"],
        s["t"],
        s["p"],
        evapotranspiration=s["e"],
        ndvi_scale=0.0001,
        zones=s["zones"],
        members=8,
        seed=5,
        sd_output=str(tmp_path / "core_sd.tif"),
    )
    table = pd.read_csv(res["TABLE"])
    np.testing.assert_allclose(table["nep_2021_total_ktC_mean"], core.table["nep_2021_total_ktC_mean"], rtol=1e-9)
    assert list(table["zone"]) == list(core.table["zone"]) and len(table) == 3
    np.testing.assert_array_equal(read(res["SD_OUTPUT"]), read(tmp_path / "core_sd.tif"))
    p = read(res["PROBABILITY_OUTPUT"])
    assert np.nanmin(p) >= 0 and np.nanmax(p) <= 1
    assert (tmp_path / "chart.png").stat().st_size > 1000
    assert "chart.png" in (tmp_path / "report.html").read_text()
