"""The coverage table: every sentence of the report's part 二 decided, checked by validate."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.cli.main import main
from app.data.coverage import COVERAGE_FILE, REPORT_FILE, split_sentences

DATA = Path(__file__).resolve().parents[1] / "geodata"


def run_validate(data_dir: Path, layers_dir: Path, capsys) -> tuple[int, str]:
    code = main(["--data-dir", str(data_dir), "--layers-dir", str(layers_dir), "validate"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_every_sentence_of_the_report_is_decided(atlas):
    sentences = split_sentences((DATA / REPORT_FILE).read_text(encoding="utf-8"))
    coverage = atlas.coverage
    assert coverage is not None and coverage.problems == []
    assert coverage.sentences == len(sentences) == 162
    assert coverage.place_bound + coverage.not_place_bound == coverage.sentences
    whole = atlas.projects[atlas.projects["parent"].fillna("") == ""]
    assert coverage.items == len(whole)  # every report item is named by some sentence


@pytest.mark.parametrize("phrase", [
    "15分钟就业服务圈", "既有多层住宅加装电梯", "扩大公园24小时开放范围", "市民健身中心街镇全覆盖",
    "新一轮美丽街区", "雨污混接", "架空线全面入地", "轨交站点周边", "知识产权运营服务集聚区",
    "直播经济集聚区", "时尚消费街区集聚区", "国家重点高水平体育后备人才基地", "一刻钟便民生活圈",
    "两旧一村"])
def test_programmes_of_one_kind_are_decided_alike(phrase):
    """The audit found some district-wide programmes entered and others of the same kind not:
    each sentence that sets one now names a register entry."""
    table = tomllib.loads((DATA / COVERAGE_FILE).read_text(encoding="utf-8"))
    sentences = split_sentences((DATA / REPORT_FILE).read_text(encoding="utf-8"))
    [n] = [i for i, s in enumerate(sentences, 1) if phrase in s]
    [entry] = [e for e in table["sentence"] if e["n"] == n]
    assert entry.get("projects"), (phrase, entry)


def test_validate_prints_the_coverage(data_copy, layers_copy, capsys):
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 0, output
    assert re.search(r"report part 二: 162 sentences, 162 decided: \d+ place-bound \(\d+ register "
                     r"items\), \d+ not place-bound", output)


def _edit(data_dir: Path, old: str, new: str) -> None:
    path = data_dir / COVERAGE_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    # a sentence with no decision
    ('[[sentence]]\nn = 87\nopening = "稳步推进光伏建设和应用。"\nprojects = ["photovoltaic-rollout"]\n', "",
     "sentence 87 of the report has no decision: 稳步推进光伏建设和应用。"),
    ('n = 4\nopening = "综合各方面因素,建议今年"\nnot_place_bound = "target"',
     'n = 4\nopening = "综合各方面因素,建议今年"', "give either projects"),
    ('not_place_bound = "target"', 'not_place_bound = "boring"', "reason 'boring' is not one of"),
    ('projects = ["photovoltaic-rollout"]', 'projects = ["solar-farm"]', "'solar-farm' is not a register project"),
    ('opening = "稳步推进光伏建设和应用。"', 'opening = "稳步推进风电"', "opens '稳步推进光伏建设和应用。' in the report"),
])
def test_validate_fails_on_a_broken_table(data_copy, layers_copy, capsys, old, new, message):
    _edit(data_copy, old, new)
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1 and message in output, output


def test_an_item_no_sentence_names_fails(data_copy, layers_copy, capsys):
    # the photovoltaic entry loses its sentence: the sentence becomes 'policy', the item orphaned
    _edit(data_copy, 'projects = ["photovoltaic-rollout"]', 'not_place_bound = "policy"')
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1
    assert "register item 'photovoltaic-rollout' is named by no sentence of the report" in output


def test_a_table_without_the_report_is_a_clear_error(data_copy, layers_copy, capsys):
    (data_copy / REPORT_FILE).unlink()
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1 and "coverage.toml needs the report's text" in output
