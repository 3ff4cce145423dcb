"""The small base class every casa-nep algorithm stands on.

It bridges Processing feedback to the core's callbacks (progress, cancel,
messages), turns the core's input errors into ``QgsProcessingException`` with
the parameter name, and tells the user what to install when numpy or rasterio
are missing.  No science lives here.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsProcessingParameterRasterDestination,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .. import deps
from .styles import style_on_load

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON = os.path.join(PLUGIN_DIR, "resources", "icon.svg")

#: Works cited by the help texts; an algorithm lists the keys that apply to it (REFS).
REFERENCES = {
    "potter1993": "Potter C.S. et al. (1993) Global Biogeochem. Cycles 7, 811-841.",
    "zhu2007": "Zhu W., Pan Y., Zhang J. (2007) J. Plant Ecol. 31, 413-424.",
    "zhu2006": "Zhu W. et al. (2006) Chinese Sci. Bull. 51, 457-463.",
    "pei2010": "Pei Z. et al. (2010) soil respiration model, Acta Ecol. Sin.",
    "wang2025": "Wang & Liu (2025) Carbon Footprints 4:28.",
}


def one_line_paragraphs(html: str) -> str:
    """HTML with every run of white space that holds a line break made one space.

    QGIS shows each line break of a help string as a new paragraph; hard-wrapped
    source text would read as broken lines.
    """
    return re.sub(r"[ \t]*\n\s*", " ", html).strip()


def references_html(keys) -> str:
    """Return the references paragraph for the given REFERENCES keys ('' for none)."""
    if not keys:
        return ""
    return "<p><b>References</b><br>" + "<br>".join(REFERENCES[k] for k in keys) + "</p>"


def static_enum(
    name: str,
    description: str,
    options: list[str],
    default: str,
    optional: bool = False,
) -> QgsProcessingParameterEnum:
    """Return an enum whose values are its option strings (stable in models and on the command line)."""
    param = QgsProcessingParameterEnum(name, description, options=options, defaultValue=default, optional=optional)
    param.setUsesStaticStrings(True)
    return param


class RasterOutput(NamedTuple):
    """A raster output of an algorithm: the core's key for it, its label and layer style."""

    key: str  #: key of the path in the dict the core's run function returns
    label: str  #: dialog label (translated)
    style: str | None = None  #: QML in resources/styles applied when the layer loads
    optional: bool = True
    by_default: bool = True  #: created unless the user skips it


