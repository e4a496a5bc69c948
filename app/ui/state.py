"""The page's view state: read once from the URL, then kept by widgets and mirrored to the URL.

Streamlit forgets a widget's value when a run does not draw it (another page). The view's
widgets are therefore copied to plain session keys after every map-page run
(:func:`remember`) and put back before the widgets are drawn again (:func:`restore`), so
filters, search, reference layers and basemap survive a visit to another page; every page's
URL carries the remembered view (:func:`share_on_other_page`).

The map's pan and zoom are not Python state: the live map writes ``lat``/``lon``/``z`` to the
address bar itself; a Python rewrite of the URL keeps whatever the address bar has there.

The day the map shows (``asof``) is a view parameter like the others (``w_asof``, a date:
the calendar's key of a typed date field, :mod:`app.ui.dates`; today means the live register
and is left out of the URL). It applies to the map page's
atlas only: the field, review and planner pages always work on the live register.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from app.data.atlas import Atlas
from app.domain.filters import FILTER_FIELDS
from app.domain.i18n import t
from app.domain.viewstate import LANGS, ViewState, district_today, parse_asof, parse_view, to_query

_INIT = "_view_initialised"
NOTICES = "_url_notices"
#: (link version, running version) when a link's ``v=`` differs from the data
VERSION_NOTICE = "_version_notice"
#: the view's widget keys, kept across pages
VIEW_KEYS = ("w_q", "w_refs", "w_basemap", "w_asof", *(f"w_f_{name}" for name in FILTER_FIELDS),
             "w_colour", "w_compare")
#: the as-of date's widget key (a datetime.date; today = the live register)
ASOF_WIDGET = "w_asof"
_SAVED = "_saved_view"
#: the page of the session's last run, and whether this run came from another one
_PAGE = "_page_shown"
_ARRIVED = "_page_arrived"
#: URL parameters the browser owns (the live map writes them; Python keeps them as they are)
BROWSER_PARAMS = ("lat", "lon", "z")


def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118


def language() -> str:
    """The session's UI language: the language switch's value, at first from ``?lang=``.

    Known before the switch is drawn (the page titles need it, and a map page's first run
    does not draw the switch: app/ui/pages/map_page.py)."""
    if "w_lang" not in st.session_state:
        lang = (st.query_params.get("lang") or "zh")
        st.session_state["w_lang"] = lang if lang in LANGS else "zh"
    return st.session_state["w_lang"] or "zh"


def language_selector() -> str:
    """The shared language switch in the sidebar (its value: :func:`language`)."""
    language()
    return st.sidebar.segmented_control(
        t("language", "zh"), LANGS, key="w_lang", format_func=lambda v: t(f"lang_{v}", v),
        selection_mode="single", on_change=_relabel) or "zh"


def _relabel() -> None:
    """Callback of the language switch: give every choice widget its value again.

    A keyed multiselect or selectbox keeps showing the labels of the language its value was
    chosen in (the browser holds the chosen labels, not the values); a value set from here
    is sent again and drawn with the new language's labels.
    """
    for key in st.session_state.get(_RELABEL_KEYS, ()):
        value = st.session_state.get(key)
        if isinstance(value, (list, str, int)):
            st.session_state[key] = value


#: Session key: the keys of the choice widgets drawn in this session whose option labels depend
#: on the language (:func:`relabelled`).
_RELABEL_KEYS = "_relabel_keys"


def relabelled(key: str) -> str:
    """`key`, noted as the key of a choice widget whose option labels depend on the language:
    the language switch gives it its value again (:func:`_relabel`). Used where the widget is
    drawn, as its ``key=``; only for widgets without a default argument (``index=``,
    ``default=``): a value set from Session State beside a default draws a warning."""
    st.session_state.setdefault(_RELABEL_KEYS, set()).add(key)
    return key


def allowed_values(atlas: Atlas) -> dict[str, list[str]]:
    """Permitted values of each filter field (see Atlas.filter_values)."""
    return atlas.filter_values()


def _asof_text(day: object) -> str | None:
    """A widget's date as ``asof``: None for no date or today (and later) -- the live register."""
    if not isinstance(day, date) or day >= district_today():
        return None
    return day.isoformat()


def _day_text(day: object) -> str | None:
    """A date widget's value (or a day already written) as ``YYYY-MM-DD``; None for none."""
    if isinstance(day, date):
        return day.isoformat()
    return str(day) if day else None


def chosen_asof() -> str | None:
    """The day the map page shows (``YYYY-MM-DD``), None for today (the live register): the
    date widget's value, or before the first map page of the session the URL's ``asof``."""
    if ASOF_WIDGET in st.session_state:
        return _asof_text(st.session_state[ASOF_WIDGET])
    saved = (st.session_state.get(_SAVED) or {}).get(ASOF_WIDGET)
    if saved is not None:
        return _asof_text(saved)
    if st.session_state.get(_INIT) or "asof" not in st.query_params:
        return None
    return parse_asof(st.query_params.get_all("asof"))[0]


def back_to_today() -> None:
    """Callback of the as-of date's "today" button: the live register again."""
    st.session_state[ASOF_WIDGET] = district_today()


