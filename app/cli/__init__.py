"""The command line (``python -m app``, ``changning-atlas``): argument adapters over the core.

Each module turns arguments into calls of :mod:`app.data`, :mod:`app.io`, :mod:`app.geo` or
:mod:`app.store` and their errors into exit codes; none holds logic of its own.
"""

from app.cli.main import main

__all__ = ["main"]
