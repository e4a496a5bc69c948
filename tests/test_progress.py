"""The progress chart's numbers: projects per stage on given days, from a made-up change log."""

from datetime import date

import pandas as pd
import pytest

from app.data.living import change_row
from app.service.progress import STAGE_COLOURS, month_ends, stage_progress


def _stages(*entries: tuple[str, str]) -> dict:
    return {"stages": [{"stage": s, "date": d, "source": "report"} for s, d in entries]}


def _entry(stage: str, day: str) -> dict:
    return {"stage_entry": {"stage": stage, "date": day, "source": "site notice"}}


@pytest.fixture()
def log() -> pd.DataFrame:
    """Four projects: a and b seeded with the report, c added by a newer seed in May, d retired
    in July; a moves to construction (entry dated 10 Mar, recorded in April) and is completed in
    June; b's move to construction waits for a reviewer (pending: never counted); c is paused."""
    return pd.DataFrame([
        change_row(1, "a", "seed", {}, _stages(("planning", "2025-01-08")), effective="2025-01-08"),
        change_row(2, "b", "seed", {}, _stages(("preparation", "2025-01-08")), effective="2025-01-08"),
        change_row(3, "d", "seed", {}, _stages(("ongoing", "2025-01-08")), effective="2025-01-08"),
        change_row(4, "a", "planner", {}, _entry("construction", "2025-03-10"), effective="2025-04-02"),
        change_row(5, "c", "seed", {}, _stages(("planning", "2025-05-20")), effective="2025-05-20"),
        change_row(6, "a", "planner", {}, _entry("completed", "2025-06-30"), effective="2025-06-30"),
        change_row(7, "b", "planner", {}, _entry("construction", "2025-02-01"),
                   effective="2025-02-01", status="pending"),
        change_row(8, "c", "planner", {}, _entry("paused", "2025-08-01"), effective="2025-08-01"),
        change_row(9, "d", "seed", {"_retired": False}, {"_retired": True}, effective="2025-07-15"),
    ])


GROUPS = {"a": "renewal", "b": "renewal", "c": "public_space", "d": "public_space"}


def _on(frame: pd.DataFrame, day: str) -> dict[tuple[str, str], int]:
    rows = frame[frame["date"] == day]
    return {(g, s): int(n) for g, s, n in zip(rows["group"], rows["stage"], rows["count"], strict=True)}


def test_counts_on_given_days(log):
    days = ["2025-01-07", "2025-01-08", "2025-03-31", "2025-05-31", "2025-06-30", "2025-07-31",
            "2025-08-31"]
    frame = stage_progress(log, GROUPS, days)
    assert _on(frame, "2025-01-07") == {}  # before the report: nothing yet
    assert _on(frame, "2025-01-08") == {("renewal", "planning"): 1, ("renewal", "preparation"): 1,
                                        ("public_space", "ongoing"): 1}
    # a's construction entry is dated 10 March: it counts from then, whenever it was recorded
    assert _on(frame, "2025-03-31") == {("renewal", "construction"): 1, ("renewal", "preparation"): 1,
                                        ("public_space", "ongoing"): 1}
    assert _on(frame, "2025-05-31")[("public_space", "planning")] == 1  # c exists from 20 May
    assert _on(frame, "2025-06-30")[("renewal", "completed")] == 1
    assert ("public_space", "ongoing") not in _on(frame, "2025-07-31")  # d retired 15 July
    assert _on(frame, "2025-08-31") == {("renewal", "completed"): 1, ("renewal", "preparation"): 1,
                                        ("public_space", "paused"): 1}


def test_pending_changes_never_count(log):
    frame = stage_progress(log, GROUPS, ["2025-12-31"])
    assert _on(frame, "2025-12-31")[("renewal", "preparation")] == 1  # b's move is pending


def test_every_project_counted_once_a_day(log):
    frame = stage_progress(log, None, month_ends(2025))
    per_day = frame.groupby("date")["count"].sum().to_dict()
    assert per_day["2025-01-31"] == 3 and per_day["2025-05-31"] == 4 and per_day["2025-12-31"] == 3
    assert set(frame["group"]) == {""}


def test_rows_come_in_date_then_stage_order(log):
    frame = stage_progress(log, GROUPS, ["2025-08-31", "2025-01-31"])
    assert list(frame["date"].unique()) == ["2025-01-31", "2025-08-31"]
    renewal = frame[(frame["date"] == "2025-01-31") & (frame["group"] == "renewal")]
    assert renewal["stage"].tolist() == ["planning", "preparation"]
    assert renewal["order"].is_monotonic_increasing


def test_an_ungrouped_project_falls_in_the_empty_group(log):
    frame = stage_progress(log, {"a": "renewal"}, ["2025-01-31"])
    assert _on(frame, "2025-01-31") == {("renewal", "planning"): 1, ("", "preparation"): 1,
                                        ("", "ongoing"): 1}


def test_no_log_no_rows():
    empty = pd.DataFrame(columns=["id", "project_id", "source", "new", "status", "effective"])
    assert stage_progress(empty, GROUPS, ["2025-01-31"]).empty
    assert stage_progress(pd.DataFrame([change_row(1, "a", "seed", {}, {"x": 1}, effective="2025-01-08")]),
                          GROUPS, []).empty


def test_month_ends_stop_today():
    assert month_ends(2025, date(2025, 2, 28)) == ["2025-01-31", "2025-02-28"]
    assert month_ends(2024)[1] == "2024-02-29"  # a leap year
    assert month_ends(2025, date(2026, 1, 1))[-1] == "2025-12-31"


def test_every_stage_has_its_own_colour():
    from app.data.living import STAGE_ORDER

    assert set(STAGE_ORDER) < set(STAGE_COLOURS)
    assert len(set(STAGE_COLOURS.values())) == len(STAGE_COLOURS)


def test_the_seeded_register_starts_on_the_report_day():
    """The curated register as its first seed: every project counted from 2025-01-08, in its
    register status, each in its layer."""
    from app.data.atlas import load_atlas
    from app.data.living import SEED_DATE, seed_changes, seed_values

    projects = load_atlas().projects
    edits = seed_changes(pd.DataFrame(), seed_values(projects), effective=SEED_DATE)
    log = pd.DataFrame([change_row(i, e.project_id, e.source, e.old, e.new, effective=e.effective)
                        for i, e in enumerate(edits, 1)])
    layers = dict(zip(projects["id"], projects["layer"], strict=True))
    frame = stage_progress(log, layers, ["2025-01-07", "2025-01-31"])
    assert frame[frame["date"] == "2025-01-07"].empty
    jan = frame[frame["date"] == "2025-01-31"]
    expected = projects.groupby(["layer", "status"]).size()
    got = jan.set_index(["group", "stage"])["count"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
