"""Untrusted text never becomes Markdown: URL parameters, field notes, names typed at sign-in,
file names, column headers and CRS names from imported files, register names, error messages.

Streamlit renders alerts, captions and st.markdown as Markdown (with raw HTML off, but links,
images, autolinks, bare URLs, code, maths and icon/colour directives on). Each test puts the
hostile strings below through one page and checks every element whose text shows them:

- the reader sees the original characters (the Markdown source, with its backslash escapes
  removed, contains the hostile text);
- the source has no live markup: once every backslash-escaped character is set aside, nothing
  is left that CommonMark/GFM or Streamlit would turn into a link, image, autolink, HTML tag,
  code span, maths or directive; and once the escapes are resolved (as Streamlit's Markdown
  resolves them before it looks for GFM's *literal* autolinks), no ``http(s)://``, ``www.`` or
  e-mail address is left to link (:func:`live_markup`). tests/ui/test_autolinks.py checks the
  same in the real page.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import app.domain.text
import app.ui.safe
from app.domain.text import escape_markdown
from app.domain.text import unescape_markdown as plain
from tests.apptest import map_app

ROOT = Path(__file__).resolve().parents[2]
MARK = "pwn"
HOSTILE = [
    "![pwn](http://host.example/p.png)",
    "[pwn](http://host.example/)",
    "<http://host.example/pwn>",
    '<a href="http://host.example/">pwn</a>',
    "<img src=x onerror=alert(1)>pwn",
    "[pwn](javascript:alert(1))",
    "`pwn` ``x``",
    "{{7*7}} pwn",
    "${x} pwn $E=mc^2$",
    ":material/warning: :red[pwn]",
    "www.host.example/pwn",
    "pwn\\![x](http://host.example/q.png)",
    "http://host.example/pwn",
    "pwn@host.example",
    "WWW.host.example/pwn",
]
ALL = "\n".join(HOSTILE)
ONE_LINE = " ".join(HOSTILE)
#: The hostile strings a message quoting with repr() still shows unchanged (no backslash).
QUOTABLE = [h for h in HOSTILE if "\\" not in h]

_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_LIVE = {
    "link or image": re.compile(r"\[[^\]]*\]\s*[(\[]"),
    "autolink": re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:"),
    "HTML tag": re.compile(r"</?[A-Za-z!?]"),
    "bare URL": re.compile(r"(?:https?|ftp)://|www\.|javascript:", re.IGNORECASE),
    "code span": re.compile(r"`"),
    "maths": re.compile(r"\$"),
    "Streamlit directive": re.compile(r":[A-Za-z_]+/[A-Za-z_]+:|:[a-z]+\["),
}


#: GFM's literal autolinks, found in the text after its escapes are resolved.
_LITERAL = re.compile(r"(?i)https?://|www\.|[-.\w+]+@[-\w]+(?:\.[-\w]+)+")


def live_markup(source: str) -> list[str]:
    """Kinds of markup still live in Markdown `source` once escaped characters are set aside,
    and literal autolinks left once they are resolved.

    >>> live_markup("see ![x](http://h/p.png)")
    ['link or image', 'bare URL', 'literal autolink']
    >>> live_markup(r"http\\:\\/\\/h\\.example a\\@b\\.example")  # escaped, yet autolinked
    ['literal autolink']
    >>> live_markup(escape_markdown("see ![x](http://h/p.png) a@b.example"))
    []
    """
    bare = _ESCAPED.sub("\x00", source)
    kinds = [kind for kind, pattern in _LIVE.items() if pattern.search(bare)]
    if _LITERAL.search(_ESCAPED.sub(lambda m: m.group()[1], source)):
        kinds.append("literal autolink")
    return kinds



def showing_hostile_text(at: AppTest) -> list[str]:
    """The Markdown source of every element whose text shows the hostile marker."""
    assert not at.exception, at.exception
    elements = [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success,
                *at.title, *at.subheader]
    shown = [e.value for e in elements if MARK in plain(e.value)]
    assert shown, "the hostile text reached no element: this test would prove nothing"
    return shown


def assert_inert(at: AppTest, *verbatim: str) -> None:
    """No element showing hostile text has live markup; each of `verbatim` is shown as is."""
    shown = showing_hostile_text(at)
    assert {source: live_markup(source) for source in shown if live_markup(source)} == {}
    for text in verbatim:
        assert any(text in plain(source) for source in shown), text


def test_the_checker_sees_what_the_old_pages_did():
    """The pre-fix renderings: a URL notice in backticks, a note as a Markdown quote."""
    assert live_markup("- `p='`![x](http://host/p.png)`'`") != []
    assert live_markup("> " + HOSTILE[1]) == ["link or image", "bare URL", "literal autolink"]
    assert all(live_markup(h) for h in HOSTILE if h != "{{7*7}} pwn")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escaping_leaves_no_live_markup_and_the_same_text(hostile):
    source = escape_markdown(hostile)
    assert live_markup(source) == []
    assert plain(source) == hostile


# --- the map page: URL parameters come back as notices -------------------------------------

@pytest.mark.parametrize("param", ["p", "status", "basemap"])
def test_url_parameters_in_notices(param):
    at = map_app({"basemap": "none", param: ONE_LINE})
    at.run()
    assert_inert(at, *QUOTABLE)


# --- the review page: a field note and the reviewer's own name ------------------------------

def test_field_note_and_names_on_the_review_page(monkeypatch, isolated_store):
    from app.store.sqlite import Store, Submission

    Store(isolated_store).submit(Submission("tianshan-park", "correct", ONE_LINE, team=ONE_LINE,
                                            lon=121.4105, lat=31.2125, precision="site",
                                            accuracy_m=5, note=ALL))
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")

    def page():
        from app.ui.pages import review_page

        review_page.render()

    at = AppTest.from_function(page, default_timeout=60).run()
    at.text_input(key="signin_name_reviewer").input(ONE_LINE)
    at.text_input(key="signin_team_reviewer").input(ONE_LINE)
    at.text_input(key="signin_pass_reviewer").input("review-pass")
    at = at.button[[b.label for b in at.button].index("登录")].click().run()
    assert_inert(at, ONE_LINE, *HOSTILE)


# --- the import page: file names, headers, CRS names, register names -------------------------

def import_app(lang: str = "en") -> AppTest:
    def page():
        from app.ui.pages import import_page

        import_page.render()

    at = AppTest.from_function(page, default_timeout=120)
    at.session_state["w_lang"] = lang
    return at.run()


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    return at.file_uploader(key="imp_file").set_value((name, data, mime)).run()


def test_a_hostile_file_name_in_an_import_error():
    name = "![pwn](http:host.example p.png).gpkg"
    at = upload(import_app(), name, b"not a geopackage", "application/geopackage+sqlite3")
    assert at.error
    assert_inert(at, name)


def test_repeated_hostile_column_headers_in_an_import_error():
    out = io.StringIO()
    headers = [h for h in HOSTILE if "\n" not in h][:6]
    csv.writer(out).writerows([[*headers, *headers], ["x"] * (2 * len(headers))])
    at = upload(import_app(), "register.csv", out.getvalue().encode())
    assert at.error
    assert_inert(at)


def test_a_hostile_crs_name_in_a_geojson_file():
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": ONE_LINE}},
           "features": [{"type": "Feature", "properties": {"name": "a"},
                         "geometry": {"type": "Point", "coordinates": [121.41, 31.21]}}]}
    at = upload(import_app(), "register.geojson", json.dumps(doc).encode(), "application/geo+json")
    assert at.error
    assert_inert(at, *QUOTABLE)


def test_a_hostile_epsg_code_typed_on_the_import_page():
    at = upload(import_app(), "register.csv", b"name,lon,lat\na,121.41,31.21\n")
    at.selectbox(key="imp_crs").set_value("epsg").run()
    at.text_input(key="imp_epsg").input(ONE_LINE).run()
    assert at.error
    # Over the CRS text bound, so the message quotes only its first 20 characters.
    assert_inert(at, ONE_LINE[:20])


def test_a_hostile_register_name_and_planner_name(monkeypatch):
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = upload(import_app(), "register.csv", b"name,lon,lat\na,121.41,31.21\n")
    at.button(key="imp_run").click().run()
    at.text_input(key="signin_name_planner").input(ONE_LINE)
    at.text_input(key="signin_team_planner").input(ONE_LINE)
    at.text_input(key="signin_pass_planner").input("plan-pass")
    at = at.button[[b.label for b in at.button].index("Sign in")].click().run()
    at.text_input(key="imp_save_name").input(ONE_LINE).run()
    at.button(key="imp_save").click().run()
    assert at.error
    assert_inert(at, ONE_LINE)


# --- the frame: an AtlasError's message --------------------------------------------------------

def test_an_atlas_error_message_shown_by_the_frame():
    def page():
        from app.errors import SubmissionError
        from app.ui.frame import errors_shown

        with errors_shown("en"):
            raise SubmissionError("\n".join([
                "![pwn](http://host.example/p.png)", "[pwn](http://host.example/)",
                "<img src=x>pwn", "`pwn`", "$pwn$", ":material/warning: pwn"]))

    at = AppTest.from_function(page, default_timeout=60).run()
    assert_inert(at, "![pwn](http://host.example/p.png)")


def test_doctests():
    import sys

    assert doctest.testmod(app.domain.text).failed == 0
    assert doctest.testmod(app.ui.safe).failed == 0
    assert doctest.testmod(sys.modules[__name__]).failed == 0
