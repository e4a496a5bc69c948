"""Benchmarks of the living register at city scale: the fold, and ``export`` end to end.

``python -m app.bench living --projects 2000,20000,100000`` times, for registers made by
repeating the report's entries under new ids (:mod:`app.bench.registers`: 10 % of the
projects with a planner's edit, 5 stages each): the full fold of the change log into the
atlas's projects (``fold_s``), a new store revision holding one accepted edit folded into the
atlas kept from the revision before (``revision_s``: the rows a store hands back for the one
project, refolded, and that project's row rebuilt), and the growth from 20,000 to 100,000.
The curated seed's values, made once per data version and process, are timed apart
(``seed_s``).

``python -m app.bench scale --projects 2000,20000`` times ``python -m app export`` (a new
process each time, as a user runs it) on an SQLite store seeded with the report's 43 projects
and with each larger register, and prints each time over the 43-project one.

Each figure is printed beside its target; ``--json`` prints one JSON object per line instead.
Not part of the test run (tests/test_bench_smoke.py runs both on small registers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from app.bench.registers import living_log, one_edit, repeated_projects
from app.data.atlas import load_atlas
from app.data.living import INDEX_COLUMNS, SEED_DATE, Edit, LivingFold, curated_seed
from app.service.living import seed_register
from app.store.sqlite import Store

__all__ = ["FOLD_TARGETS_S", "REVISION_TARGET_S", "SCALE_TARGETS", "fold_figures", "main",
           "scale_figures"]

#: The fold's targets by register size (seconds); sizes between take the next larger one's.
FOLD_TARGETS_S = {2_000: 0.1, 20_000: 0.5, 100_000: 2.0}
#: A revision with one accepted edit, at 100,000 projects.
REVISION_TARGET_S = 0.05
#: Growth of the fold from 20,000 to 100,000 projects.
GROWTH_TARGET = 6.0
#: ``export`` end to end, as a multiple of the 43-project time, by register size.
SCALE_TARGETS = {2_000: 2.0, 20_000: 6.0}


def _target(targets: dict[int, float], n: int) -> float | None:
    """The target of the smallest size at least `n` (None above every size)."""
    return next((t for size, t in sorted(targets.items()) if n <= size), None)


def _best(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def fold_figures(n: int, *, repeat: int = 3) -> dict[str, float | int]:
    """The fold's figures for a register of `n` projects: ``projects``, ``seed_s``,
    ``fold_s``, ``revision_s`` (best of `repeat`), the fold's CPU time ``fold_cpu_s`` (the
    machine's other work left out) and the load average then.

    >>> figures = fold_figures(50, repeat=1)
    >>> figures["projects"], figures["fold_s"] > 0, figures["revision_s"] > 0
    (50, True, True)
    """
    base = load_atlas()
    projects = repeated_projects(base.projects, n)
    log = living_log(projects, base.data_version)
    start = time.perf_counter()
    curated = curated_seed(projects, base.data_version)
    seed_s = time.perf_counter() - start

    def full() -> LivingFold:
        living = LivingFold(None, curated)
        living.update(log)
        living.projects(projects)
        return living

    fold_s = _best(full, repeat)
    start = time.process_time()
    full()
    fold_cpu_s = time.process_time() - start
    edited = str(projects["id"].iloc[n // 2])
    after = one_edit(log, edited)
    index = after[list(INDEX_COLUMNS)].copy()
    rows = after[after["project_id"] == edited].copy()  # what the store hands back

    def revision() -> None:
        stale = living.stale(index)
        living.update(rows, index)
        living.projects(projects)
        assert stale == {edited}

    times = []
    for _ in range(repeat):
        living = full()
        start = time.perf_counter()
        revision()
        times.append(time.perf_counter() - start)
    return {"projects": n, "log_rows": len(log), "seed_s": round(seed_s, 4),
            "fold_s": round(fold_s, 4), "fold_cpu_s": round(fold_cpu_s, 4),
            "revision_s": round(min(times), 4), "load_average": round(os.getloadavg()[0], 2)}


def _seeded_store(path: Path, n: int) -> None:
    """An SQLite store at `path` whose built-in register has `n` projects (0: the report's
    own, seeded as the app seeds it)."""
    base = load_atlas()
    store = Store(path)
    if not n:
        seed_register(store, base)
        return
    projects = repeated_projects(base.projects, n)
    log = living_log(projects, base.data_version, stages=1)
    edits = [Edit(row["project_id"], row["source"], row["actor"], row["reason"], {},
                  json.loads(row["new"]), effective=row["effective"] or SEED_DATE)
             for row in log.to_dict("records")]
    store.add_changes(edits)


def scale_figures(sizes: Sequence[int], *, repeat: int = 3,
                  progress: Callable[[str], None] | None = None) -> list[dict[str, float | int]]:
    """``export`` wall times on stores of the report's 43 projects and of each of `sizes`:
    ``projects``, ``export_s`` (best of `repeat`), ``ratio`` (over the 43-project time)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="atlas-scale-") as folder:
        for n in (0, *sizes):
            store = Path(folder) / f"s{n}.sqlite"
            _seeded_store(store, n)
            env = {**os.environ, "ATLAS_STORE": str(store)}
            command = [sys.executable, "-m", "app", "export", "--output", str(Path(folder) / f"o{n}.geojson")]
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
                times.append(time.perf_counter() - start)
            figure = {"projects": n or 43, "export_s": round(min(times), 3)}
            figure["ratio"] = round(figure["export_s"] / out[0]["export_s"], 2) if out else 1.0
            out.append(figure)
            if progress:
                progress(f"export of {figure['projects']} projects: {figure['export_s']} s")
    return out


