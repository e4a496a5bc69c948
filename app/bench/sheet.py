"""Benchmark: a map sheet of a city-scale register (``python -m app.bench.sheet``).

Generates a synthetic register (:mod:`app.bench.synthetic`, deterministic) and, per round,
times :func:`app.sheet.map_sheet` (drawing every feature in UTM 51N) and writing the sheet as
PNG and as PDF. ``--json`` prints the rounds and their medians.

>>> result = measure(100, "mixed", dpi=50, repeat=1)
>>> result["features"], sorted(result["median_s"])
(100, ['draw', 'pdf', 'png'])
>>> measure(10, repeat=0)
Traceback (most recent call last):
...
ValueError: repeat must be at least 1, got 0
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.bench.synthetic import KINDS, synthetic_atlas
from app.data.atlas import load_atlas
from app.domain.filters import Filter
from app.sheet import SheetOptions, map_sheet

__all__ = ["main", "measure"]


def measure(features: int, kind: str = "mixed", *, dpi: int = 150, size: str = "A4",
            repeat: int = 3, seed: int = 0) -> dict[str, Any]:
    """Seconds to draw a sheet of `features` synthetic projects and to save it as PNG and PDF."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    atlas = synthetic_atlas(load_atlas(), features, kind, seed=seed)
    options = SheetOptions(size=size, dpi=dpi)
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        sheet = map_sheet(atlas, Filter(), options, date(2026, 1, 1))
        drawn = time.perf_counter()
        png = sheet.to_bytes("png")
        saved_png = time.perf_counter()
        pdf = sheet.to_bytes("pdf")
        saved_pdf = time.perf_counter()
        rounds.append({"draw": drawn - start, "png": saved_png - drawn, "pdf": saved_pdf - saved_png,
                       "png_bytes": len(png), "pdf_bytes": len(pdf)})
        sheet.figure.clear()
    median = {key: statistics.median(r[key] for r in rounds) for key in ("draw", "png", "pdf")}
    return {"features": len(atlas.projects), "kind": kind, "dpi": dpi, "size": size,
            "rounds": rounds, "median_s": median}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print one line per figure (or ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m app.bench.sheet",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000, help="synthetic features")
    parser.add_argument("--kind", choices=KINDS, default="mixed", help="geometry kind")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of the PNG")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (the median is shown)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if args.features < 1 or args.repeat < 1:
        parser.error("--features and --repeat must be at least 1")
    result = measure(args.features, args.kind, dpi=args.dpi, repeat=args.repeat)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    median, last = result["median_s"], result["rounds"][-1]
    print(f"map sheet of {result['features']} {result['kind']} features, A4 at {args.dpi} dpi, "
          f"median of {args.repeat}:")
    print(f"  draw {median['draw']:.2f} s; PNG {median['png']:.2f} s ({last['png_bytes'] / 1e6:.1f} MB); "
          f"PDF {median['pdf']:.2f} s ({last['pdf_bytes'] / 1e6:.1f} MB); "
          f"total to PNG {median['draw'] + median['png']:.2f} s")
    return 0


if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main())
