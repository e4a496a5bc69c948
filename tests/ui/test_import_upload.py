"""The import page in a real browser: a file chosen in the page's uploader is read, mapped,
imported, reported and drawn; a file over the size limit is refused with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.io.limits import UPLOAD_LIMIT_BYTES
from app.store import Store

from .conftest import assert_only_local_requests, record_requests, wait_for_app, wait_for_map

HERE = Path(__file__).resolve().parent
PLANNER_PASS = "plan-pass"  # noqa: S105 (a test passphrase)
TIMEOUT_MS = 30_000
CSV = ("项目名称,地址,经度,纬度,状态\n"
       "天山公园改造,,121.4110,31.2121,运营提升\n"
       "交换坐标,,31.2183,121.4186,\n"
       "投影坐标,,350000,3454000,\n"
       "地址项目,上海市长宁区延安中路1609号,,,\n"  # a road with no sketch in Changning
       "公园项目,天山公园,,,\n")


@pytest.fixture(scope="module")
def import_app(app_server, tmp_path_factory) -> tuple[str, Path]:
    store = tmp_path_factory.mktemp("import") / "store.sqlite"
    env = {"ATLAS_STORE": str(store), "ATLAS_PLANNER_SECRET": PLANNER_PASS}
    return app_server(HERE / "import_upload_app.py", env=env), store


def choose_file(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))


def test_upload_import_report_map_and_save(desktop_page: Page, import_app, tmp_path, screenshot):
    url, store = import_app
    page = desktop_page
    log = record_requests(page)
    page.goto(url)
    wait_for_app(page)
    source = tmp_path / "清单.csv"
    source.write_bytes(CSV.encode("gbk"))
    choose_file(page, source)
    # the mapping inferred from the GBK headers is shown before anything is imported
    expect(page.get_by_role("heading", name="列对应关系")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="名称", exact=True)).to_have_value("项目名称")
    expect(page.get_by_role("combobox", name="经度 / X", exact=True)).to_have_value("经度")
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    page.get_by_role("button", name="导入", exact=True).click()
    metrics = page.get_by_test_id("stMetric")
    expect(metrics).to_have_count(4, timeout=TIMEOUT_MS)
    wait_for_app(page)
    assert [" ".join(m.split()) for m in metrics.all_inner_texts()] == [
        "已定位 2", "已修正 1", "未定位 1", "已拒绝 1"]
    frame = wait_for_map(page)
    expect(frame.locator("path.atlas-project")).to_have_count(3, timeout=TIMEOUT_MS)
    screenshot(page, "import-upload")
    # saving needs the planner role
    page.get_by_label("姓名").fill("赵规划")
    page.get_by_label("口令").fill(PLANNER_PASS)
    page.get_by_role("button", name="登录", exact=True).click()
    wait_for_app(page)
    page.get_by_label("清单名称(字母、数字、- 或 _)").fill("parks-2025")
    page.get_by_label("清单名称(字母、数字、- 或 _)").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("已保存清单 parks-2025")).to_be_visible(timeout=TIMEOUT_MS)
    assert Store(store).registers()[["name", "saved_by"]].values.tolist() == [["parks-2025", "赵规划"]]
    assert_only_local_requests(log)


def test_a_file_over_the_limit_is_refused_with_a_message(desktop_page: Page, import_app, tmp_path):
    url, _ = import_app
    page = desktop_page
    page.goto(url)
    wait_for_app(page)
    big = tmp_path / "big.csv"
    big.write_bytes(b"name\n" + b"x" * UPLOAD_LIMIT_BYTES)
    choose_file(page, big)
    # 5 MiB + 5 bytes: the browser lets it through (its limit is set above ours in MB of either
    # kind) and the page refuses it, stating the bound in MiB and in bytes
    refusal = page.get_by_test_id("stAlert").filter(has_text="上限为 5 MiB(5242880 字节)")
    expect(refusal).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("alert").filter(has_text="File must be")).to_have_count(0)
    expect(page.get_by_test_id("stSelectbox")).to_have_count(0)
