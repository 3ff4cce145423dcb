"""Column names and values of the tables: names from the stacks' periods, sums to means and totals by hand."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from casa_nep_plugin.core.columns import (
    check_field_clash,
    column,
    coverage_column_names,
    coverage_columns,
    flux_columns,
    period_columns,
    period_sums,
    ratio_column_names,
    ratio_columns,
    ratio_periods,
)
from casa_nep_plugin.core.errors import CasaInputError
from casa_nep_plugin.core.stacks import Stack, band_labels


def stack(name: str, descriptions: list[str]) -> Stack:
    labels, months = band_labels(descriptions)
    return Stack(name, None, labels, months)  # type: ignore[arg-type]


NPP = stack("npp", ["2021-01", "2021-02", "2022-01"])
RH = stack("rh", ["2021-01", "2021-02", "2022-01"])


def test_names_follow_stack_period_kind_suffix():
    assert column("npp", "2021_01", "mean") == "npp_2021_01_mean"
    assert column("rh", "2021", "share_pct", "_majority") == "rh_2021_share_pct_majority"
    assert period_columns(NPP, ("mean",)) == [
        "npp_2021_01_mean",
        "npp_2021_02_mean",
        "npp_2022_01_mean",
        "npp_2021_mean",
        "npp_2022_mean",
    ]
    assert coverage_column_names(stack("nep", ["2021"]))[:2] == ["nep_2021_valid_cells", "nep_2021_coverage_pct"]
    assert ratio_column_names([NPP, RH]) == [
        "rh_npp_2021_01_ratio_pct",
        "rh_npp_2021_02_ratio_pct",
        "rh_npp_2022_01_ratio_pct",
        "rh_npp_2021_ratio_pct",
        "rh_npp_2022_ratio_pct",
    ]
    assert ratio_column_names([NPP]) == []
    # a year covers the same months in both stacks, or it has no ratio (here neither year does)
    assert [lab for lab, _, _ in ratio_periods([NPP, stack("rh", ["2021-01", "2022-01", "2022-02"])])] == [
        "2021_01",
        "2022_01",
    ]


def test_sums_to_means_totals_and_years():
    # two zones x three bands: gC and m2 with data; zone 2 has no data in 2022-01
    total = np.array([[2e6, 4e6, 1e6], [3e6, 0.0, 0.0]])
    valid = np.array([[1e4, 2e4, 1e4], [1e4, 1e4, 0.0]])
    labels, mean, tot = period_sums(NPP, total, valid)
    assert labels == ["2021_01", "2021_02", "2022_01", "2021", "2022"]
    np.testing.assert_allclose(mean[0], [200, 200, 100, 400, 100])  # years: sums of the monthly means
    np.testing.assert_allclose(mean[1], [300, 0, np.nan, 300, np.nan])
    np.testing.assert_allclose(tot[1], [3e6, 0, np.nan, 3e6, np.nan])
    # with the annual map's sums, a year is their mean and total
    cols = flux_columns(
        NPP, total, valid, annual_g=np.array([[5e6, 1e6], [0.0, 0.0]]), annual_m2=np.array([[1e4, 1e4], [0.0, 0.0]])
    )
    assert cols["npp_2021_mean"].tolist()[0] == pytest.approx(500)
    assert np.isnan(cols["npp_2021_mean"][1])
    assert cols["npp_2021_01_total_tC"].tolist() == pytest.approx([2.0, 3.0])
    assert cols["npp_2021_01_total_ktC"].tolist() == pytest.approx([2e-3, 3e-3])


def test_ratio_and_coverage_columns():
    npp = np.array([[10.0, 0.0, 5.0]])
    rh = np.array([[8.0, 1.0, 5.0]])
    cols = ratio_columns([NPP, RH], {"npp": npp, "rh": rh})
    assert cols["rh_npp_2021_01_ratio_pct"].tolist() == [80.0]
    assert np.isnan(cols["rh_npp_2021_02_ratio_pct"][0])  # NPP total 0: empty
    assert cols["rh_npp_2021_ratio_pct"].tolist() == [90.0]  # 9 / 10 over the months of 2021
    cov = coverage_columns(NPP, np.array([[4.0, 2.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([4.0]))
    assert list(cov) == [
        f"npp_{p}_{k}"
        for p in ("2021_01", "2021_02", "2022_01", "2021", "2022")
        for k in ("valid_cells", "coverage_pct")
    ]
    assert [cov[f"npp_{p}_coverage_pct"][0] for p in ("2021_01", "2021_02", "2022_01", "2021")] == [100, 50, 0, 50]
    assert isinstance(cov, OrderedDict)


def test_field_clash():
    check_field_clash(["name"], ["cells"], "ZONES")
    with pytest.raises(CasaInputError, match="Cells.*clash"):
        check_field_clash(["Cells"], ["cells"], "ZONES")
    with pytest.raises(CasaInputError, match="differ only in case"):
        check_field_clash(["Name", "name"], ["cells"], "ZONES")
