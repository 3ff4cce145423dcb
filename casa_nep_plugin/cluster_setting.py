"""The provider setting "Dask scheduler address" (Processing > Options > Providers > CASA NEP).

Empty: the block engine runs on this machine's cores.  An address such as
``tcp://10.0.0.5:8786``: the long algorithms send their window tasks to that
Dask scheduler (core/cluster.py).  ``CASANEP_DASK_SCHEDULER`` in the
environment overrides it (for ``qgis_process`` and scripts).  The setting is
read when a run starts, so a change applies to the next run.
"""

from __future__ import annotations

import logging

from qgis.PyQt.QtCore import QCoreApplication

#: The setting's key (QSettings ``Processing/Configuration/CASANEP_DASK_SCHEDULER``).
NAME = "CASANEP_DASK_SCHEDULER"
#: Its description in Processing's options (errors name it): core.cluster.SETTING.
LABEL = "Dask scheduler address"


def _core():
    """Return (engine, cluster), or (None, None) where the core cannot be imported.

    Without rasterio the core cannot be imported; the algorithms then say what to install.
    """
    try:
        from .core import cluster, engine
    except ImportError:
        return None, None
    return engine, cluster


def _config():
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:  # Processing's Python plugin is not loaded (a bare QgsApplication)
        return None, None
    return ProcessingConfig, Setting


class MessageLogHandler(logging.Handler):
    """core.cluster's messages (how results come back: staging folder or transfer) in QGIS's message log."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` to the "casa-nep" tab of the message log."""
        try:
            from qgis.core import QgsMessageLog

            from .algorithms.compat import MESSAGE_INFO

            QgsMessageLog.logMessage(self.format(record), "casa-nep", MESSAGE_INFO)
        except Exception:  # noqa: BLE001 - logging must never break a run
            self.handleError(record)


_handler = MessageLogHandler()


def register(group: str) -> None:
    """Add the setting under ``group`` (the provider's name) and send runs to the cluster it names."""
    config, setting = _config()
    if config is not None:
        text = QCoreApplication.translate(
            "casanep", f"{LABEL} (e.g. tcp://10.0.0.5:8786; empty = this machine's cores)"
        )
        config.addSetting(setting(group, NAME, text, "", valuetype=setting.STRING))
        config.readSettings()
    engine, cluster = _core()
    if engine is not None:
        engine.EXECUTOR_FACTORY = executor
        logger = logging.getLogger(cluster.__name__)
        if _handler not in logger.handlers:
            logger.addHandler(_handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def unregister() -> None:
    """Remove the setting (when the provider unloads); runs stay local unless the environment says otherwise."""
    config, _ = _config()
    if config is not None and NAME in config.settings:
        config.removeSetting(NAME)
    engine, cluster = _core()
    if engine is None:
        return
    if engine.EXECUTOR_FACTORY is executor:
        engine.EXECUTOR_FACTORY = None
    logging.getLogger(cluster.__name__).removeHandler(_handler)
    cluster.set_scheduler("")
    cluster.close_clients()


def address() -> str:
    """Return the setting's value ("" when unset)."""
    config, _ = _config()
    if config is None:
        return ""
    return str(config.getSetting(NAME) or "").strip()


def executor(folder: str | None = None):
    """Return the engine's executor: Dask where the setting (or the environment) names a scheduler, else None.

    ``folder``: where the run's outputs go (for the shared staging folder; default: found by core.cluster).
    """
    from .core import cluster

    cluster.set_scheduler(address())
    return cluster.executor_from_settings(folder)
