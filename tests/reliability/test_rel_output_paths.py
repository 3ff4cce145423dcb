"""Outputs that would destroy something are refused before any work (core.safety.check_output_paths).

Every case: the error names the output's parameter, inputs keep their bytes, an
earlier output keeps its bytes, and nothing is left behind.
"""

from __future__ import annotations

import os
import stat

import pytest

from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.safety import check_output_folder, check_output_paths, input_file_of
from tests.reliability.helpers import (
    checksums,
    copy_sample,
    device_node,
    is_root,
    leftovers,
    npp_kwargs,
    old_output,
    sha,
)


# --- the check on its own -------------------------------------------------------------
def test_output_equal_to_an_input_is_refused(tmp_path):
    t = tmp_path / "t.tif"
    t.write_bytes(b"temperature")
    with pytest.raises(CasaInputError) as err:
        check_output_paths({"OUTPUT": str(t)}, {"TEMPERATURE": str(t)})
    assert err.value.parameter == "OUTPUT"
    assert "TEMPERATURE input" in err.value.message and "destroy" in err.value.message
    # the same file by another spelling, by a symlink and by a hard link
    (tmp_path / "sub").mkdir()
    os.symlink(t, tmp_path / "link.tif")
    os.link(t, tmp_path / "hard.tif")
    for other in (str(tmp_path / "sub" / ".." / "t.tif"), str(tmp_path / "link.tif"), str(tmp_path / "hard.tif")):
        with pytest.raises(CasaInputError, match="TEMPERATURE input"):
            check_output_paths({"OUTPUT": other}, {"TEMPERATURE": str(t)})
    # a QGIS source string with a layer name still names the file
    with pytest.raises(CasaInputError, match="ZONES input"):
        check_output_paths({"OUTPUT": str(t)}, {"ZONES": f"{t}|layername=zones"})
    assert t.read_bytes() == b"temperature"


def test_two_outputs_on_one_path_are_refused(tmp_path):
    o = str(tmp_path / "o.tif")
    with pytest.raises(CasaInputError) as err:
        check_output_paths({"OUTPUT": o, "RH_OUTPUT": o}, {})
    assert err.value.parameter == "RH_OUTPUT" and "OUTPUT output" in err.value.message
    os.symlink(o, tmp_path / "alias.tif")  # dangling: the file does not exist yet
    with pytest.raises(CasaInputError) as err:
        check_output_paths({"OUTPUT": o, "NEP_OUTPUT": str(tmp_path / "alias.tif")}, {})
    assert err.value.parameter == "NEP_OUTPUT"
    assert not os.path.exists(o)


def test_paths_that_are_not_regular_files_are_refused(tmp_path):
    folder = tmp_path / "a_folder.tif"
    folder.mkdir()
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)
    cases = [(str(folder), "is a folder"), (str(fifo), "named pipe")]
    dev = device_node(tmp_path / "full.tif")  # a private /dev/full (root only)
    if dev:
        cases.append((dev, "device"))
    for path, what in cases:
        with pytest.raises(CasaInputError) as err:
            check_output_paths({"OUTPUT": path}, {})
        assert err.value.parameter == "OUTPUT" and what in err.value.message, err.value.message
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and folder.is_dir()
    if dev:
        assert stat.S_ISCHR(os.stat(dev).st_mode)


