"""``python -m app.bench``: the map, filter and export benchmark (see :mod:`app.bench.render`)."""

import sys

from app.bench.render import main

if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main())
