"""URL view state: round trips, and bad values ignored with a notice."""

import pytest

from app.domain.viewstate import ViewState, parse_view, to_query

ALLOWED = {"layer": ["renewal", "public_space"], "status": ["planning", "operating"],
           "report_section": list("一二三四五六七"), "precision": ["site", "area"]}


def test_round_trip_reproduces_the_view():
    view = ViewState(lang="en", basemap="amap", ref_layers=("district_boundary",),
                     filters={"layer": ("renewal",), "status": ("planning", "operating"),
                              "report_section": ("四",)},
                     query="天山", project="tianshan-park", lat=31.21, lon=121.41, zoom=15)
    again, notices = parse_view(to_query(view), ALLOWED, ref_layers=["district_boundary"],
                                project_ids=["tianshan-park"])
    assert notices == []
    assert again == view


def test_defaults_make_an_empty_query():
    assert to_query(ViewState()) == {}
    view, notices = parse_view({}, ALLOWED)
    assert view == ViewState() and notices == []


@pytest.mark.parametrize("params,notice", [
    ({"lang": "fr"}, "lang='fr'"),
    ({"basemap": "google"}, "basemap='google'"),
    ({"status": "done"}, "status='done'"),
    ({"section": "八"}, "section='八'"),
    ({"ref": "rivers"}, "ref='rivers'"),
    ({"p": "nope"}, "p='nope'"),
    ({"lat": "91", "lon": "121.4"}, "lat="),
    ({"lat": "31.2"}, "need both"),
    ({"z": "3"}, "z='3'"),
    ({"z": "abc"}, "z='abc'"),
    ({"z": "14.5"}, "z='14.5'"),
])
def test_bad_values_are_dropped_with_a_notice(params, notice):
    view, notices = parse_view(params | {"layer": "renewal"}, ALLOWED, ref_layers=["district_boundary"])
    assert any(notice in n for n in notices), notices
    assert view.filters["layer"] == ("renewal",)  # the good part still applies


def test_lists_accept_commas_and_repeats_and_drop_duplicates():
    view, notices = parse_view({"status": ["planning,operating", "planning"]}, ALLOWED)
    assert view.filters["status"] == ("planning", "operating") and notices == []


def test_ref_none_hides_all_reference_layers():
    view, _ = parse_view({"ref": "none"}, ALLOWED, ref_layers=["district_boundary"])
    assert view.ref_layers == ()
    assert to_query(view)["ref"] == "none"


def test_search_is_trimmed_and_bounded():
    view, _ = parse_view({"q": "x" * 500}, ALLOWED)
    assert len(view.query) == 100
