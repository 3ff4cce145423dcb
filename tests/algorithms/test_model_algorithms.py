"""casanep:npp, rh and nep through processing.run, checked against the core on the same inputs."""

from __future__ import annotations

import os

import numpy as np
import pytest

from casa_nep_plugin.core.model import run_nep, run_npp, run_rh
from tests.rasters import months_of, read, write

S = {
    "ndvi": "ndvi_2021_2022.tif",
    "lc": "landcover_glcfcs30.tif",
    "sol": "solar_radiation_2021_2022.tif",
    "t": "temperature_2021_2022.tif",
    "p": "precipitation_2021_2022.tif",
    "e": "evapotranspiration_2021_2022.tif",
}


@pytest.fixture(scope="module")
def sample(sample_dir):
    return {k: str(sample_dir / v) for k, v in S.items()}


def npp_params(sample, out, **extra):
    params = {
        "NDVI": sample["ndvi"],
        "LANDCOVER": sample["lc"],
        "SOLAR_RADIATION": sample["sol"],
        "TEMPERATURE": sample["t"],
        "PRECIPITATION": sample["p"],
        "EVAPOTRANSPIRATION": sample["e"],
        "NDVI_SCALE": 0.0001,
        "OUTPUT": str(out),
    }
    params.update(extra)
    return params


def test_provider_lists_algorithms(casanep_provider):
    ids = {a.id() for a in casanep_provider.algorithms()}
    assert {"casanep:npp", "casanep:rh", "casanep:nep"} <= ids
    for alg in casanep_provider.algorithms():
        if alg.id().startswith("casanep:") and not alg.id().startswith("casanep:model"):
            assert alg.shortHelpString(), alg.id()
            ok, _ = alg.canExecute()
            assert ok


def test_npp_through_processing_equals_core(casanep_provider, sample, tmp_path):
    import processing

    out, fpar = tmp_path / "npp.tif", tmp_path / "fpar.tif"
    res = processing.run("casanep:npp", npp_params(sample, out, FPAR_OUTPUT=str(fpar)))
    assert res["OUTPUT"] == str(out) and res["FPAR_OUTPUT"] == str(fpar)
    core = tmp_path / "core.tif"
    run_npp(
        sample["ndvi"],
        sample["lc"],
        sample["sol"],
        sample["t"],
        sample["p"],
        str(core),
        evapotranspiration=sample["e"],
        ndvi_scale=0.0001,
    )
    np.testing.assert_array_equal(read(out), read(core))
    assert np.isfinite(read(out)).sum() > 1000
    assert np.nanmax(read(fpar)) <= 0.95


def test_rh_and_nep_through_processing_equal_core(casanep_provider, sample, tmp_path):
    import processing

    npp = tmp_path / "npp.tif"
    processing.run("casanep:npp", npp_params(sample, npp))
    rh = processing.run(
        "casanep:rh",
        {
            "TEMPERATURE": sample["t"],
            "PRECIPITATION": sample["p"],
            "LANDCOVER": sample["lc"],
            "OUTPUT": str(tmp_path / "rh.tif"),
        },
    )["OUTPUT"]
    res = processing.run(
        "casanep:nep",
        {"NPP": str(npp), "RH": rh, "OUTPUT": str(tmp_path / "nep.tif"), "RATIO_OUTPUT": str(tmp_path / "ratio.tif")},
    )
    core_rh, core_nep, core_ratio = (str(tmp_path / f"core_{n}.tif") for n in ("rh", "nep", "ratio"))
    run_rh(sample["t"], sample["p"], core_rh, landcover=sample["lc"])
    run_nep(str(npp), core_rh, core_nep, ratio_output=core_ratio)
    np.testing.assert_array_equal(read(rh), read(core_rh))
    np.testing.assert_array_equal(read(res["OUTPUT"]), read(core_nep))
    np.testing.assert_array_equal(read(res["RATIO_OUTPUT"]), read(core_ratio))


