"""casa-nep: a QGIS Processing plugin for monthly CASA NPP, soil RH and NEP."""

__version__ = "0.1.0"


def classFactory(iface):
    """QGIS entry point: the plugin object (registers the Processing provider)."""
    from .plugin import CasaNepPlugin

    return CasaNepPlugin(iface)
