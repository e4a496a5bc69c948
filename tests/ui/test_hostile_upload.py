"""An endless GeoPackage uploaded anonymously on the import page of a real server: refused
within 10 s, while another visitor's session is served, and no core is left spinning."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, expect

from tests.hostile_files import endless_view_gpkg

from .conftest import DESKTOP, wait_for_app

HERE = Path(__file__).resolve().parent
REFUSED_WITHIN_MS = 10_000
_TICKS = os.sysconf("SC_CLK_TCK")


def _server_pid(url: str) -> int:
    """The process id of the streamlit server listening on `url`'s port."""
    needle = f"--server.port\0{urlsplit(url).port}\0".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise AssertionError(f"no server process for {url}")


def _cpu_seconds(root: int) -> float:
    """CPU seconds used so far by process `root` and its living children (the parse workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def test_an_endless_view_is_refused_while_another_session_is_served(browser: Browser, app_server,
                                                                     tmp_path):
    url = app_server(HERE / "import_upload_app.py")
    endless = endless_view_gpkg(tmp_path / "endless.gpkg")
    uploader = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    other = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    try:
        uploader.goto(url)
        wait_for_app(uploader)
        started = time.monotonic()
        uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(endless))
        other.goto(url)  # another visitor arrives while the file is being read
        refusal = uploader.get_by_test_id("stAlertContentError").filter(has_text="SQL 视图")
        expect(refusal).to_be_visible(timeout=REFUSED_WITHIN_MS)
        assert time.monotonic() - started < REFUSED_WITHIN_MS / 1000
        assert "endless.gpkg" in refusal.inner_text()
        wait_for_app(other)
        expect(other.get_by_text("导入项目清单")).to_be_visible()
        # nothing keeps reading the file: the server and its workers are idle again
        pid = _server_pid(url)
        before, window_start = _cpu_seconds(pid), time.monotonic()
        time.sleep(2.0)  # a measuring window, not a wait for a condition
        busy = (_cpu_seconds(pid) - before) / (time.monotonic() - window_start)
        assert busy < 0.5, f"the server used {busy:.0%} of a core after the refusal"
    finally:
        uploader.context.close()
        other.context.close()
