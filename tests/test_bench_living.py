"""Smoke tests of ``python -m app.bench living`` and ``scale`` on small registers (the full
figures are measured by hand: see the README)."""

from __future__ import annotations

import json

import pytest

from app.bench.__main__ import main


def test_the_living_bench_prints_one_json_object_per_size(capsys):
    assert main(["living", "--projects", "40,80", "--repeat", "1", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["projects"] for line in lines] == [40, 80]
    assert all(line["fold_s"] > 0 and line["revision_s"] > 0 and line["log_rows"] >= 5 * line["projects"]
               for line in lines)


def test_the_scale_bench_times_export_against_the_report(capsys):
    assert main(["scale", "--projects", "60", "--repeat", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["43", "projects"] and out[1].split()[:2] == ["60", "projects"]
    assert "target" in out[1]


def test_a_bad_size_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["living", "--projects", "many"])
    assert stop.value.code == 2
    assert "whole numbers" in capsys.readouterr().err
