"""The provider's settings (Processing > Options > Providers > CASA NEP) for the block engine.

Worker threads, output compression and Cloud-Optimized GeoTIFF output.  They are
read into :data:`core.engine.SETTINGS` before every algorithm runs; the
environment variables ``CASANEP_THREADS``, ``CASANEP_COMPRESS`` and
``CASANEP_COG`` override them (for ``qgis_process`` and scripts).
"""

from __future__ import annotations

from qgis.PyQt.QtCore import QCoreApplication

from .core import choices

THREADS = "CASANEP_THREADS"
COMPRESSION = "CASANEP_COMPRESSION"
COG = "CASANEP_COG"
COMPRESSIONS = list(choices.COMPRESSIONS)


def _tr(text: str) -> str:
    return QCoreApplication.translate("casanep", text)


def _config():
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:  # Processing's Python plugin is not loaded (a bare QgsApplication)
        return None, None
    return ProcessingConfig, Setting


def register(group: str, icon=None) -> None:
    """Add the settings to Processing's options under ``group`` (the provider's name)."""
    config, setting = _config()
    if config is None:
        return
    if icon is not None:
        config.settingIcons[group] = icon
    config.addSetting(
        setting(group, THREADS, _tr("Worker threads of the block engine (0 = all cores)"), 0, valuetype=setting.INT)
    )
    config.addSetting(
        setting(
            group,
            COMPRESSION,
            _tr("Output GeoTIFF compression"),
            "zstd",
            valuetype=setting.SELECTION,
            options=COMPRESSIONS,
        )
    )
    config.addSetting(setting(group, COG, _tr("Write Cloud-Optimized GeoTIFF outputs"), False))
    config.readSettings()


def unregister() -> None:
    """Remove the settings (when the provider unloads)."""
    config, _ = _config()
    if config is None:
        return
    for name in (THREADS, COMPRESSION, COG):
        if name in config.settings:
            config.removeSetting(name)


def apply() -> None:
    """Copy the settings into the engine (before an algorithm runs)."""
    from .core import engine

    config, _ = _config()
    if config is None or THREADS not in config.settings:
        return
    try:
        engine.SETTINGS.threads = max(0, int(config.getSetting(THREADS) or 0))
    except (TypeError, ValueError):
        engine.SETTINGS.threads = 0
    value = config.getSetting(COMPRESSION, readable=True)
    engine.SETTINGS.compress = value if value in COMPRESSIONS else "zstd"
    engine.SETTINGS.cog = bool(config.getSetting(COG))
