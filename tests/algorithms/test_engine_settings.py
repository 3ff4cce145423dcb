"""The provider's engine settings (Processing > Options > CASA NEP) reach the engine."""

from __future__ import annotations

import rasterio

from casa_nep_plugin import settings
from casa_nep_plugin.core import engine


def test_settings_are_registered_and_applied(casanep_provider, sample_dir, tmp_path, monkeypatch):
    import processing
    from processing.core.ProcessingConfig import ProcessingConfig

    for name in (settings.THREADS, settings.COMPRESSION, settings.COG):
        assert name in ProcessingConfig.settings
    monkeypatch.delenv("CASANEP_COMPRESS", raising=False)
    monkeypatch.delenv("CASANEP_THREADS", raising=False)
    old = (ProcessingConfig.getSetting(settings.THREADS), ProcessingConfig.getSetting(settings.COMPRESSION))
    try:
        ProcessingConfig.setSettingValue(settings.THREADS, 1)
        ProcessingConfig.setSettingValue(settings.COMPRESSION, settings.COMPRESSIONS.index("none"))
        out = tmp_path / "rh.tif"
        processing.run(
            "casanep:rh",
            {
                "TEMPERATURE": str(sample_dir / "temperature_2021_2022.tif"),
                "PRECIPITATION": str(sample_dir / "precipitation_2021_2022.tif"),
                "OUTPUT": str(out),
            },
        )
        assert engine.SETTINGS.threads == 1 and engine.default_threads() == 1
        with rasterio.open(out) as ds:
            assert ds.compression is None
    finally:
        ProcessingConfig.setSettingValue(settings.THREADS, old[0] or 0)
        ProcessingConfig.setSettingValue(settings.COMPRESSION, old[1] or 0)
        settings.apply()
    assert engine.SETTINGS.compress == "zstd"
