"""``python -m app``: the atlas command line."""

import sys

from app.cli.main import main

sys.exit(main())
