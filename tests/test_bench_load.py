"""``python -m app.bench load``: a small crowd against the real app, and what it refuses.

Timing is not asserted here (the figures depend on the machine): only that every session of
the map page completed -- its script run finished and the map element arrived -- with no error.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from app.bench import load
from app.bench.__main__ import main as bench_main


def test_three_sessions_of_the_map_page_complete_without_error(capsys):
    assert bench_main(["load", "--sessions", "3", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    (crowd,) = result["rounds"]
    assert (crowd["sessions"], crowd["done"], crowd["errors"]) == (3, 3, 0)
    assert result["warmup"]["error"] is None
    # the live map element carries its arguments (mask, legend, the base file's URL), not the map
    assert crowd["map_bytes"] > 1_000
    assert crowd["p50_s"] <= crowd["p95_s"] <= crowd["max_s"]
    assert result["rss_before"] > 0 and crowd["rss_after"] > 0  # the server was measured


def test_a_missing_page_is_an_error_not_a_completed_session():
    with load.started_server() as server:
        outcome = load.run(server, sessions=1, page="no-such-page", timeout_s=60, warmup=False)
    (crowd,) = outcome["rounds"]
    assert crowd["done"] == 0 and crowd["errors"] == 1
    assert "page not found" in next(iter(crowd["error_kinds"]))


@pytest.mark.parametrize("url", ["http://192.0.2.10:8501", "http://example.org",
                                 "ws://127.0.0.1:8501"])
def test_only_loopback_servers_are_driven(url, capsys):
    assert bench_main(["load", "--url", url, "--sessions", "1"]) == 2
    assert "--url must" in capsys.readouterr().err


def test_a_silent_loopback_url_is_refused_with_a_message(capsys):
    port = load.free_port()  # nothing listens there
    assert bench_main(["load", "--url", f"http://127.0.0.1:{port}", "--quiet"]) == 2
    assert f"no Streamlit server answers at http://127.0.0.1:{port}" in capsys.readouterr().err


def test_without_a_subcommand_the_render_benchmark_runs():
    # `python -m app.bench --help` is still the render benchmark's, as before `load` existed
    out = subprocess.run([sys.executable, "-m", "app.bench", "--help"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert "--features" in out and "python -m app.bench.render" in out


# --- reading a run, without a server -------------------------------------------------------


class _Replay:
    """A websocket that plays back serialized ForwardMsgs."""

    def __init__(self, messages: list) -> None:
        self.frames = [m.SerializeToString() for m in messages]

    async def recv(self) -> bytes:
        return self.frames.pop(0)


def _element(kind: str, **fields):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    element = getattr(msg.delta.new_element, kind)
    for name, value in fields.items():
        setattr(element, name, value)
    return msg


def _finished(status: str):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.script_finished = ForwardMsg.ScriptFinishedStatus.Value(status)
    return msg


def _read(messages: list) -> tuple[str | None, int]:
    return asyncio.run(load._read_run(_Replay(messages), [0]))[:2]


MAP = {"component_name": load.MAP_COMPONENT, "json_args": '{"html": "..."}'}


def test_a_run_is_done_when_it_finished_with_the_map():
    assert _read([_element("markdown", body="hi"), _element("component_instance", **MAP),
                  _finished("FINISHED_SUCCESSFULLY")]) == (None, len(MAP["json_args"]))


def test_a_run_that_reran_counts_the_map_of_its_last_run_only():
    error, _ = _read([_element("component_instance", **MAP), _finished("FINISHED_EARLY_FOR_RERUN"),
                      _element("markdown", body="no map this time"),
                      _finished("FINISHED_SUCCESSFULLY")])
    assert error == "the run finished without the map element"


@pytest.mark.parametrize(("messages", "expected"), [
    ([_element("exception", type="KeyError", message="'w_q'")],
     "exception on the page: KeyError: 'w_q'"),
    ([_element("alert", body="数据存储暂时不可用", format=1)],
     "error notice on the page: 数据存储暂时不可用"),
    ([_element("component_instance", **MAP), _finished("FINISHED_WITH_COMPILE_ERROR")],
     "script run ended with FINISHED_WITH_COMPILE_ERROR"),
])
def test_what_the_page_shows_as_a_failure_is_an_error(messages, expected):
    assert _read(messages)[0] == expected


def test_an_information_notice_is_not_an_error():
    assert _read([_element("alert", body="登录后可提交", format=3),
                  _element("component_instance", **MAP),
                  _finished("FINISHED_SUCCESSFULLY")])[0] is None
