"""Viewing and previewing are open; writing to the store needs a role. An anonymous visitor
can import and preview a file but has no way to save it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_import_page import CSV, metrics, start, upload


def test_saving_needs_the_planner_role(isolated_store: Path, monkeypatch: pytest.MonkeyPatch):
    from app.store import Store

    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = upload(start(), "清单.csv", CSV.encode())
    at.button(key="imp_run").click().run()
    assert metrics(at)  # the preview, report and map stay open to everyone
    assert any("规划师" in i.value for i in at.info)
    assert "imp_save" not in [b.key for b in at.button]  # no save button before signing in
    assert Store(isolated_store).registers().empty