def test_bad_input_is_a_processing_exception_naming_the_parameter(casanep_provider, sample, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    kelvin = write(
        tmp_path / "tk.tif", np.full((24, 3, 3), 290.0, np.float32), months_of([2021, 2022]), crs="EPSG:4326"
    )
    out = tmp_path / "npp.tif"
    with pytest.raises(QgsProcessingException, match="TEMPERATURE: values look like Kelvin"):
        processing.run("casanep:npp", npp_params(sample, out, TEMPERATURE=kelvin))
    assert not out.exists()
    with pytest.raises(QgsProcessingException, match="NDVI: NDVI after scaling"):
        processing.run("casanep:npp", npp_params(sample, out, NDVI_SCALE=1.0))
    assert not out.exists()
    assert [f for f in os.listdir(tmp_path) if ".part" in f] == []


def test_cancel_leaves_no_output(casanep_provider, sample, tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    out = tmp_path / "npp.tif"
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        processing.run("casanep:npp", npp_params(sample, out), feedback=feedback)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_modeler_chains_npp_into_nep(casanep_provider, sample, tmp_path):
    """A model built here (npp -> rh -> nep) runs and equals the algorithms run one by one."""
    import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("npp to nep", "tests")
    for name in ("ndvi", "lc", "sol", "t", "p", "e"):
        model.addModelParameter(QgsProcessingParameterRasterLayer(name), QgsProcessingModelParameter(name))
    src = QgsProcessingModelChildParameterSource

    npp = QgsProcessingModelChildAlgorithm("casanep:npp")
    npp.setChildId("npp")
    for pname, mname in (
        ("NDVI", "ndvi"),
        ("LANDCOVER", "lc"),
        ("SOLAR_RADIATION", "sol"),
        ("TEMPERATURE", "t"),
        ("PRECIPITATION", "p"),
        ("EVAPOTRANSPIRATION", "e"),
    ):
        npp.addParameterSources(pname, [src.fromModelParameter(mname)])
    npp.addParameterSources("NDVI_SCALE", [src.fromStaticValue(0.0001)])
    model.addChildAlgorithm(npp)

    rh = QgsProcessingModelChildAlgorithm("casanep:rh")
    rh.setChildId("rh")
    rh.addParameterSources("TEMPERATURE", [src.fromModelParameter("t")])
    rh.addParameterSources("PRECIPITATION", [src.fromModelParameter("p")])
    rh.addParameterSources("LANDCOVER", [src.fromModelParameter("lc")])
    model.addChildAlgorithm(rh)

    nep = QgsProcessingModelChildAlgorithm("casanep:nep")
    nep.setChildId("nep")
    nep.addParameterSources("NPP", [src.fromChildOutput("npp", "OUTPUT")])
    nep.addParameterSources("RH", [src.fromChildOutput("rh", "OUTPUT")])
    out = QgsProcessingModelOutput("nep_out")
    out.setChildOutputName("OUTPUT")
    nep.setModelOutputs({"nep_out": out})
    model.addChildAlgorithm(nep)
    model.updateDestinationParameters()

    dest = [p.name() for p in model.destinationParameterDefinitions()]
    assert len(dest) == 1
    target = tmp_path / "model_nep.tif"
    params = {
        "ndvi": sample["ndvi"],
        "lc": sample["lc"],
        "sol": sample["sol"],
        "t": sample["t"],
        "p": sample["p"],
        "e": sample["e"],
        dest[0]: str(target),
    }
    context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
    ok, msg = model.checkParameterValues(params, context)
    assert ok, msg
    results = processing.run(model, params, context=context, feedback=feedback)
    assert os.path.exists(results[dest[0]])

    one_npp = processing.run("casanep:npp", npp_params(sample, tmp_path / "n.tif"))["OUTPUT"]
    one_rh = processing.run(
        "casanep:rh",
        {
            "TEMPERATURE": sample["t"],
            "PRECIPITATION": sample["p"],
            "LANDCOVER": sample["lc"],
            "OUTPUT": str(tmp_path / "r.tif"),
        },
    )["OUTPUT"]
    one_nep = processing.run("casanep:nep", {"NPP": one_npp, "RH": one_rh, "OUTPUT": str(tmp_path / "e.tif")})
    np.testing.assert_array_equal(read(results[dest[0]]), read(one_nep["OUTPUT"]))


@pytest.mark.parametrize(
    "style, renderer",
    [
        ("npp_monthly", "singlebandpseudocolor"),
        ("rh_monthly", "singlebandpseudocolor"),
        ("nep_monthly", "singlebandpseudocolor"),
        ("npp_annual", "singlebandpseudocolor"),
        ("nep_annual", "singlebandpseudocolor"),
        ("rh_annual", "singlebandpseudocolor"),
        ("ratio", "singlebandpseudocolor"),
        ("fpar", "singlebandpseudocolor"),
        ("lue", "singlebandpseudocolor"),
        ("sink_source", "paletted"),
    ],
)
def test_styles_load(qgis_app, sample_dir, style, renderer):
    from qgis.core import QgsRasterLayer

    from casa_nep_plugin.algorithms.styles import style_path

    layer = QgsRasterLayer(str(sample_dir / "temperature_2021_2022.tif"), "t")
    msg, ok = layer.loadNamedStyle(style_path(style))
    assert ok, msg
    assert layer.renderer().type() == renderer


def test_nep_style_is_centred_on_zero(qgis_app, sample_dir):
    from qgis.core import QgsRasterLayer

    from casa_nep_plugin.algorithms.styles import style_path

    layer = QgsRasterLayer(str(sample_dir / "temperature_2021_2022.tif"), "t")
    layer.loadNamedStyle(style_path("nep_monthly"))
    shader = layer.renderer().shader().rasterShaderFunction()
    values = [item.value for item in shader.colorRampItemList()]
    assert values[len(values) // 2] == 0 and values[0] == -values[-1]


def test_outputs_are_styled_when_loaded(casanep_provider, sample, tmp_path):
    """An output to be loaded gets the style post-processor; run as Processing's result handling does.

    Processing's own handler (QgsProcessingGuiUtils.addResultLayers from 3.44) needs a real
    QgisInterface, which a headless test has not; the layer is loaded and post-processed the way
    that handler does it (load, add to the project, call the post-processor)."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsRasterLayer

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = QgsProcessingFeedback()
    out = str(tmp_path / "rh.tif")
    details = QgsProcessingContext.LayerDetails("rh", QgsProject.instance(), "OUTPUT")
    context.addLayerToLoadOnCompletion(out, details)
    res = processing.run(
        "casanep:rh",
        {"TEMPERATURE": sample["t"], "PRECIPITATION": sample["p"], "OUTPUT": out},
        context=context,
        feedback=feedback,
    )
    assert res["OUTPUT"] == out
    post = context.layerToLoadOnCompletionDetails(out).postProcessor()
    assert post is not None, "no style post-processor set on the output"
    layer = QgsRasterLayer(out, "rh")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    post.postProcessLayer(layer, context, feedback)
    assert layer.renderer().type() == "singlebandpseudocolor"
    # the ramp spans the data (2nd-98th percentile over all months) and the peak month shows first
    from casa_nep_plugin.core.styles import display_range

    expected = display_range(out)
    ramp = layer.renderer().shader().rasterShaderFunction()
    assert (ramp.minimumValue(), ramp.maximumValue()) == pytest.approx((expected.minimum, expected.maximum))
    items = ramp.colorRampItemList()
    assert items[0].value == pytest.approx(expected.minimum) and items[-1].value == pytest.approx(expected.maximum)
    renderer = layer.renderer()
    assert getattr(renderer, "inputBand", renderer.band)() == expected.band
    data = read(out)
    assert expected.band == 1 + int(np.argmax([np.nanmean(np.abs(b)) for b in data]))
    QgsProject.instance().removeAllMapLayers()


def test_nep_ramp_from_data_stays_centred_on_zero(casanep_provider, sample, tmp_path):
    import processing
    from qgis.core import QgsRasterLayer

    from casa_nep_plugin.algorithms.styles import fit_to_data, style_path

    res = processing.run(
        "casanep:npp",
        npp_params(
            sample, tmp_path / "npp.tif", NEP_OUTPUT=str(tmp_path / "nep.tif"), RH_OUTPUT=str(tmp_path / "rh.tif")
        ),
    )
    layer = QgsRasterLayer(res["NEP_OUTPUT"], "nep")
    layer.loadNamedStyle(style_path("nep_monthly"))
    assert fit_to_data(layer, "nep_monthly")
    items = layer.renderer().shader().rasterShaderFunction().colorRampItemList()
    values = [i.value for i in items]
    assert values[0] == pytest.approx(-values[-1]) and values[len(values) // 2] == pytest.approx(0, abs=1e-9)
    data = read(res["NEP_OUTPUT"])
    assert values[-1] >= np.nanpercentile(data, 98) - 1e-6  # July's NEP is inside the ramp, not clipped at 60


def test_annual_through_processing_equals_core(casanep_provider, sample, tmp_path):
    import processing

    from casa_nep_plugin.core.model import run_annual

    npp = processing.run("casanep:npp", npp_params(sample, tmp_path / "npp.tif"))["OUTPUT"]
    rh = processing.run(
        "casanep:rh",
        {
            "TEMPERATURE": sample["t"],
            "PRECIPITATION": sample["p"],
            "LANDCOVER": sample["lc"],
            "OUTPUT": str(tmp_path / "rh.tif"),
        },
    )["OUTPUT"]
    res = processing.run(
        "casanep:annual",
        {
            "NPP": npp,
            "RH": rh,
            "THRESHOLD": 70,
            "NEP_OUTPUT": str(tmp_path / "nep_a.tif"),
            "CLASS_OUTPUT": str(tmp_path / "cls.tif"),
        },
    )
    assert res["NPP_OUTPUT"] is None and res["NEP_OUTPUT"] == str(tmp_path / "nep_a.tif")
    run_annual(
        npp, rh, nep_output=str(tmp_path / "core_nep.tif"), class_output=str(tmp_path / "core_cls.tif"), threshold=70
    )
    np.testing.assert_array_equal(read(res["NEP_OUTPUT"]), read(tmp_path / "core_nep.tif"))
    np.testing.assert_array_equal(read(res["CLASS_OUTPUT"]), read(tmp_path / "core_cls.tif"))
    assert set(np.unique(read(res["CLASS_OUTPUT"])[np.isfinite(read(res["CLASS_OUTPUT"]))])) <= {1, 2, 3}
