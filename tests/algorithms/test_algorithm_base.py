"""The algorithm base and the shared declarations: one declaration per input, read one way."""

from __future__ import annotations

import pytest
from qgis.core import QgsProcessingContext

from casa_nep_plugin.algorithms.compat import FLAG_OPTIONAL

#: casanep:npp's inputs that casanep:workflow also takes
SHARED_WITH_WORKFLOW = (
    "NDVI",
    "LANDCOVER",
    "LANDCOVER_PRODUCT",
    "CLASS_TABLE",
    "SOLAR_RADIATION",
    "TEMPERATURE",
    "PRECIPITATION",
    "EVAPOTRANSPIRATION",
    "POTENTIAL_ET",
    "OPTIMAL_TEMPERATURE",
    "NDVI_SCALE",
    "MAX_GAP",
)


def _declaration(param):
    return (param.type(), param.description(), bool(param.flags() & FLAG_OPTIONAL), param.defaultValue())


def test_workflow_takes_npps_inputs_under_the_same_names_labels_and_defaults(casanep_provider):
    npp, workflow = casanep_provider.algorithm("npp"), casanep_provider.algorithm("workflow")
    for name in SHARED_WITH_WORKFLOW:
        assert _declaration(workflow.parameterDefinition(name)) == _declaration(npp.parameterDefinition(name)), name
    # the one deliberate difference: the workflow fills NDVI gaps by default
    assert npp.parameterDefinition("GAP_FILL").defaultValue() == "none"
    assert workflow.parameterDefinition("GAP_FILL").defaultValue() == "linear"
    assert workflow.parameterDefinition("GAP_FILL").description() == npp.parameterDefinition("GAP_FILL").description()


def test_shared_declarations_are_identical_where_algorithms_share_an_input(casanep_provider):
    alg = casanep_provider.algorithm
    pairs = [
        ("rh", "npp", "TEMPERATURE"),
        ("rh", "npp", "PRECIPITATION"),
        ("annual", "workflow", "THRESHOLD"),
        ("zonalstatistics", "workflow", "WEIGHTING"),
        ("zonalstatistics", "landcoverbudget", "WEIGHTING"),
        ("ndvicomposite", "npp", "MAX_GAP"),
        ("landcoverclasses", "npp", "VEGETATION_TABLE"),
    ]
    pairs += [
        ("validate", "calibrate", name)
        for name in (
            "NPP",
            "REFERENCE",
            "YEAR",
            "NPP_SCALE",
            "REFERENCE_SCALE",
            "REFERENCE_FILL_MIN",
            "REFERENCE_FILL_MAX",
        )
    ]
    for a, b, name in pairs:
        assert _declaration(alg(a).parameterDefinition(name)) == _declaration(alg(b).parameterDefinition(name)), (
            a,
            b,
            name,
        )


@pytest.mark.parametrize(
    ("alg_id", "name"),
    [
        ("npp", "GAP_FILL"),
        ("npp", "NDVI_BOUNDS"),
        ("npp", "LANDCOVER_PRODUCT"),
        ("workflow", "WEIGHTING"),
        ("zonalstatistics", "WEIGHTING"),
        ("landcoverfractions", "CLASS_TABLE"),
        ("landcoverclasses", "PRODUCT"),
        ("era5land", "AGGREGATION"),
        ("ndvicomposite", "RESAMPLING"),
    ],
)
def test_enums_take_their_option_strings_as_values(casanep_provider, alg_id, name):
    alg = casanep_provider.algorithm(alg_id)
    param = alg.parameterDefinition(name)
    assert param.usesStaticStrings(), (alg_id, name)
    context = QgsProcessingContext()
    options = param.options()
    assert alg.enum_string({}, name, context) == param.defaultValue()
    assert len(options) >= 2
    for option in options:
        assert alg.enum_string({name: option}, name, context) == option


def test_optional_number_not_given_takes_the_default_and_given_empty_is_none(casanep_provider):
    context = QgsProcessingContext()
    validate = casanep_provider.algorithm("validate")
    assert validate.optional_number({}, "REFERENCE_FILL_MIN", context) == 32761.0  # MOD17's fill codes
    assert validate.optional_number({"REFERENCE_FILL_MIN": None}, "REFERENCE_FILL_MIN", context) is None
    assert validate.optional_number({"REFERENCE_FILL_MIN": ""}, "REFERENCE_FILL_MIN", context) is None
    assert validate.optional_number({"REFERENCE_FILL_MIN": "-1.5"}, "REFERENCE_FILL_MIN", context) == -1.5
    npp = casanep_provider.algorithm("npp")  # no default: not given is None, not 0
    assert npp.optional_number({}, "EPSILON_MAX", context) is None
    assert npp.optional_number({"EPSILON_MAX": 0.389}, "EPSILON_MAX", context) == 0.389
    ndvi = casanep_provider.algorithm("ndvicomposite")
    assert ndvi.optional_number({}, "FILL", context) == -3000.0
    assert ndvi.optional_number({"FILL": None}, "FILL", context) is None


@pytest.mark.parametrize(
    ("alg_id", "outputs"),
    [
        (
            "npp",
            {
                "OUTPUT": "npp_monthly",
                "FPAR_OUTPUT": "fpar",
                "LUE_OUTPUT": "lue",
                "RH_OUTPUT": "rh_monthly",
                "NEP_OUTPUT": "nep_monthly",
            },
        ),
        ("rh", {"OUTPUT": "rh_monthly"}),
        ("nep", {"OUTPUT": "nep_monthly", "RATIO_OUTPUT": "ratio"}),
        (
            "annual",
            {
                "NPP_OUTPUT": "npp_annual",
                "RH_OUTPUT": "rh_annual",
                "NEP_OUTPUT": "nep_annual",
                "RATIO_OUTPUT": "ratio",
                "CLASS_OUTPUT": "sink_source",
            },
        ),
    ],
)
def test_raster_outputs_are_declared_and_styled_from_one_table(casanep_provider, alg_id, outputs):
    import os

    from casa_nep_plugin.algorithms.styles import style_path

    alg = casanep_provider.algorithm(alg_id)
    declared = {p.name() for p in alg.destinationParameterDefinitions()}
    assert declared == set(outputs)
    assert {name: out.style for name, out in alg.OUTPUTS.items()} == outputs
    for style in outputs.values():
        assert os.path.isfile(style_path(style)), style
    written = {out.key: f"/data/{out.key}.tif" for out in alg.OUTPUTS.values()}
    assert alg.publish(written, QgsProcessingContext()) == {
        name: f"/data/{out.key}.tif" for name, out in alg.OUTPUTS.items()
    }


def test_optional_outputs_stay_optional_and_unrequested_by_default(casanep_provider):
    npp = casanep_provider.algorithm("npp")
    assert not npp.parameterDefinition("OUTPUT").flags() & FLAG_OPTIONAL
    for name in ("FPAR_OUTPUT", "LUE_OUTPUT", "RH_OUTPUT", "NEP_OUTPUT"):
        param = npp.parameterDefinition(name)
        assert param.flags() & FLAG_OPTIONAL and not param.createByDefault(), name
    era5 = casanep_provider.algorithm("era5land")
    assert [era5.parameterDefinition(f"OUTPUT_{k}").createByDefault() for k in ("SOL", "T", "P", "E", "PET")] == [
        True,
        True,
        True,
        True,
        False,
    ]
