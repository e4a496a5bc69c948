"""``python -m app.bench``: the benchmarks.

``python -m app.bench [options]`` (or ``python -m app.bench render [options]``) is the map, filter
and export benchmark (see :mod:`app.bench.render`); ``python -m app.bench load [options]`` is the
load test of a running app (see :mod:`app.bench.load`); ``python -m app.bench ogc [options]``
the OGC API service at city scale and the app with and without it (see :mod:`app.bench.ogc`);
``python -m app.bench supervision [options]`` times progress and the comparison of two days
(see :mod:`app.bench.supervision`);
``python -m app.bench sandbox`` what parsing an untrusted file in a worker process costs (see
:mod:`app.bench.sandbox`);
``python -m app.bench living`` and ``python -m app.bench scale`` the living register's fold and
``export`` at city scale (see :mod:`app.bench.living`); ``python -m app.bench citymap`` the map
page over a city-scale living register on PostGIS (see :mod:`app.bench.citymap`);
``python -m app.bench tiles`` a reference layer of a million footprints as vector tiles against
plain GeoJSON (see :mod:`app.bench.tiles`).
"""

import sys

from app.bench import citymap, living, load, ogc, render, sandbox, supervision, tiles


def main(argv: list[str]) -> int:
    """Run the benchmark the first argument names (``load``, ``ogc``, ``sandbox``,
    ``supervision``, ``living``, ``scale``, ``citymap``, ``tiles`` or ``render``; default
    ``render``)."""
    if argv[:1] == ["tiles"]:
        return tiles.main(argv[1:])
    if argv[:1] == ["citymap"]:
        return citymap.main(argv[1:])
    if argv[:1] in (["living"], ["scale"]):
        return living.main(argv)
    if argv[:1] == ["load"]:
        return load.main(argv[1:])
    if argv[:1] == ["ogc"]:
        return ogc.main(argv[1:])
    if argv[:1] == ["sandbox"]:
        return sandbox.main(argv[1:])
    if argv[:1] == ["supervision"]:
        return supervision.main(argv[1:])
    if argv[:1] == ["render"]:
        return render.main(argv[1:])
    return render.main(argv)


if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main(sys.argv[1:]))
