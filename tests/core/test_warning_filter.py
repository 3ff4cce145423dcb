"""The pytest configuration turns deprecations raised from the plugin's own code into errors."""

from __future__ import annotations

import warnings

import pytest


def test_a_deprecation_from_plugin_code_is_an_error():
    # warn_explicit with module=... attributes the warning as if raised in that module
    for category in (DeprecationWarning, PendingDeprecationWarning):
        with pytest.raises(category):
            warnings.warn_explicit("old API", category, "zonal.py", 1, module="casa_nep_plugin.core.zonal")


def test_a_deprecation_from_elsewhere_is_ignored():
    warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module="somepackage.sub")
