"""The built wheel works without the repository: data, layer specs, painter and config inside.

Builds the wheel from a copy of the source (the repository is never written), installs it with
``--no-deps --no-index`` into a fresh virtualenv whose ``.pth`` file lets it see this
environment's dependencies (nothing is downloaded), and runs the installed command from a
directory outside the repository. Needs setuptools >= 77 here (``build-system.requires``;
``.ci/test`` installs it), because the build is offline (``--no-build-isolation``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What the build reads: the package, the data it ships, the README (project.readme).
SOURCES = ("pyproject.toml", "README.md", "app", "geodata", "layers", ".streamlit")
TIMEOUT_S = 120


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``command``; fail the test with its output unless it exits 0; return its stdout."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _files(root: Path) -> set[Path]:
    """Every file under ``root`` except Python's bytecode caches."""
    return {path for path in root.rglob("*") if "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the source tree."""
    major = int(version("setuptools").split(".")[0])
    if major < 77:
        pytest.fail(f"setuptools {version('setuptools')} cannot build this project offline: "
                    "pip install 'setuptools>=77' (build-system.requires; .ci/test does)")
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--quiet", "-w", str(tmp / "dist"), str(source)], cwd=tmp)
    (built,) = (tmp / "dist").glob("changning_atlas-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; returns its ``bin`` directory."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    python = venv / "bin" / "python"
    # Install first, into an environment that sees nothing else (pip must not touch this one).
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "--quiet", str(wheel)], cwd=venv.parent)
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=venv.parent).strip()
    here = sysconfig.get_paths()["purelib"]
    Path(purelib, "zz_test_dependencies.pth").write_text(
        f"import site; site.addsitedir({here!r})\n", encoding="utf-8")
    return venv / "bin"


@pytest.fixture()
def outside(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working directory outside the repository, and an environment naming no atlas paths."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ATLAS_") and key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(str(init.parent.relative_to(ROOT)) for init in (ROOT / "app").rglob("__init__.py")
                      if "__pycache__" not in init.parts)
    missing = [package for package in packages if f"{package}/__init__.py" not in names]
    assert not missing, f"packages missing from the wheel (add them to [tool.setuptools] packages): {missing}"
    expected = [f"app/map/static/{path.name}" for path in (ROOT / "app/map/static").glob("*.js")]
    expected += [f"app/geodata/{path.name}" for path in (ROOT / "geodata").iterdir()
                 if path.suffix in {".toml", ".geojson"}]
    expected += [f"app/layers/{path.name}" for path in (ROOT / "layers").glob("*.toml")]
    expected += ["app/streamlit_config/config.toml"]
    expected += ["app/geodata/sources/changning_report_2025_part2.txt"]  # validate's coverage check
    assert "app/map/static/atlas_map.js" in expected
    assert [name for name in expected if name not in names] == []
    assert not [name for name in names if name.startswith(("tests/", "geodata/", "layers/"))]


def test_installed_command_works_outside_the_repository(
    installed: Path, outside: tuple[Path, dict[str, str]],
) -> None:
    work, env = outside
    venv = installed.parent
    before = _files(venv)
    python = str(installed / "python")
    where = _run([python, "-c", "import app, app.map.assets; from app.data.atlas import "
                  "default_data_dir, default_layers_dir; print(app.__file__); "
                  "print(default_data_dir()); print(default_layers_dir())"], cwd=work, env=env)
    package, data_dir, layers_dir = (Path(line) for line in where.splitlines())
    assert package.is_relative_to(venv), f"imported {package}, not the installed wheel"
    assert data_dir == package.parent / "geodata" and layers_dir == package.parent / "layers"

    summary = _run([str(installed / "changning-atlas"), "validate"], cwd=work, env=env)
    assert summary.strip(), "validate printed no summary"
    assert "report part 二: " in summary, "the installed data has no coverage table or report"

    _run([str(installed / "changning-atlas"), "export", "--format", "geojson",
          "--output", "x.geojson"], cwd=work, env=env)
    features = json.loads((work / "x.geojson").read_text(encoding="utf-8"))["features"]
    assert features, "the export has no features"
    assert any(feature["geometry"] for feature in features), "no exported feature has a position"

    written = sorted(_files(venv) - before)
    assert written == [], f"written inside the installed environment: {written}"


def test_installed_app_runs_from_its_run_directory(
    installed: Path, outside: tuple[Path, dict[str, str]],
) -> None:
    """The entry script python -m app.ui writes runs the map page, static files beside it."""
    work, env = outside
    venv = installed.parent
    before = _files(venv)
    script = (
        "from pathlib import Path\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from app.ui.launch import prepare_run_dir\n"
        "entry = prepare_run_dir(Path('var/app'))\n"
        "from app.ui.pages.map_page import MAP_PAINTED\n"
        "app = AppTest.from_file(str(entry.parent / 'streamlit_page.py'), default_timeout=90)\n"
        "app.session_state[MAP_PAINTED] = True  # the whole page, as after the map's first paint\n"
        "app = app.run()\n"
        "print(entry)\n"
        "print([str(e.value) for e in app.exception])\n"
    )
    out = _run([str(installed / "python"), "-c", script], cwd=work,
               env={**env, "ATLAS_STORE": str(work / "var" / "atlas.sqlite")}).splitlines()
    entry = work / out[-2]
    assert out[-1] == "[]", f"the app raised: {out[-1]}"
    assert entry == work / "var" / "app" / "streamlit_app.py"
    assert "ogc_routes()" in entry.read_text(encoding="utf-8")  # the wheel serves /ogc too
    config = (entry.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert config == (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert list((entry.parent / "static" / "vendor").rglob("leaflet.js")), "no Leaflet beside the entry"
    assert sorted(_files(venv) - before) == [], "the app wrote into the installed environment"