def _verdict(value: float, target: float | None) -> str:
    return "" if target is None else ("met" if value <= target else "NOT met")


def main(argv: Sequence[str] | None = None) -> int:
    """``living`` or ``scale`` (the first argument) with ``--projects`` and ``--json``."""
    parser = argparse.ArgumentParser(prog="python -m app.bench living|scale",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("bench", choices=("living", "scale"))
    parser.add_argument("--projects", default=None,
                        help="register sizes, comma-separated (living: 2000,20000,100000; "
                             "scale: 2000,20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best kept)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    default = "2000,20000,100000" if args.bench == "living" else "2000,20000"
    try:
        sizes = [int(v) for v in (args.projects or default).split(",")]
    except ValueError:
        parser.error("--projects takes whole numbers separated by commas")
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("--projects and --repeat must be at least 1")
    say = (lambda text: None) if args.json else print
    if args.bench == "scale":
        for figure in scale_figures(sizes, repeat=args.repeat,
                                    progress=lambda t: print(t, file=sys.stderr, flush=True)):
            target = SCALE_TARGETS.get(figure["projects"])
            print(json.dumps(figure) if args.json else
                  f"{figure['projects']:>7} projects  export {figure['export_s']:7.3f} s  "
                  f"x{figure['ratio']:<5} (target <= x{target or '-'}) {_verdict(figure['ratio'], target)}")
        return 0
    folds = {}
    for n in sizes:
        figure = fold_figures(n, repeat=args.repeat if n < 100_000 else 1)
        folds[n] = figure["fold_s"]
        if args.json:
            print(json.dumps(figure))
            continue
        target = _target(FOLD_TARGETS_S, n)
        say(f"{n:>7} projects ({figure['log_rows']} log rows)  fold {figure['fold_s']:.3f} s "
            f"(target <= {target} s) {_verdict(figure['fold_s'], target)}, "
            f"CPU {figure['fold_cpu_s']:.3f} s, load average {figure['load_average']}  "
            f"revision {figure['revision_s'] * 1000:.1f} ms"
            + (f" (target <= {REVISION_TARGET_S * 1000:.0f} ms) "
               f"{_verdict(figure['revision_s'], REVISION_TARGET_S)}" if n >= 100_000 else "")
            + f"  curated seed {figure['seed_s']:.3f} s (once per data version)")
    if 20_000 in folds and 100_000 in folds:
        growth = folds[100_000] / folds[20_000]
        say(f"growth 20,000 -> 100,000: x{growth:.2f} (target <= x{GROWTH_TARGET:.0f}) "
            f"{_verdict(growth, GROWTH_TARGET)}")
    return 0
