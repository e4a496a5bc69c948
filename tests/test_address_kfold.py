"""The out-of-sample evaluation of the address geocoder (geodata/scripts/address_kfold.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.geo.uncertainty import INTERPOLATED_M
from geodata.scripts.address_kfold import kfold, main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "import.md"


def test_a_small_fold_holds_its_addresses_out_of_everything_it_places_them_from():
    small = kfold(folds=20, only=(3,))
    assert small["run"] == [3] and small["held_out"] == len(range(3, small["addresses"], 20))
    assert small["house"] + small["road"] + small["unlocated"] == small["held_out"]
    # held-out POIs are gone from the house numbers: nothing can be an exact known address
    assert small["house_median_m"] is None or small["house_median_m"] > 0


def test_the_published_figures_are_those_of_a_full_run():
    """docs/import.md quotes the full run; a change to the data or the geocoder that moves the
    figures must update the page and the interpolated radius (their 90th percentile)."""
    f = kfold()
    page = DOCS.read_text(encoding="utf-8")
    assert f"deals the {f['addresses']} distinct house-number addresses" in page
    assert (f"| placed at house-number level (interpolated) | **{f['house_pct']} %** ({f['house']}) | "
            f"median **{f['house_median_m']} m**, 90th percentile **{f['house_p90_m']} m** |") in page
    assert f"| within 100 m of the true point | **{f['within_100m_pct']} %** of all |" in page
    assert (f"| road only | **{f['road_pct']} %** ({f['road']}) | the road's representative point "
            f"is a median **{f['road_median_m']} m** (90th percentile **{f['road_p90_m']} m**)") in page
    assert f"| unlocated | **{f['unlocated_pct']} %** ({f['unlocated']}) |" in page
    assert INTERPOLATED_M == f["house_p90_m"]


def test_the_command_line_prints_figures_and_refuses_bad_folds(capsys):
    assert main(["--folds", "20", "--only", "0"]) == 0
    assert "house-number level" in capsys.readouterr().out
    assert main(["--folds", "1"]) == 2
    assert "folds must be at least 2" in capsys.readouterr().err


@pytest.mark.parametrize("only", [(5,), (-1,)])
def test_folds_out_of_range_are_refused(only):
    with pytest.raises(ValueError, match="folds to run"):
        kfold(folds=5, only=only)