def init_from_url(atlas: Atlas) -> None:
    """Once per session: turn the URL's parameters into widget values, keeping notices.

    `atlas` is the one the URL's ``asof`` names (:func:`chosen_asof`), so a ``p=`` of a project
    that did not exist yet that day is dropped with a notice."""
    if st.session_state.get(_INIT):
        return
    view, notices = parse_view(_params(), allowed_values(atlas),
                               ref_layers=[s.id for s in atlas.reference_layers],
                               project_ids=atlas.projects["id"].tolist())
    st.session_state[NOTICES] = notices
    st.session_state[ASOF_WIDGET] = (date.fromisoformat(view.asof) if view.asof
                                     else district_today())
    st.session_state["w_basemap"] = view.basemap
    st.session_state["w_refs"] = list(view.ref_layers) if view.ref_layers is not None else [
        s.id for s in atlas.reference_layers if s.visible]
    st.session_state["w_q"] = view.query
    for name in FILTER_FIELDS:
        st.session_state[f"w_f_{name}"] = list(view.filters.get(name, ()))
    st.session_state["w_colour"] = view.colour
    st.session_state["w_compare"] = view.compare  # text until checked (app/ui/supervision.py)
    st.session_state["focus"] = view.project
    st.session_state["map_centre"] = (view.lat, view.lon) if view.lat is not None else None
    st.session_state["map_zoom"] = view.zoom
    link_version = st.query_params.get("v")
    st.session_state[VERSION_NOTICE] = (
        (link_version, atlas.data_version) if link_version and link_version != atlas.data_version
        else None)
    st.session_state[_INIT] = True


def remember() -> None:
    """Copy the view's widget values to keys Streamlit keeps when another page is shown."""
    st.session_state[_SAVED] = {k: st.session_state[k] for k in VIEW_KEYS if k in st.session_state}


def arrived(page: str) -> None:
    """Note the page this run shows (`page`, its URL path): whether the session comes from
    another page is what :func:`restore` needs to know."""
    st.session_state[_ARRIVED] = st.session_state.get(_PAGE, page) != page
    st.session_state[_PAGE] = page


def restore() -> None:
    """Put remembered widget values back (before the widgets are drawn) where Streamlit dropped
    them, e.g. after a visit to another page.

    On arriving from another page every remembered value is set again, present or not: a
    value merely left in Session State is not always what the browser then shows (a search box
    came back empty after the map's first-paint rerun), one set from here always is."""
    force = st.session_state.get(_ARRIVED, False)
    for k, value in (st.session_state.get(_SAVED) or {}).items():
        if force or k not in st.session_state:
            st.session_state[k] = value


def saved_query(lang: str, data_version: str) -> dict[str, str]:
    """The remembered view as URL parameters (empty before the map page was first shown)."""
    saved = st.session_state.get(_SAVED)
    if not saved:
        return {}
    view = ViewState(
        lang=lang, basemap=saved.get("w_basemap", "osm"),
        ref_layers=tuple(saved.get("w_refs", ())),
        filters={name: tuple(saved.get(f"w_f_{name}", ())) for name in FILTER_FIELDS},
        query=str(saved.get("w_q", "")).strip(), asof=_asof_text(saved.get(ASOF_WIDGET)),
        compare=_day_text(saved.get("w_compare")), colour=saved.get("w_colour") or "category")
    return {**to_query(view), "v": data_version}


def share_on_other_page(lang: str, data_version: str) -> None:
    """On a page other than the map: the remembered view in the URL too, next to the page's
    own parameters (which win)."""
    wanted = saved_query(lang, data_version)
    now = {k: st.query_params.get(k) for k in st.query_params.keys()}  # noqa: SIM118
    merged = {**wanted, **now}
    if wanted and merged != now:
        st.query_params.from_dict(merged)


def current_view(lang: str) -> ViewState:
    """The view the widgets describe now."""
    centre = st.session_state.get("map_centre")
    return ViewState(
        lang=lang,
        basemap=st.session_state.get("w_basemap", "osm"),
        ref_layers=tuple(st.session_state.get("w_refs", ())),
        filters={name: tuple(st.session_state.get(f"w_f_{name}", ())) for name in FILTER_FIELDS},
        query=st.session_state.get("w_q", "").strip(),
        project=st.session_state.get("focus"),
        lat=centre[0] if centre else None,
        lon=centre[1] if centre else None,
        zoom=st.session_state.get("map_zoom"),
        register=st.session_state.get("_register", ""),  # chosen in the frame's sidebar
        asof=chosen_asof(),
        compare=_day_text(st.session_state.get("w_compare")),
        colour=st.session_state.get("w_colour") or "category",
    )


def write_url(view: ViewState, data_version: str) -> None:
    """Mirror `view` and the data version (``v``) into the address bar, only when they changed
    (to avoid extra reruns); lat/lon/z stay as the browser left them."""
    now = {k: st.query_params.get(k) for k in st.query_params.keys()}  # noqa: SIM118
    kept = {k: v for k, v in now.items() if k in BROWSER_PARAMS}
    wanted = {**to_query(view.with_changes(lat=None, lon=None, zoom=None)), "v": data_version}
    if {**wanted, **kept} != now:
        st.query_params.from_dict({**wanted, **kept})


def clear_filters() -> None:
    """Callback of the 'clear filters' button: runs before any widget is drawn, so it wins
    over whatever value a widget was left with (e.g. a dropdown closed with Esc)."""
    for name in FILTER_FIELDS:
        st.session_state[f"w_f_{name}"] = []
    st.session_state["w_q"] = ""
    st.session_state["focus"] = None
    st.session_state.pop("w_table", None)
