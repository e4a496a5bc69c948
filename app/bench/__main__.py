"""``python -m app.bench``: the map, filter and export benchmark (see :mod:`app.bench.render`)."""

import sys

from app.bench.render import main

sys.exit(main())
