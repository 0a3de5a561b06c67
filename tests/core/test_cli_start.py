"""What `sweedle generate` does not load: the command line pays at every run for each module it
imports, so Qt, OpenGL, the window, Alembic (for a library already at the newest schema), the model
store's checks (with PyYAML) and every optional model dependency stay out of a whole Relief
generation. The run is real (picture to GLB, recorded in the library); only the modules left in
`sys.modules` afterwards are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.core.library.migrate import head_revision, newest_revision_file
from app.core.library.startup import open_library

REPO = Path(__file__).resolve().parents[2]
NOT_FOR_GENERATE = (
    "PySide6",
    "shiboken6",
    "OpenGL",
    "pyqtgraph",
    "app.ui",
    "alembic",
    "trimesh",
    "torch",
    "hy3dgen",
    "transformers",
    "diffusers",
    "cv2",
    "skimage",
    "onnxruntime",
    "rembg",
    "xatlas",
    "yaml",
    "app.core.weights.store",
)


def _loaded(code: str, home: Path) -> set[str]:
    env = dict(os.environ, SWEEDLE_HOME=str(home))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=env, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _offenders(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == top or m.startswith(top + ".") for top in NOT_FOR_GENERATE))


def test_generate_loads_no_qt_no_alembic_and_no_optional_dependency(tmp_path: Path) -> None:
    home = tmp_path / "home"
    library, _ = open_library(home / "data" / "library")  # made (and migrated) once, as by an earlier run
    library.close()
    out = tmp_path / "robot.glb"
    picture = REPO / "resources" / "samples" / "robot.png"
    code = (
        "import json, sys\n"
        "from app.__main__ import _run\n"
        f"sys.argv = ['sweedle', 'generate', {str(picture)!r}, '-o', {str(out)!r}, '-q']\n"
        "assert _run() == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = _loaded(code, home)
    assert out.stat().st_size > 10_000
    assert "app.core.generation.stages" in modules and "sqlalchemy" in modules  # it really ran and recorded
    assert _offenders(modules) == []


def test_generate_without_the_library_loads_no_database_and_no_other_command(tmp_path: Path) -> None:
    """`--no-library` does not pay for SQLAlchemy, and no run pays for the parsers (and modules) of
    the commands it does not run."""
    out = tmp_path / "robot.glb"
    picture = REPO / "resources" / "samples" / "robot.png"
    code = (
        "import json, sys\n"
        "from app.__main__ import _run\n"
        f"sys.argv = ['sweedle', 'generate', {str(picture)!r}, '-o', {str(out)!r}, '-q', '--no-library']\n"
        "assert _run() == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = _loaded(code, tmp_path / "home")
    assert out.stat().st_size > 10_000 and "app.core.generation.stages" in modules
    assert _offenders(modules) == []
    assert not any(m == "sqlalchemy" or m.startswith("sqlalchemy.") for m in modules)
    assert not {"app.cli.export", "app.cli.weights", "app.cli.queue", "app.cli.farm"} & modules
    assert not (tmp_path / "home" / "data" / "library").exists()


def test_the_console_script_parses_without_the_pipeline_or_the_library(tmp_path: Path) -> None:
    """`sweedle --help` (the [project.scripts] entry, app.cli.main:main) builds every command's
    parser; none of them may pull in SciPy or the window to do so."""
    code = (
        "import contextlib, io, json, sys\n"
        "from app.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = _loaded(code, tmp_path / "home")
    assert "app.cli.export" in modules and "app.cli.queue" in modules
    assert _offenders(modules) == []
    assert not any(m == "scipy" or m.startswith("scipy.") for m in modules)


def test_the_library_knows_its_newest_schema_without_alembic() -> None:
    """Opening an up-to-date library compares the stored revision with the newest migration
    file's name instead of importing Alembic; that name must be Alembic's head."""
    assert newest_revision_file() == head_revision()
