"""URL view state: round trips, and bad values ignored with a notice."""

from datetime import date, timedelta

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


# -- asof: the map as of a day ----------------------------------------------------------

TODAY = date(2025, 9, 1)


def test_asof_round_trips_and_defaults_to_the_live_register():
    view, notices = parse_view({"asof": "2025-06-30"}, ALLOWED, today=TODAY)
    assert (view.asof, notices) == ("2025-06-30", [])
    assert to_query(view) == {"asof": "2025-06-30"}
    assert parse_view(to_query(view), ALLOWED, today=TODAY)[0] == view
    assert parse_view({}, ALLOWED, today=TODAY)[0].asof is None
    assert "asof" not in to_query(ViewState())


def test_asof_today_is_allowed():
    assert parse_view({"asof": "2025-09-01"}, ALLOWED, today=TODAY)[0].asof == "2025-09-01"


@pytest.mark.parametrize("raw,why", [
    ("2025-02-30", "a day written YYYY-MM-DD"),       # no such day
    ("2025-6-30", "a day written YYYY-MM-DD"),        # not zero-padded
    ("30/06/2025", "a day written YYYY-MM-DD"),
    ("yesterday", "a day written YYYY-MM-DD"),
    ("", "a day written YYYY-MM-DD"),
    ("1999-12-31", "a day written YYYY-MM-DD"),       # before any change log
    ("2025-09-02", "after today, 2025-09-01"),        # the future
    ("<b>2025</b>", "a day written YYYY-MM-DD"),
])
def test_bad_asof_is_dropped_with_a_notice_naming_it(raw, why):
    view, notices = parse_view({"asof": raw, "layer": "renewal"}, ALLOWED, today=TODAY)
    assert view.asof is None
    assert notices == [f"ignored asof={raw!r} ({why})"]
    assert view.filters["layer"] == ("renewal",)  # the rest of the view still applies


def test_a_long_asof_is_quoted_cut_short():
    _, notices = parse_view({"asof": "9" * 5000}, ALLOWED, today=TODAY)
    assert notices == [f"ignored asof={'9' * 40!r} (a day written YYYY-MM-DD)"]


def test_asof_defaults_to_the_district_day():
    from app.domain.viewstate import district_today

    tomorrow = district_today() + timedelta(days=1)
    _, notices = parse_view({"asof": tomorrow.isoformat()}, ALLOWED)
    assert notices and "after today" in notices[0]
    assert parse_view({"asof": district_today().isoformat()}, ALLOWED)[1] == []
