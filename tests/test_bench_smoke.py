"""Smoke tests of city-scale rendering and of ``python -m app.bench.render``, with a few thousand
synthetic features (the full benchmark is run by hand: see the README).

The browser parts use Debian's Chromium like tests/ui, on plain pages served by the benchmark's
own local server (no Streamlit), and are skipped where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import doctest
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
import shapely

import app.bench.render
from app.bench.render import CHROMIUM, CHROMIUM_ARGS, main, report, run, serve, summarise
from app.bench.synthetic import synthetic_atlas
from app.map.assets import localize
from app.map.builder import build_map

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")

XSS_NAME = '<img src=x onerror="window.__xss=1">${window.__xss=2}{{ 7*7 }}'
XSS_NOTE = "</script><script>window.__xss=3</script>"
MAP = "Object.values(window).find((v) => v instanceof L.Map)"


def test_doctests():
    assert doctest.testmod(app.bench.render).failed == 0


def test_the_command_prints_json_without_a_browser(capsys):
    assert main(["--features", "600", "--kind", "polygon", "--repeat", "1", "--no-browser",
                 "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["features"] == 600 and len(out["rounds"]) == 1
    figures = out["summary"]["figures"]
    for key in ("build_ours_s", "build_naive_s", "build_floor_s", "rerun_selective_ours_s",
                "rerun_broad_ours_s", "export_ours_mb_per_s", "export_naive_mb_per_s"):
        assert figures[key]["median"] > 0, key
    assert "draw_ours_s" not in figures


@needs_chromium
def test_one_round_measures_every_figure_in_the_browser():
    result = run(3000, "point", repeat=1, naive_n=300, timeout_s=60, live_changes=3,
                 live_visits=1)
    summary = summarise(result)
    app = result["live"]["app"]  # the real app: both ways of changing the filter were timed
    for key in ("first_map_s", "first_controls_s", "first_table_s", "change_p95_s",
                "rerun_p95_s", "sidebar_p95_s"):
        assert app[key] > 0, key
    assert result["live"]["harness"]["change_p95_s"] > 0
    figures = summary["figures"]
    for name in ("ours", "naive", "floor", "ours_at_naive_n"):
        for key in (f"build_{name}_s", f"draw_{name}_s", f"heap_{name}_mb", f"payload_{name}_mb"):
            assert figures[key]["median"] > 0, key
    assert summary["ratios"]["ours_vs_floor_build_draw"]["median"] > 0
    lines = report(summary)
    assert lines[0].startswith("3,000 point features") and len(lines) > 12
    first = next(line for line in lines if "first map (new visitor" in line)
    assert "target <= 0.700 s: " in first and "the sidebar's controls" in first
    cold = next(line for line in lines if "first map on a cold server" in line)
    assert "target <= 1.500 s: " in cold


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def hostile_city(atlas):
    """4,000 synthetic projects, all drawn on the canvas; the first one's texts try to run."""
    city = synthetic_atlas(atlas, 4000, "mixed", seed=21)
    frame = city.projects.copy()
    first = frame.index[0]
    frame.loc[first, ["name_zh", "description", "layer", "category", "precision", "geometry"]] = [
        XSS_NAME, XSS_NOTE, "renewal", "old_housing", "site", shapely.Point(121.3935, 31.2105)]
    return replace(city, projects=frame)


@needs_chromium
def test_canvas_map_draws_and_shows_text_as_text(hostile_city, browser):
    city = hostile_city
    html = localize(build_map(city, city.projects, basemap="none", svg_max=0)).get_root().render()
    pid = city.projects["id"].iloc[0]
    located = int(city.projects.geometry.notna().sum())
    with serve({"canvas.html": html}) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/pages/canvas.html")
        page.wait_for_function("window.__drawn !== undefined", timeout=30_000)

        stats = page.evaluate(f"window.atlasMap.stats({MAP})")
        assert stats["features"] == located and stats["drawnAt"] > 0
        assert page.locator("path.atlas-project").count() == 0  # nothing on the SVG path

        # Hover and click the hostile project where the painter drew it, zoomed in close.
        before = page.evaluate(f"window.atlasMap.stats({MAP}).drawnAt")
        page.evaluate(f"""() => {{ const map = {MAP};
            map.setView([31.2105, 121.3935], 18, {{animate: false}}); }}""")
        page.wait_for_function(f"window.atlasMap.stats({MAP}).drawnAt > {before}", timeout=5_000)
        x, y = page.evaluate(f"window.atlasMap.locate({MAP}, {json.dumps(pid)})")
        page.mouse.move(x, y)
        tip = page.locator(".leaflet-tooltip.atlas-canvas-tip .atlas-tip strong")
        tip.wait_for(timeout=5_000)
        assert tip.text_content() == XSS_NAME
        page.mouse.click(x, y)
        card = page.locator(f'.atlas-card[data-project-id="{pid}"]')
        card.wait_for(timeout=5_000)
        assert card.locator(".atlas-card-title").text_content() == XSS_NAME
        assert XSS_NOTE in card.text_content()

        # The focus path (?p=...) opens a canvas project's card too.
        page.evaluate(f"{MAP}.closePopup()")
        card.wait_for(state="detached", timeout=5_000)  # after the fade-out
        page.evaluate(f"window.atlasMap.openPopup({MAP}, {json.dumps(pid)})")
        card.wait_for(timeout=5_000)

        # Zooming out redraws in the browser only; the map still answers.
        before = page.evaluate(f"window.atlasMap.stats({MAP}).drawnAt")
        page.evaluate(f"{MAP}.setZoom(12, {{animate: false}})")
        page.wait_for_function(f"window.atlasMap.stats({MAP}).drawnAt > {before}", timeout=5_000)

        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator('img[src="x"]').count() == 0
        assert not errors, errors
        context.close()
