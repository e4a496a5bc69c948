"""``python -m app.bench``: the benchmarks.

``python -m app.bench [options]`` (or ``python -m app.bench render [options]``) is the map, filter
and export benchmark (see :mod:`app.bench.render`); ``python -m app.bench load [options]`` is the
load test of a running app (see :mod:`app.bench.load`); ``python -m app.bench living`` and
``python -m app.bench scale`` the living register's fold and ``export`` at city scale (see
:mod:`app.bench.living`); ``python -m app.bench citymap`` the map page over a city-scale living
register on PostGIS (see :mod:`app.bench.citymap`); ``python -m app.bench tiles`` a reference
layer of a million footprints as vector tiles against plain GeoJSON (see :mod:`app.bench.tiles`).
"""

import sys

from app.bench import citymap, living, load, render, tiles


def main(argv: list[str]) -> int:
    """Run the benchmark the first argument names (``load``, ``living``, ``scale``, ``citymap``,
    ``tiles`` or ``render``;
    default ``render``)."""
    if argv[:1] == ["tiles"]:
        return tiles.main(argv[1:])
    if argv[:1] == ["citymap"]:
        return citymap.main(argv[1:])
    if argv[:1] in (["living"], ["scale"]):
        return living.main(argv)
    if argv[:1] == ["load"]:
        return load.main(argv[1:])
    if argv[:1] == ["render"]:
        return render.main(argv[1:])
    return render.main(argv)


if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main(sys.argv[1:]))
