"""``python -m app.bench``: the benchmarks.

``python -m app.bench [options]`` (or ``python -m app.bench render [options]``) is the map, filter
and export benchmark (see :mod:`app.bench.render`); ``python -m app.bench load [options]`` is the
load test of a running app (see :mod:`app.bench.load`); ``python -m app.bench sandbox`` what parsing
an untrusted file in a worker process costs (see :mod:`app.bench.sandbox`).
"""

import sys

from app.bench import load, render, sandbox


def main(argv: list[str]) -> int:
    """Run the benchmark the first argument names (``load``, ``render`` or ``sandbox``; default
    ``render``)."""
    if argv[:1] == ["load"]:
        return load.main(argv[1:])
    if argv[:1] == ["sandbox"]:
        return sandbox.main(argv[1:])
    if argv[:1] == ["render"]:
        return render.main(argv[1:])
    return render.main(argv)


if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main(sys.argv[1:]))