class CasaAlgorithm(QgsProcessingAlgorithm):
    """Base: ids, groups, help, dependency check, error and feedback bridging."""

    ALG_ID = ""
    DISPLAY = ""
    GROUP = "Carbon model"
    GROUP_ID = "model"
    HELP = ""
    SHORT = ""  # one sentence: the toolbox tooltip and the dialog's first line
    TAGS: tuple[str, ...] = ()  # toolbox search words
    REFS: tuple[str, ...] = ()  # keys of REFERENCES that apply
    OUTPUTS: dict[str, RasterOutput] = {}  # raster destinations: parameter name -> output

    def tr(self, text: str) -> str:
        """Translate user-facing text."""
        return QCoreApplication.translate("casanep", text)

    def name(self) -> str:
        """Return the algorithm id (without the provider prefix)."""
        return self.ALG_ID

    def displayName(self) -> str:
        """Return the translated name shown in the toolbox."""
        return self.tr(self.DISPLAY)

    def group(self) -> str:
        """Return the translated toolbox group."""
        return self.tr(self.GROUP)

    def groupId(self) -> str:
        """Return the toolbox group id."""
        return self.GROUP_ID

    def shortHelpString(self) -> str:
        """Return the translated help shown beside the dialog, with its references."""
        return one_line_paragraphs(self.tr(self.HELP)) + references_html(self.REFS)

    def shortDescription(self) -> str:
        """Return the translated one-line description."""
        return self.tr(self.SHORT)

    def tags(self) -> list[str]:
        """Return the translated toolbox search words."""
        return [self.tr(t) for t in self.TAGS]

    def helpUrl(self) -> str:
        """Return the algorithm's page shipped in the plugin (help/<id>.html), opened offline by the Help button."""
        from qgis.PyQt.QtCore import QUrl

        path = os.path.join(PLUGIN_DIR, "help", f"{self.ALG_ID}.html")
        return QUrl.fromLocalFile(path).toString() if os.path.exists(path) else ""

    def icon(self) -> QIcon:
        """Return the plugin icon."""
        return QIcon(ICON)

    def createInstance(self) -> CasaAlgorithm:
        """Return a new instance of this algorithm."""
        return type(self)()

    def canExecute(self) -> tuple[bool, str]:
        """Return (False, one line on what to install) when numpy/rasterio are missing, else (True, '')."""
        missing = deps.missing()
        if missing:
            return False, self.tr(deps.install_hint(missing))
        return True, ""

    # -- running -----------------------------------------------------------
    def processAlgorithm(self, parameters, context: QgsProcessingContext, feedback: QgsProcessingFeedback):
        """Check dependencies, run :meth:`execute`, translate core errors."""
        ok, why = self.canExecute()
        if not ok:
            raise QgsProcessingException(why)
        from .. import settings
        from ..core.errors import CasaCancelled, CasaInputError
        from ..core.safety import signal_cleanup

        settings.apply()
        try:
            self.check_paths(parameters, context)
            with signal_cleanup():
                return self.execute(parameters, context, feedback)
        except QgsProcessingException:
            raise
        except CasaInputError as exc:
            raise QgsProcessingException(self.tr(str(exc))) from None
        except CasaCancelled as exc:
            raise QgsProcessingException(self.tr(str(exc))) from None
        except KeyboardInterrupt:
            raise QgsProcessingException(self.tr("Interrupted; no output was written.")) from None
        except Exception as exc:  # noqa: BLE001 - no raw traceback reaches the user
            raise QgsProcessingException(self.tr(self.explain(exc, parameters, context))) from None

    def paths(self, parameters, context) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """Return (inputs, outputs): parameter name -> file path as given, for the safety checks and messages."""
        inputs: dict[str, str | None] = {}
        outputs: dict[str, str | None] = {}
        for d in self.parameterDefinitions():
            name = d.name()
            if parameters.get(name) in (None, ""):
                continue
            try:
                if d.isDestination():
                    if d.type() in ("folderDestination", "fileDestination"):
                        outputs[name] = self.parameterAsString(parameters, name, context) or None
                    else:
                        outputs[name] = self.parameterAsOutputLayer(parameters, name, context) or None
                elif d.type() == "raster":
                    inputs[name] = self.raster_path(parameters, name, context)
                elif d.type() in ("source", "vector"):
                    layer = self.parameterAsVectorLayer(parameters, name, context)
                    inputs[name] = (
                        layer.source() if layer is not None else self.parameterAsString(parameters, name, context)
                    )
                elif d.type() in ("file", "multilayer"):
                    inputs[name] = self.parameterAsString(parameters, name, context) or None
            except Exception:  # noqa: BLE001 - best effort: a parameter we cannot read is skipped
                continue
        return inputs, outputs

    def check_paths(self, parameters, context) -> None:
        """Check the output paths before any work.

        No output on an input or on another output, nothing but regular files replaced,
        raster outputs named .tif/.tiff, output folders that are folders.
        """
        from ..core.safety import GEOTIFF_EXTENSIONS, check_output_folder, check_output_paths

        inputs, outputs = self.paths(parameters, context)
        kinds = {d.name(): d.type() for d in self.destinationParameterDefinitions()}
        files = {
            k: v
            for k, v in outputs.items()
            if v
            and kinds.get(k) != "folderDestination"
            and not str(v).startswith(("memory:", "ogr:", "postgres:", "postgis:"))
        }
        for name, folder in outputs.items():
            if folder and kinds.get(name) == "folderDestination":
                check_output_folder(folder, name)
        rasters = {k: v for k, v in files.items() if kinds.get(k) == "rasterDestination"}
        check_output_paths(rasters, {}, GEOTIFF_EXTENSIONS)
        check_output_paths(files, inputs, extensions=None)

    def explain(self, exc: Exception, parameters, context) -> str:
        """One sentence for an unexpected error (GDAL, the OS); the traceback goes to the message log."""
        import traceback

        from qgis.core import QgsMessageLog

        from ..core.explain import explain_exception
        from .compat import MESSAGE_INFO

        inputs, outputs = self.paths(parameters, context)
        QgsMessageLog.logMessage("".join(traceback.format_exception(exc)), "casa-nep", MESSAGE_INFO)
        known = explain_exception(exc, inputs, outputs)
        if known is not None:
            return str(known)
        return (
            f"unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "nothing was written. Please report it with the QGIS log (casa-nep tab)."
        )

    def execute(self, parameters, context, feedback) -> dict:
        """Run the algorithm's body: parameters to a core call, result to outputs."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------
    @staticmethod
    def callbacks(feedback: QgsProcessingFeedback | None):
        """Core callbacks bound to a Processing feedback."""
        from ..core.engine import Callbacks

        if feedback is None:
            return Callbacks()
        return Callbacks(
            progress=feedback.setProgress,
            is_cancelled=feedback.isCanceled,
            info=feedback.pushInfo,
            warning=getattr(feedback, "pushWarning", feedback.pushInfo),
        )

    def raster_path(self, parameters, name: str, context) -> str | None:
        """Source path of a raster-layer parameter, or None when not given.

        A plain file path is used as it is: loading it as a QGIS layer would have
        QGIS compute statistics for a default style and GDAL store them in a
        ``.aux.xml`` file beside the user's input.
        """
        value = parameters.get(name)
        if isinstance(value, str) and value and os.path.isfile(value):
            return value
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            if parameters.get(name):
                raise QgsProcessingException(
                    self.tr("{name}: cannot load '{value}' as a raster.").format(name=name, value=parameters.get(name))
                )
            return None
        return layer.source()

    def file_path(self, parameters, name: str, context) -> str | None:
        """Return a file parameter's path, or None."""
        value = self.parameterAsFile(parameters, name, context)
        return value or None

    def output_path(self, parameters, name: str, context) -> str | None:
        """Return a raster destination's path, or None when the optional output is skipped."""
        value = self.parameterAsOutputLayer(parameters, name, context)
        return value or None

    def optional_number(self, parameters, name: str, context) -> float | None:
        """Return a number parameter's value, or None when it is left empty.

        A parameter missing from ``parameters`` takes its declared default (None when it
        has none); one given empty is None (e.g. no fill value at all).
        """
        if name not in parameters:
            default = self.parameterDefinition(name).defaultValue()
            return None if default in (None, "") else float(default)
        if parameters[name] in (None, ""):
            return None
        return self.parameterAsDouble(parameters, name, context)

    def enum_string(self, parameters, name: str, context) -> str:
        """Return the chosen option of an enum declared with :func:`static_enum`."""
        value = self.parameterAsEnumString(parameters, name, context)
        if value:
            return value
        return self.parameterDefinition(name).options()[self.parameterAsEnum(parameters, name, context)]

    # -- raster outputs from the OUTPUTS table -----------------------------
    def add_raster_outputs(self) -> None:
        """Declare the raster destinations of :attr:`OUTPUTS`."""
        for name, out in self.OUTPUTS.items():
            self.addParameter(
                QgsProcessingParameterRasterDestination(
                    name, self.tr(out.label), optional=out.optional, createByDefault=out.by_default
                )
            )

    def raster_outputs(self, parameters, context) -> dict[str, str | None]:
        """Return the destination path of each output of :attr:`OUTPUTS` by its core key (None: skipped)."""
        return {out.key: self.output_path(parameters, name, context) for name, out in self.OUTPUTS.items()}

    def publish(self, written: dict, context) -> dict[str, str | None]:
        """Return the algorithm's results from the core's written paths; style the outputs that load."""
        result = {}
        for name, out in self.OUTPUTS.items():
            result[name] = written.get(out.key)
            if out.style:
                style_on_load(context, written.get(out.key), out.style)
        return result
