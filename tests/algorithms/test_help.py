"""Help that reads well: one-line paragraphs, references where they apply, tooltips, tags,
shipped HTML pages made from the algorithms themselves, the provider's version."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

import pytest

from casa_nep_plugin.algorithms import ALGORITHMS

IDS = [cls.ALG_ID for cls in ALGORITHMS]


@pytest.fixture(scope="module")
def algs(casanep_provider):
    return {i: casanep_provider.algorithm(i) for i in IDS}


@pytest.mark.parametrize("alg_id", IDS)
def test_help_has_no_line_breaks_and_has_tooltip_and_tags(algs, alg_id):
    alg = algs[alg_id]
    text = alg.shortHelpString()
    assert text and "\n" not in text  # QGIS makes every line break a paragraph
    assert alg.shortDescription() and "\n" not in alg.shortDescription()
    assert len(alg.tags()) >= 3


def test_references_only_where_they_apply(algs):
    assert "Potter" in algs["npp"].shortHelpString() and "Pei" not in algs["npp"].shortHelpString()
    assert "Pei" in algs["rh"].shortHelpString()
    for alg_id in ("zonalstatistics", "landcoverfractions", "landcoverbudget", "era5land", "ndvicomposite"):
        assert "References" not in algs[alg_id].shortHelpString(), alg_id


@pytest.mark.parametrize("alg_id", IDS)
def test_help_url_opens_the_shipped_page_which_is_up_to_date(algs, alg_id):
    from casa_nep_plugin.algorithms.helppages import page_html

    alg = algs[alg_id]
    url = urlparse(alg.helpUrl())
    assert url.scheme == "file"
    path = unquote(url.path)
    assert os.path.isfile(path), f"{path} missing: run make help"
    with open(path, encoding="utf-8") as f:
        shipped = f.read()
    assert shipped == page_html(alg), f"{path} is out of date: run make help"
    assert alg.shortDescription() in shipped or "&" in alg.shortDescription()


def test_provider_reports_its_version(casanep_provider):
    from casa_nep_plugin import __version__

    assert casanep_provider.versionInfo() == __version__
    assert __version__ in casanep_provider.longName()
