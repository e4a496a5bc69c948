"""Launching the web app, from a checkout or a wheel: ``python -m app.ui [streamlit options]``.

In a source tree this is ``streamlit run streamlit_app.py`` in the repository root. After
``pip install`` of the wheel there is no repository: the entry script is written into a run
directory (``$ATLAS_APP_DIR``, default ``var/app`` under the current directory) together with
the packaged ``.streamlit/config.toml``, which Streamlit reads next to the main script
(usage statistics off, static serving on). Streamlit serves the ``static`` folder beside the
entry script at ``/app/static/``, so the script points :data:`app.ui.cache.STATIC_DIR` there;
like the repository's, the script is an ``st.App`` that makes the atlas and the map's base at
start (:mod:`app.ui.warm`);
``$ATLAS_STORE`` defaults to ``var/atlas.sqlite`` under the current directory. Nothing is
written into the installed packages.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

#: The Streamlit entry script written into the run directory (as streamlit_app.py in the repo):
#: the pages of PAGE_SCRIPT at / and the OGC API service at /ogc; the atlas and the map's base
#: made at start.
ENTRY_SCRIPT = '''"""Changning Urban Renewal Atlas: entry point written by `python -m app.ui`."""

from pathlib import Path

import streamlit as st

from app.ogc.routes import ogc_routes
from app.ui import cache, warm

# Streamlit serves the static folder next to this script at /app/static/ (not the package's).
cache.STATIC_DIR = Path(__file__).resolve().parent / "static"

app = st.App("streamlit_page.py", routes=ogc_routes(), lifespan=warm.lifespan)
'''

#: The pages' script written beside it (as streamlit_page.py in the repo).
PAGE_SCRIPT = '''"""Changning Urban Renewal Atlas: the pages, written by `python -m app.ui`."""

from pathlib import Path

from app.ui import cache, frame

# Streamlit serves the static folder next to this script at /app/static/ (not the package's).
cache.STATIC_DIR = Path(__file__).resolve().parent / "static"
frame.run()
'''

_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE_ROOT = _PACKAGE.parent


def _source_entry() -> Path | None:
    """The repository's streamlit_app.py when this package runs from a source tree."""
    entry = _SOURCE_ROOT / "streamlit_app.py"
    return entry if entry.is_file() and (_SOURCE_ROOT / "pyproject.toml").is_file() else None


def _packaged_config() -> Path:
    """The Streamlit config.toml shipped with the package (or the source tree's)."""
    packaged = _PACKAGE / "streamlit_config" / "config.toml"
    return packaged if packaged.is_file() else _SOURCE_ROOT / ".streamlit" / "config.toml"


def prepare_run_dir(run_dir: Path, config: Path | None = None) -> Path:
    """Set up ``run_dir``: entry and page scripts, ``.streamlit/config.toml``, ``static/``; return
    the entry script.

    Existing files are overwritten, so the run directory always matches the installed version.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     entry = prepare_run_dir(Path(tmp) / "var" / "app")
    ...     config = (entry.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    ...     print(entry.name, "gatherUsageStats = false" in config)
    streamlit_app.py True
    >>> prepare_run_dir(Path("/tmp"), config=Path("/nonexistent/config.toml"))
    Traceback (most recent call last):
    ...
    FileNotFoundError: Streamlit config /nonexistent/config.toml is missing from the installation
    """
    config = config or _packaged_config()
    if not config.is_file():
        raise FileNotFoundError(f"Streamlit config {config} is missing from the installation")
    run_dir = Path(run_dir)
    (run_dir / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config, run_dir / ".streamlit" / "config.toml")
    (run_dir / "static").mkdir(exist_ok=True)  # Streamlit looks for it once, at start-up
    (run_dir / "streamlit_page.py").write_text(PAGE_SCRIPT, encoding="utf-8")
    entry = run_dir / "streamlit_app.py"
    entry.write_text(ENTRY_SCRIPT, encoding="utf-8")
    return entry


def streamlit_command(entry: Path, options: Sequence[str] = ()) -> list[str]:
    """The ``python -m streamlit run`` command line for ``entry`` with extra ``options``.

    >>> streamlit_command(Path("/srv/atlas/streamlit_app.py"), ["--server.port", "8502"])[1:]
    ['-m', 'streamlit', 'run', '/srv/atlas/streamlit_app.py', '--server.port', '8502']
    >>> streamlit_command(Path("app.py"))[-1]
    'app.py'
    """
    return [sys.executable, "-m", "streamlit", "run", str(entry), *options]


def main(argv: Sequence[str] | None = None) -> None:
    """Replace this process by the Streamlit server (arguments go to ``streamlit run``)."""
    options = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    entry = _source_entry()
    if entry is None:  # an installed wheel: keep the caller's directory (its .streamlit/secrets)
        cwd = Path.cwd()
        entry = prepare_run_dir(Path(env.get("ATLAS_APP_DIR") or cwd / "var" / "app"))
        env.setdefault("ATLAS_STORE", str(cwd / "var" / "atlas.sqlite"))
    else:
        os.chdir(entry.parent)
    command = streamlit_command(entry, options)
    os.execve(command[0], command, env)  # noqa: S606 -- our own interpreter, fixed arguments