def test_folder_that_is_a_file_missing_folder_and_extension(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("x")
    with pytest.raises(CasaInputError, match="is a file, not a folder") as err:
        check_output_paths({"OUTPUT": str(f / "npp.tif")}, {})
    assert err.value.parameter == "OUTPUT"
    with pytest.raises(CasaInputError, match="does not exist"):
        check_output_paths({"OUTPUT": str(tmp_path / "nope" / "npp.tif")}, {})
    for name in ("npp.txt", "npp.jpg", "npp"):
        with pytest.raises(CasaInputError) as err:
            check_output_paths({"FPAR_OUTPUT": str(tmp_path / name)}, {})
        assert err.value.parameter == "FPAR_OUTPUT"
        assert ".tif, .tiff" in err.value.message  # the accepted extensions are listed
    ok = check_output_paths({"A": str(tmp_path / "a.TIF"), "B": str(tmp_path / "b.tiff"), "C": None}, {})
    assert set(ok) == {"A", "B"}
    assert not (tmp_path / "a.TIF").exists()
    # the workflow's folder
    with pytest.raises(CasaInputError, match="is a file, not a folder") as err:
        check_output_folder(str(f), "OUTPUT_FOLDER")
    assert err.value.parameter == "OUTPUT_FOLDER"
    assert f.read_text() == "x"


def test_symlink_resolves_to_its_target(tmp_path):
    target_dir = tmp_path / "real"
    target_dir.mkdir()
    target = target_dir / "npp.tif"
    target.write_bytes(b"old")
    os.symlink(target, tmp_path / "npp.tif")
    real = check_output_paths({"OUTPUT": str(tmp_path / "npp.tif")}, {})
    assert real == {"OUTPUT": str(target.resolve())}
    os.symlink(tmp_path / "nowhere" / "x.tif", tmp_path / "dangling.tif")
    with pytest.raises(CasaInputError, match="does not exist"):
        check_output_paths({"OUTPUT": str(tmp_path / "dangling.tif")}, {})


def test_input_file_of_source_strings():
    assert input_file_of("/a/b.gpkg|layername=zones") == "/a/b.gpkg"
    assert input_file_of('NETCDF:"/d/era5.nc":t2m') == "/d/era5.nc"
    assert input_file_of("HDF4_EOS:EOS_GRID:/d/m.hdf:MODIS_Grid_16DAY_250m_500m_VI:NDVI").startswith("EOS_GRID")
    assert input_file_of(None) is None and input_file_of("") is None


# --- the model refuses before any work ----------------------------------------------------
def test_npp_output_on_an_input_is_refused(tmp_path):
    from casa_nep_plugin.core.model import run_npp

    s = copy_sample(tmp_path / "in")
    before = checksums(s.values())
    with pytest.raises(CasaInputError) as err:
        run_npp(output=s["t"], **npp_kwargs(s))
    assert err.value.parameter == "OUTPUT" and "TEMPERATURE" in err.value.message
    assert checksums(s.values()) == before
    assert leftovers(tmp_path) == []


def test_npp_two_outputs_one_path_keeps_the_earlier_file(tmp_path):
    from casa_nep_plugin.core.model import run_npp

    s = copy_sample(tmp_path / "in")
    before = checksums(s.values())
    o = tmp_path / "o.tif"
    kept = old_output(o)
    with pytest.raises(CasaInputError) as err:
        run_npp(output=str(o), rh_output=str(o), **npp_kwargs(s))
    assert err.value.parameter == "RH_OUTPUT"
    assert sha(o) == kept and checksums(s.values()) == before and leftovers(tmp_path) == []


def test_npp_through_a_symlink_writes_the_target(tmp_path):
    from casa_nep_plugin.core.model import run_npp
    from tests.rasters import read

    s = copy_sample(tmp_path / "in")
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "npp.tif"
    old_output(target)
    link = tmp_path / "npp.tif"
    os.symlink(target, link)
    run_npp(output=str(link), **npp_kwargs(s))
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert read(target).shape[0] == 24  # the target holds the new result
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not is_root(), reason="needs root to make a device node")
def test_npp_to_a_device_as_root_keeps_the_device(tmp_path):
    """As /dev/full, but a private node: never aim an unguarded run at the system's /dev/full."""
    from casa_nep_plugin.core.model import run_npp

    s = copy_sample(tmp_path / "in")
    dev = device_node(tmp_path / "full.tif")
    assert dev
    try:
        with pytest.raises(CasaInputError) as err:
            run_npp(output=dev, **npp_kwargs(s))
        assert err.value.parameter == "OUTPUT" and "device" in err.value.message
        assert stat.S_ISCHR(os.stat(dev).st_mode)
    finally:
        for name in os.listdir(tmp_path):  # the unguarded engine leaves its temporary beside the node
            if name.startswith(".full.tif."):
                os.remove(tmp_path / name)


def test_npp_output_extension_is_refused(tmp_path):
    from casa_nep_plugin.core.model import run_npp

    s = copy_sample(tmp_path / "in")
    with pytest.raises(CasaInputError) as err:
        run_npp(output=str(tmp_path / "npp.jpg"), **npp_kwargs(s))
    assert err.value.parameter == "OUTPUT" and ".tif" in err.value.message
    assert not (tmp_path / "npp.jpg").exists() and leftovers(tmp_path) == []


# --- errors from below, and moving into place -------------------------------------------------------
def test_disk_full_and_gdal_errors_in_one_sentence(tmp_path):
    import errno

    from casa_nep_plugin.core import explain

    assert explain.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    try:
        try:
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        except OSError as inner:
            raise RuntimeError("write failed") from inner
    except RuntimeError as outer:
        assert explain.is_disk_full(outer)
    assert explain.is_disk_full(RuntimeError("TIFFAppendToStrip: Write error: No space left on device"))
    assert not explain.is_disk_full(ValueError("bad value"))
    err = explain.explain_exception(
        OSError(errno.ENOSPC, "No space left on device"), {}, {"OUTPUT": str(tmp_path / "npp.tif")}
    )
    assert err.parameter == "OUTPUT" and "full" in err.message and str(tmp_path) in err.message
    t = str(tmp_path / "t.tif")

    class RasterioIOError(OSError):  # as rasterio raises it: the file is in the text
        __module__ = "rasterio.errors"

    exc = RasterioIOError(f"Read or write failed. {t}, band 1: IReadBlock failed at X offset 0, Y offset 0")
    err = explain.explain_exception(exc, {"NDVI": str(tmp_path / "n.tif"), "TEMPERATURE": t}, {})
    assert err.parameter == "TEMPERATURE" and "'t.tif' is not a readable raster" in err.message
    assert explain.explain_exception(ZeroDivisionError("x"), {"NDVI": t}, {}) is None
    assert explain.disk_is_full(str(tmp_path), reserve=1 << 62) and not explain.disk_is_full(str(tmp_path), 0)


def test_move_into_place_across_file_systems(tmp_path, monkeypatch):
    import errno

    from casa_nep_plugin.core import safety

    store = tmp_path / "store"
    store.mkdir()
    target = store / "report.html"
    target.write_text("old")
    os.symlink(target, tmp_path / "report.html")
    src = tmp_path / "staged.html"
    src.write_text("new")
    real_replace = os.replace
    calls = []

    def replace(a, b):
        calls.append((a, b))
        if len(calls) == 1:  # the first, direct rename crosses file systems
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", replace)
    assert safety.move_into_place(str(src), str(tmp_path / "report.html")) == str(target)
    assert target.read_text() == "new" and os.path.islink(tmp_path / "report.html") and not src.exists()
    assert leftovers(tmp_path) == [] and safety.registered() == []
