"""LOD benchmark: Sweedle's LOD chain next to gltfpack's simplifier, on the same mesh, same run.

    .venv/bin/python tests/bench/bench_lod.py [--shapes sphere,torus] [--subdivisions 8]
                                              [--fractions 0.5,0.25,0.1] [--gltfpack PATH]

Each shape is a ~1M-triangle watertight mesh with smooth deterministic bumps (so simplifying it
is not trivial). Sweedle runs `build_lods` once for the whole chain, as the app does (cascaded
levels, normals, its own 20k-sample error estimate); its per-level time is the wall time until
that level is done; "sweedle -noerr" is the same chain without the error estimate, the fair
match for gltfpack's net time (it measures nothing). gltfpack runs once per level (`-si R -noq`,
one level per run) on a positions-only float GLB, with its default error limit (`-se 0.01`,
so it may stop short of the ratio) and with `-sa` (aggressive: reach the ratio whatever the
error); a run without `-si` shows its load/save overhead. Every result is then measured with
the same metric, a symmetric max deviation over all vertices plus as many surface samples
(`max_samples=None`), in % of the original's bounding-box diagonal, and checked for
watertightness on the welded topology.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

HERE = Path(__file__).resolve().parent
for _path in (HERE.parents[1], HERE.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from app.core.mesh.lod import build_lods  # noqa: E402
from app.core.mesh.metrics import Deviation  # noqa: E402
from app.core.mesh.types import Mesh  # noqa: E402
from app.core.mesh.validate import validate  # noqa: E402

from gltf_tools import NODE_DIR  # noqa: E402

DEFAULT_GLTFPACK = NODE_DIR / "node_modules" / ".bin" / "gltfpack"
GLTFPACK_MODES = {"gltfpack": [], "gltfpack -sa": ["-sa"]}


@dataclass
class Level:
    target: int
    triangles: int
    seconds: float
    error_pct: float = float("nan")
    watertight: bool = False
    mesh: Mesh | None = None


def _bumps(points: np.ndarray, amplitude: float) -> np.ndarray:
    """A smooth, deterministic scalar field: a few sine waves along fixed directions."""
    rng = np.random.default_rng(7)
    directions = rng.normal(size=(6, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    frequencies = np.array([3.0, 5.0, 7.0, 11.0, 17.0, 23.0])
    phases = rng.uniform(0, 2 * np.pi, 6)
    waves = np.sin(points @ directions.T * frequencies + phases)
    return amplitude * (waves / (1 + np.arange(6))).sum(axis=1)


def bumpy_sphere(subdivisions: int) -> Mesh:
    """Icosphere (20 * 4^n triangles; n = 8: 1.31M) displaced radially."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    unit = np.asarray(sphere.vertices)
    return Mesh(unit * (1 + _bumps(unit, 0.05))[:, None], sphere.faces)


def bumpy_torus(triangles: int) -> Mesh:
    """Torus (about `triangles` triangles) whose tube is displaced along its normal."""
    minor = max(8, int(np.sqrt(triangles / 4)))
    torus = trimesh.creation.torus(1.0, 0.35, major_sections=2 * minor, minor_sections=minor)
    p = np.asarray(torus.vertices)
    ring = p.copy()
    ring[:, 2] = 0
    ring /= np.linalg.norm(ring, axis=1, keepdims=True)
    normal = p - ring
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return Mesh(p + normal * _bumps(p, 0.03)[:, None], torus.faces)


def run_sweedle(mesh: Mesh, targets: Sequence[int], measure_samples: int = 20000) -> list[Level]:
    """Time the chain as the app runs it; a level ends at its progress report of a whole level.

    `measure_samples=0` skips the app's own error estimate, to compare the simplification alone
    with gltfpack's (which measures nothing).
    """
    ends = [time.perf_counter()]

    def on_progress(fraction: float, _message: str) -> None:
        levels_done = fraction * len(targets)
        if abs(levels_done - round(levels_done)) < 1e-9:
            ends.append(time.perf_counter())

    lods = build_lods(mesh, targets, on_progress=on_progress, measure_samples=measure_samples)
    return [
        Level(t, lod.mesh.triangle_count, ends[i + 1] - ends[i], mesh=lod.mesh)
        for i, (t, lod) in enumerate(zip(targets, lods[1:], strict=True))
    ]


def _write_positions_glb(mesh: Mesh, path: Path) -> None:
    trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(path, include_normals=False)


def _read_glb(path: Path) -> Mesh:
    loaded = trimesh.load(path, process=False, force="mesh")
    return Mesh(np.asarray(loaded.vertices), np.asarray(loaded.faces))


