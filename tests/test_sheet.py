"""Map sheets and field sheets (app/sheet, ``python -m app sheet``): size and DPI, a PDF with
its title as text, pixels where the affine transform says, QR codes that decode to the links,
language, determinism and clear errors."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pypdf
import pytest
import zxingcpp
from matplotlib.colors import to_rgb
from PIL import Image

from app.cli.main import main
from app.data.atlas import load_atlas
from app.domain.filters import Filter
from app.domain.text import unescape_markdown as plain
from app.errors import ExportError, FilterError
from app.geo.navlinks import amap_link, baidu_link
from app.sheet import SheetOptions, field_sheet, map_sheet, parse_bbox, permalink
from app.sheet import fonts as sheet_fonts
from app.sheet.drawing import PT_PER_PX
from app.ui.downloads import FILES
from tests.apptest import map_app

DAY = date(2026, 1, 8)
#: A located site project drawn as a filled dot: INTEX, a key renewal project.
KNOWN = "intex-renewal"


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def png(sheet) -> Image.Image:
    return Image.open(io.BytesIO(sheet.to_bytes("png")))


def decoded(image: Image.Image) -> set[str]:
    return {code.text for code in zxingcpp.read_barcodes(image.convert("L"))}


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(("size", "orientation", "dpi", "mm"), [
    ("A4", "landscape", 60, (297, 210)),
    ("A3", "portrait", 50, (297, 420)),
])
def test_png_has_the_paper_size_at_the_requested_dpi(atlas, size, orientation, dpi, mm):
    options = SheetOptions(size=size, orientation=orientation, dpi=dpi)
    image = png(map_sheet(atlas, Filter(), options, DAY))
    assert image.size == options.pixels()
    assert image.size == tuple(round(v / 25.4 * dpi) for v in mm)
    assert tuple(round(v) for v in image.info["dpi"]) == (dpi, dpi)


def test_field_sheet_defaults_to_portrait(atlas):
    image = png(field_sheet(atlas, KNOWN, SheetOptions(dpi=50), DAY))
    assert image.size == (round(210 / 25.4 * 50), round(297 / 25.4 * 50))


def test_pdf_has_one_page_with_the_title_as_text(atlas):
    for lang, title in (("en", "Changning Urban Renewal Atlas"), ("zh", "长宁城市更新地图")):
        data = map_sheet(atlas, Filter(values={"layer": ("renewal",)}),
                         SheetOptions(lang=lang), DAY).to_bytes("pdf")
        pages, text = pdf_text(data)
        assert pages == 1
        assert title in text
        box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 in points


def test_a_project_appears_in_its_colour_where_the_transform_says(atlas):
    row = atlas.projects.set_index("id").loc[KNOWN]
    flt = Filter(values={"layer": ("renewal",)}, query=row["name_en"])
    sheet = map_sheet(atlas, flt, SheetOptions(dpi=100, ref_layers=()), DAY)
    pixels = np.asarray(png(sheet).convert("RGB")).astype(float)
    colour = np.array(to_rgb(atlas.spec("renewal").colour_for(row["category"]))) * 255
    expected = 0.85 * colour + 0.15 * 255  # the dot's fill opacity over white paper
    col, line = sheet.pixel_of(row.geometry.x, row.geometry.y)
    assert np.abs(pixels[int(line), int(col)] - expected).max() < 12
    # and nowhere else on the map: every pixel of that colour inside the map is within the dot
    (left, top), (right, bottom) = (sheet.frames[0].pixel_of(*corner) for corner in (
        (121.33, 31.245), (121.46, 31.17)))
    rows, cols = np.nonzero(np.abs(pixels - expected).max(axis=2) < 12)
    inside = (cols > left) & (cols < right) & (rows > top) & (rows < bottom)
    assert inside.sum() > 10
    style = atlas.spec("renewal").style  # marker radius plus half its outline, points -> pixels
    radius = (style["radius"] + style["weight"] / 2) * PT_PER_PX / 72 * 100
    distance = np.hypot(cols[inside] - col, rows[inside] - line)
    assert distance.max() <= radius + 1


def test_the_affine_transform_is_metric_and_north_up(atlas):
    sheet = map_sheet(atlas, Filter(), SheetOptions(dpi=72), DAY)
    a, b, _, d, e, _ = sheet.frames[0].affine()
    assert b == d == 0 and a > 0 and e == pytest.approx(-a)  # square metres, rows grow southward


def test_map_sheet_qr_decodes_to_the_permalink(atlas):
    flt = Filter(values={"layer": ("renewal", "public_space"), "status": ("planning",)}, query="天山")
    options = SheetOptions(lang="en", dpi=150, bbox=(121.38, 31.19, 121.43, 31.23))
    sheet = map_sheet(atlas, flt, options, DAY)
    link = permalink(flt, options)
    assert link.startswith("http://localhost:8501/?lang=en&basemap=none&layer=renewal,public_space")
    assert sheet.links["permalink"] == link
    assert link in decoded(png(sheet))


def test_field_sheet_qrs_decode_to_the_navigation_links(atlas):
    row = atlas.projects.set_index("id").loc["tianshan-park"]
    sheet = field_sheet(atlas, "tianshan-park", SheetOptions(dpi=150), DAY)
    codes = decoded(png(sheet))
    x, y = row.geometry.x, row.geometry.y
    assert {amap_link(x, y, row["name_zh"]), baidu_link(x, y, row["name_zh"])} <= codes
    text = "\n".join(sheet.texts)
    assert "31.211923, 121.410938" in text  # WGS-84, lat first
    assert "GCJ-02" in text and "BD-09" in text and "延安西路站" in text


def test_unlocated_project_gets_no_position(atlas):
    projects = atlas.projects
    unlocated = projects.loc[projects.geometry.isna() & (projects["precision"] == "unlocated"), "id"]
    sheet = field_sheet(atlas, unlocated.iloc[0], SheetOptions(lang="en", dpi=50), DAY)
    assert sheet.frames == () and sheet.links == {}
    assert any("not located" in text for text in sheet.texts)


def test_zh_and_en_sheets_differ_in_their_text(atlas):
    texts = {lang: pdf_text(map_sheet(atlas, Filter(), SheetOptions(lang=lang), DAY)
                            .to_bytes("pdf"))[1] for lang in ("zh", "en")}
    assert "Legend" in texts["en"] and "图例" in texts["zh"]
    assert "Legend" not in texts["zh"] and "图例" not in texts["en"]
    field = {lang: field_sheet(atlas, KNOWN, SheetOptions(lang=lang, dpi=50), DAY).texts
             for lang in ("zh", "en")}
    assert field["zh"] != field["en"] and "Nearest metro stations" in field["en"]


def test_same_inputs_same_bytes_apart_from_the_date(atlas):
    flt = Filter(values={"layer": ("renewal",)})
    options = SheetOptions(dpi=50)
    for fmt in ("png", "pdf"):
        first = map_sheet(atlas, flt, options, DAY).to_bytes(fmt)
        assert map_sheet(atlas, flt, options, DAY).to_bytes(fmt) == first
        assert map_sheet(atlas, flt, options, date(2026, 1, 9)).to_bytes(fmt) != first


def test_cli_writes_a_sheet(tmp_path, capsys):
    target = tmp_path / "renewal.png"
    status = main(["sheet", "--output", str(target), "--layer", "renewal", "--lang", "en",
                   "--dpi", "50", "--orientation", "portrait"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert out.strip() == f"wrote the map sheet to {target}"
    assert Image.open(target).size == (413, 585)
    status = main(["sheet", "--output", str(tmp_path / "f.pdf"), "--project", KNOWN])
    assert status == 0 and pdf_text((tmp_path / "f.pdf").read_bytes())[0] == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--bbox", "121.44,31.19,121.36,31.23"], "error: bbox '121.44,31.19,121.36,31.23': minlon must be less than maxlon"),
    (["--bbox", "nan,1,2,3"], "error: bbox 'nan,1,2,3': need four numbers"),
    (["--project", "no-such-project"], "error: unknown project 'no-such-project'"),
    (["--where", "status=dreaming"], "error: unknown value(s) ['dreaming'] for 'status'"),
    (["--ref", "metro"], "error: unknown reference layer(s) ['metro']"),
    (["--dpi", "5"], "error: dpi 5: use a whole number from 50 to 600"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    target = tmp_path / "sheet.png"
    status = main(["sheet", "--output", str(target), *args])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
    assert not target.exists()


@pytest.mark.parametrize("where", ["missing/sheet.png", "folder", "sheet.svg"])
def test_cli_unwritable_output_is_one_line_and_exit_2(tmp_path, capsys, where):
    (tmp_path / "folder").mkdir()
    status = main(["sheet", "--output", str(tmp_path / where), "--dpi", "50"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert str(tmp_path / where).split("/")[-1] in err


def test_write_refuses_a_folder_and_replaces_a_file(atlas, tmp_path):
    (tmp_path / "folder.png").mkdir()
    sheet = map_sheet(atlas, Filter(), SheetOptions(dpi=50), DAY)
    with pytest.raises(ExportError, match="it is a folder"):
        sheet.write(tmp_path / "folder.png")
    target = tmp_path / "sheet.png"
    target.write_bytes(b"old")
    assert sheet.write(target) == target
    assert target.read_bytes().startswith(b"\x89PNG")


def test_bad_options_name_the_value():
    with pytest.raises(FilterError, match=r"size 'A5': use one of A4, A3"):
        SheetOptions(size="A5")
    with pytest.raises(FilterError, match="must lie within"):
        parse_bbox("0,0,1,1")


def test_map_page_offers_the_sheet_of_its_view():
    at = map_app({"basemap": "none", "layer": "renewal", "lang": "en"})
    at.run()
    assert not at.exception
    assert "dl_sheet" not in [b.key for b in at.get("download_button")]
    at.button(key="dl_sheet_make").click().run()  # drawn when asked for
    assert not at.exception and not at.error
    assert at.download_button(key="dl_sheet").proto.label == "Download map sheet (PDF)"
    assert at.session_state[FILES]["dl_sheet"][1].startswith(b"%PDF")


def test_a_sheet_that_cannot_be_drawn_says_why_on_the_page(monkeypatch):
    monkeypatch.setattr(sheet_fonts, "CJK_FAMILIES", ("No Such Font CJK",))
    sheet_fonts.cjk_font_family.cache_clear()
    try:
        at = map_app({"basemap": "none", "p": "tianshan-park"}).run()
        at.button(key="dl_sheet_make").click().run()
        assert any("无法生成地图图幅(PDF)" in plain(e.value) and "中文字体" in plain(e.value)
                   for e in at.error), [e.value for e in at.error]
        assert "dl_sheet" not in [b.key for b in at.get("download_button")]
        at.button(key="dl_map_field_sheet_make").click().run()  # the field sheet, the same way
        assert any("无法生成现场核查单(PDF)" in plain(e.value) and "fonts-noto-cjk" in plain(e.value)
                   for e in at.error)
    finally:
        monkeypatch.undo()
        sheet_fonts.cjk_font_family.cache_clear()


def test_missing_cjk_font_says_what_to_install(monkeypatch, atlas):
    monkeypatch.setattr(sheet_fonts, "CJK_FAMILIES", ("No Such Font CJK",))
    sheet_fonts.cjk_font_family.cache_clear()
    try:
        with pytest.raises(ExportError, match="no CJK font found.*fonts-noto-cjk"):
            map_sheet(atlas, Filter(), SheetOptions(dpi=50), DAY)
    finally:
        monkeypatch.undo()
        sheet_fonts.cjk_font_family.cache_clear()


def test_field_sheet_lists_the_stage_history_of_the_living_register(atlas, tmp_path):
    from app.service.atlas import shown_atlas
    from app.service.living import propose_edit, seed_register
    from app.store import Store

    store = Store(tmp_path / "s.sqlite")
    seed_register(store, atlas)
    living = shown_atlas(store=store, base=atlas).atlas
    version = int(living.projects.set_index("id").loc[KNOWN, "edit_version"])
    propose_edit(store, living, KNOWN, actor="李规划", reason="开工", expected_version=version,
                 stage=("construction", "2025-05-20", "区建管委开工通报"))
    living = shown_atlas(store=store, base=atlas).atlas
    text = "\n".join(field_sheet(living, KNOWN, SheetOptions(lang="en", dpi=50), DAY).texts)
    assert "Stage history:" in text
    assert "2025-05-20 · Under construction · 区建管委开工通报" in text
    assert text.index("2025-01-08 · ") < text.index("2025-05-20 · ")
    plain = "\n".join(field_sheet(atlas, KNOWN, SheetOptions(lang="en", dpi=50), DAY).texts)
    assert "Stage history" not in plain  # a register without history says nothing about it
