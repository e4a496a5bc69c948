"""A sign-in form filled in over Streamlit's websocket, as a browser would: for the burst test.

:func:`guesses` opens one session of a page, reads the passphrase form's widget ids from what
the server draws, then sends the form `count` times with a wrong passphrase, each after the
previous run ended, and returns what each answer said: ``wrong`` (the passphrase was checked),
``locked`` (refused unchecked: the session or the address must wait) or ``other``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.bench import load
from app.domain.i18n import t

_FINISHED = ForwardMsg.ScriptFinishedStatus


def _request(page: str, states: Mapping[str, Any] | None = None) -> bytes:
    """A rerun of `page`; `states` maps widget ids to a text value, or True for a trigger."""
    msg = BackMsg()
    msg.ParseFromString(load._rerun_request(page, ""))
    for widget_id, value in (states or {}).items():
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        if value is True:
            state.trigger_value = True
        else:
            state.string_value = value
    return msg.SerializeToString()


async def _run(ws: Any) -> tuple[dict[str, str], str | None, list[str]]:
    """One script run's (text input ids by their key, the form's submit button id, errors)."""
    inputs: dict[str, str] = {}
    submit, errors = None, []
    for _ in range(load.MAX_MESSAGES):
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            if kind == "text_input":
                inputs[element.text_input.id.rsplit("-", 1)[-1]] = element.text_input.id
            elif kind == "button" and element.button.is_form_submitter:
                submit = element.button.id
            elif kind == "alert" and element.alert.format == Alert.ERROR:
                errors.append(element.alert.body)
        if msg.WhichOneof("type") == "script_finished":
            if msg.script_finished == _FINISHED.FINISHED_EARLY_FOR_RERUN:
                continue
            return inputs, submit, errors
    raise AssertionError("no end of the script run")


def _verdict(errors: list[str]) -> str:
    if any(t("auth.wrong", "zh") in e for e in errors):
        return "wrong"
    if any("尝试次数过多" in e for e in errors):
        return "locked"
    return "other:" + json.dumps(errors, ensure_ascii=False)[:200]


async def guesses(base_url: str, page: str, role: str, count: int,
                  headers: Mapping[str, str], timeout_s: float = 180) -> list[str]:
    """Send the `role` sign-in form of `page` `count` times, wrong; what each answer said."""
    websockets = load._websockets()
    address = f"ws://{base_url.split('://', 1)[1]}/_stcore/stream"
    verdicts = []
    async with asyncio.timeout(timeout_s):
        async with websockets.connect(address, subprotocols=["streamlit"], origin=base_url,
                                      max_size=load.MAX_MESSAGE_BYTES, proxy=None,
                                      additional_headers=dict(headers), ping_interval=None,
                                      open_timeout=None) as ws:
            await ws.send(_request(page))
            inputs, submit, _ = await _run(ws)
            assert submit is not None, f"no sign-in form on {page}: {sorted(inputs)}"
            for n in range(count):
                await ws.send(_request(page, {
                    inputs[f"signin_name_{role}"]: "试探者", inputs[f"signin_team_{role}"]: "",
                    inputs[f"signin_pass_{role}"]: f"guess-{n}", submit: True}))
                _, _, errors = await _run(ws)
                verdicts.append(_verdict(errors))
    return verdicts
