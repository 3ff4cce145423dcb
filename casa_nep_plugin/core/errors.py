"""Errors the core raises.

The core never prints and never knows about QGIS.  A problem with what the user
gave is a :class:`CasaInputError` that names the parameter and says, in one
sentence, what was wrong and what to do; the algorithm layer turns it into a
``QgsProcessingException`` unchanged.
"""

from __future__ import annotations


class CasaInputError(ValueError):
    """Bad input: carries the parameter name and an actionable message."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")

    def __reduce__(self) -> tuple[type[CasaInputError], tuple[str, str]]:
        """Pickle by (parameter, message): a window task's error travels back from a Dask worker unchanged."""
        return (self.__class__, (self.parameter, self.message))


class CasaCancelled(RuntimeError):
    """The user cancelled; no output was written."""

    def __init__(self) -> None:
        super().__init__("Cancelled by the user; no output was written.")

    def __reduce__(self) -> tuple[type[CasaCancelled], tuple[()]]:
        """Pickle without arguments (the message is fixed)."""
        return (self.__class__, ())
