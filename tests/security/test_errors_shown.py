"""Failures reach users as the project's own messages, never as tracebacks: a locked store, a
value the page never offered (a forged widget state), a refused action; error details are off and
the passphrase file stays out of git."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.store import Store
from tests.test_field_pages import every_text, shielded_field_app, sign_in


def test_a_locked_store_gives_our_message_and_keeps_the_input(monkeypatch, isolated_store, caplog):
    import logging
    import sqlite3
    from pathlib import Path

    from app.ui import cache

    # a short busy timeout, so that the test waits a fraction of a second, not 15 s
    monkeypatch.setattr(cache, "open_store", lambda: Store(isolated_store, busy_timeout_s=0.2))
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    at = sign_in(shielded_field_app().run(), "field", "王工", "field-pass")
    at.selectbox(key="field_pick").set_value("tianshan-park").run()
    at.text_area[0].input("入口在北侧")
    holder = sqlite3.connect(isolated_store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR, logger="app.ui.frame"):
            at.button[[b.label for b in at.button].index("提交")].click().run()
    finally:
        holder.rollback()
        holder.close()
    assert not at.exception
    assert any("数据库暂时繁忙" in e.value and "仍在" in e.value for e in at.error)
    shown = every_text(at)
    root = str(Path(__file__).resolve().parents[2])
    assert "Traceback" not in shown and root not in shown and "sqlite" not in shown.lower()
    assert "database is locked" in caplog.text and "Traceback" in caplog.text  # the server log
    assert at.text_area[0].value == "入口在北侧"  # the input is kept
    assert Store(isolated_store).submissions().empty
    at.button[[b.label for b in at.button].index("提交")].click().run()  # lock gone: try again
    assert any("已保存" in s.value for s in at.success)
    assert Store(isolated_store).submissions()["note"].tolist() == ["入口在北侧"]


def test_an_unknown_value_gives_a_clean_message(caplog):
    """A value the page never offered (e.g. a forged widget value) is looked up and missed."""
    import logging

    def page():
        from app.ui.frame import errors_shown

        with errors_shown("en"):
            {"tianshan-park": 1}["forged-value"]

    with caplog.at_level(logging.ERROR, logger="app.ui.frame"):
        at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The page received a value it does not know and ignored it. Reload the page and try again."]
    assert "forged-value" in caplog.text and "forged-value" not in every_text(at)


def test_an_atlas_error_is_shown_in_the_users_language():
    def page():
        from app.domain.messages import keyed
        from app.errors import SubmissionError
        from app.ui.frame import errors_shown

        with errors_shown("zh"):
            raise keyed(SubmissionError, "err.correction_note")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    from app.domain.text import unescape_markdown

    assert [unescape_markdown(e.value) for e in at.error] == ["无法完成此操作:更正需要说明:登记位置有什么问题"]


def test_an_error_known_only_in_english_is_not_shown_in_english_on_a_chinese_page(caplog):
    def page():
        from app.errors import SubmissionError
        from app.ui.frame import errors_shown

        with errors_shown("zh"):
            raise SubmissionError("a note is needed")

    with caplog.at_level("WARNING", logger="app.ui.safe"):
        at = AppTest.from_function(page, default_timeout=60).run()
    assert [e.value for e in at.error] == ["无法完成此操作:详细原因已记入服务器日志"]
    assert "a note is needed" in caplog.text  # the details go to the server's log


def test_error_details_are_not_shown_to_users():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml")
                           .read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_secrets_are_ignored_by_git():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=root,
                          check=False)
    assert done.returncode == 0
