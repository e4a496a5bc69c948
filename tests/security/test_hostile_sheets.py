"""Sheets on hostile or bare input: a name of 10,000 characters, a machine without fonts.

A long name is cut with an ellipsis on the sheet, and the navigation links printed as QR codes
drop it before they would overflow a printable code; the sheet's font comes with the package
(``noto-cjk-sans-otc``), so a machine whose only fonts are matplotlib's own draws the same sheet.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pypdf
import zxingcpp
from PIL import Image

from app.cli.main import main
from app.sheet.fonts import PACKAGED_FAMILY, packaged_font

ROOT = Path(__file__).resolve().parents[2]
LONG_NAME = "长宁" * 5000  # 10,000 characters


def _saved_register(tmp_path: Path, capsys) -> None:
    """A saved register 'long' whose one located project has a 10,000-character name."""
    source = tmp_path / "long.csv"
    source.write_text(f"名称,经度,纬度\n{LONG_NAME},121.4186,31.2183\n", encoding="utf-8")
    assert main(["import", str(source), "--save", "long"]) == 0
    capsys.readouterr()


def test_a_long_name_is_cut_and_the_qr_links_stay_printable(tmp_path, capsys):
    _saved_register(tmp_path, capsys)
    pdf, png = tmp_path / "field.pdf", tmp_path / "field.png"
    for target in (pdf, png):
        status = main(["sheet", "--output", str(target), "--register", "long",
                       "--project", "import-0001", "--dpi", "200"])
        out, err = capsys.readouterr()
        assert status == 0 and err == "", err
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1 and "…" in text
    assert text.count("长宁") < 400  # two lines of title, not 10,000 characters
    links = {code.text for code in zxingcpp.read_barcodes(Image.open(png).convert("L"))}
    assert len(links) == 2, links
    assert all(len(link) < 420 and "uri.amap.com" in link or "api.map.baidu.com" in link
               for link in links)


def test_a_sheet_draws_with_no_system_font_visible(tmp_path):
    """matplotlib sees only its own fonts (DejaVu, no CJK at all) and a fresh cache: the sheet
    is drawn in the packaged Noto Sans CJK SC, its Chinese kept as text."""
    assert packaged_font() is not None, "noto-cjk-sans-otc is a dependency: pip install -e ."
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        import matplotlib
        from matplotlib import font_manager
        own = Path(matplotlib.get_data_path())
        font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist
                                            if Path(f.fname).is_relative_to(own)]
        font_manager.fontManager._findfont_cached.cache_clear()
        assert not [f for f in font_manager.fontManager.ttflist if "CJK" in f.name]
        from app.cli.main import main
        sys.exit(main(sys.argv[1:]))
    """)
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig></fontconfig>\n', encoding="utf-8")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "FONTCONFIG_FILE": str(conf),
           "ATLAS_STORE": str(tmp_path / "store.sqlite")}
    target = tmp_path / "sheet.pdf"
    result = subprocess.run(
        [sys.executable, "-c", script, "sheet", "--output", str(target), "--project",
         "intex-renewal"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
        check=False)
    assert result.returncode == 0, result.stderr
    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    fonts = {str(font.get("/BaseFont", ""))
             for font in reader.pages[0]["/Resources"]["/Font"].get_object().values()
             for font in [font.get_object()]}
    assert any("NotoSansCJK" in name for name in fonts), fonts
    assert "现场核查" in reader.pages[0].extract_text()
    assert PACKAGED_FAMILY == "Noto Sans CJK SC"
