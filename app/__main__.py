"""``python -m app``: the atlas command line."""

import sys

from app.cli import main

sys.exit(main())