def run_gltfpack(binary: Path, source: Path, workdir: Path, args: Sequence[str]) -> tuple[float, Mesh]:
    out = workdir / "out.glb"
    start = time.perf_counter()
    result = subprocess.run(
        [str(binary), "-i", str(source), "-o", str(out), "-noq", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"gltfpack {' '.join(args)} failed: {result.stderr.strip()}")
    return seconds, _read_glb(out)


def _measure(reference: Mesh, deviation: Deviation, levels: Sequence[Level]) -> None:
    diagonal = reference.diagonal()
    for level in levels:
        assert level.mesh is not None
        level.error_pct = deviation.measure(level.mesh) / diagonal * 100
        level.watertight = validate(level.mesh).watertight
        level.mesh = None


_COLUMNS = (
    ("mesh", "<14"),
    ("tool", "<16"),
    ("level", ">6"),
    ("target", ">10"),
    ("triangles", ">11"),
    ("seconds", ">9"),
    ("max err %", ">11"),
    ("watertight", ">12"),
)


def _row(*cells: object) -> str:
    return "".join(f"{cell:{spec}}" for cell, (_, spec) in zip(cells, _COLUMNS, strict=False))


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def compare_with_gltfpack(
    meshes: Mapping[str, Mesh],
    fractions: Sequence[float] = (0.5, 0.25, 0.1),
    gltfpack: Path = DEFAULT_GLTFPACK,
) -> dict[str, dict[str, list[Level]]]:
    """Run and print the comparison for each named mesh; returns {name: {tool: levels}}.

    Sweedle gets each mesh as is (with UVs its seams stay locked); gltfpack gets positions only.
    """
    if not gltfpack.exists():
        raise RuntimeError(
            f"gltfpack not found at {gltfpack}: run `npm ci --prefix tests/node` or pass --gltfpack"
        )
    print(_row(*(title for title, _ in _COLUMNS)))
    results: dict[str, dict[str, list[Level]]] = {}
    for name, mesh in meshes.items():
        targets = [max(4, round(mesh.triangle_count * f)) for f in fractions]
        tools = {
            "sweedle": run_sweedle(mesh, targets),
            "sweedle -noerr": run_sweedle(mesh, targets, measure_samples=0),
        }
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in.glb"
            _write_positions_glb(mesh, source)
            io_seconds, _ = run_gltfpack(gltfpack, source, Path(tmp), [])
            for tool, extra in GLTFPACK_MODES.items():
                tools[tool] = []
                for fraction, target in zip(fractions, targets, strict=True):
                    seconds, lod = run_gltfpack(gltfpack, source, Path(tmp), ["-si", f"{fraction:g}", *extra])
                    tools[tool].append(Level(target, lod.triangle_count, seconds, mesh=lod))
        deviation = Deviation(mesh, max_samples=None)
        for tool, levels in tools.items():
            _measure(mesh, deviation, levels)
            for i, lv in enumerate(levels, start=1):
                print(
                    _row(name, tool, f"LOD{i}", f"{lv.target:,}", f"{lv.triangles:,}", f"{lv.seconds:.2f}",
                         f"{lv.error_pct:.4f}", _yes(lv.watertight))
                )  # fmt: skip
            total = sum(lv.seconds for lv in levels)
            worst = max(lv.error_pct for lv in levels)
            print(
                _row(
                    name,
                    tool,
                    "total",
                    "",
                    "",
                    f"{total:.2f}",
                    f"{worst:.4f}",
                    _yes(all(lv.watertight for lv in levels)),
                )
            )
        print(
            _row(name, "gltfpack I/O", "none", "", f"{mesh.triangle_count:,}", f"{io_seconds:.2f}")
            + "  (no -si)"
        )
        for tool in GLTFPACK_MODES:
            net = sum(lv.seconds for lv in tools[tool]) - len(tools[tool]) * io_seconds
            print(
                _row(name, tool, "net", "", "", f"{max(net, 0.0):.2f}") + "  (total minus load/save per run)"
            )
        results[name] = tools
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", default="sphere,torus", help="comma-separated: sphere, torus")
    parser.add_argument(
        "--subdivisions", type=int, default=8, help="icosphere subdivisions (8: 1.31M triangles)"
    )
    parser.add_argument("--fractions", default="0.5,0.25,0.1", help="LOD sizes as fractions of LOD0")
    parser.add_argument("--gltfpack", type=Path, default=DEFAULT_GLTFPACK, help="gltfpack executable")
    args = parser.parse_args()

    makers = {
        "sphere": lambda: bumpy_sphere(args.subdivisions),
        "torus": lambda: bumpy_torus(20 * 4**args.subdivisions),
    }
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in makers]
    if unknown:
        parser.error(f"unknown shape(s) {', '.join(unknown)}; use sphere, torus")
    meshes = {s: makers[s]() for s in shapes}
    for name, mesh in meshes.items():
        print(f"{name}: {mesh.triangle_count:,} triangles, watertight {validate(mesh).watertight}")
    fractions = [float(f) for f in args.fractions.split(",")]
    sizes = "/".join(f"{f:g}" for f in fractions)
    print(f"\nLOD chain {sizes} of LOD0; error: symmetric max deviation, % of the bbox diagonal\n")
    compare_with_gltfpack(meshes, fractions, args.gltfpack)
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"\n(benchmark wall time {time.perf_counter() - t0:.1f} s)")
    sys.exit(code)
