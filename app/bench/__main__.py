"""``python -m app.bench``: the benchmarks.

``python -m app.bench [options]`` (or ``python -m app.bench render [options]``) is the map, filter
and export benchmark (see :mod:`app.bench.render`); ``python -m app.bench load [options]`` is the
load test of a running app (see :mod:`app.bench.load`); ``python -m app.bench ogc [options]``
the OGC API service at city scale and the app with and without it (see :mod:`app.bench.ogc`);
``python -m app.bench supervision [options]`` times progress and the comparison of two days
(see :mod:`app.bench.supervision`);
``python -m app.bench sandbox`` what parsing an untrusted file in a worker process costs (see
:mod:`app.bench.sandbox`).
"""

import sys

from app.bench import load, ogc, render, sandbox, supervision


def main(argv: list[str]) -> int:
    """Run the benchmark the first argument names (``load``, ``ogc``, ``sandbox``,
    ``supervision`` or ``render``; default ``render``)."""
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
