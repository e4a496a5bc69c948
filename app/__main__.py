"""``python -m app``: the atlas command line."""

import sys

from app.cli.main import main

if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module)
    sys.exit(main())
