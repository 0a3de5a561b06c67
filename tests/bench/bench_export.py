"""Export figures: one-click export of one asset (100k-triangle LOD0 + 3 LODs + 2k texture)
into Unity, Unreal and Godot projects; the FBX writer's speed on ~1M triangles and its file
size next to Blender's own FBX of the same mesh (Blender imports our OBJ and exports FBX).

    .venv/bin/python tests/bench/bench_export.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from export_samples import godot_project, unity_project, unreal_project

from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal
from app.core.formats.asset_names import MapKind
from app.core.formats.fbx import fbx_bytes
from app.core.formats.obj import write_obj
from app.core.mesh.types import Lod, LodSet, Material, Mesh


def sphere(triangles: int) -> Mesh:
    """A UV sphere with about `triangles` triangles, 1.8 m tall, with normals and UVs (as assets
    from the pipeline and the library have: the writers then only renormalise normals)."""
    n = int(np.sqrt(triangles / 4))
    s = trimesh.creation.uv_sphere(count=[n, n])
    v = np.asarray(s.vertices)
    uv = np.column_stack([(np.arctan2(v[:, 2], v[:, 0]) / np.pi + 1) / 2, (1 - v[:, 1]) / 2])
    return Mesh(v * [0.5, 0.9, 0.5] + [0, 0.9, 0], s.faces, np.asarray(s.vertex_normals), uv)


def texture(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    rgb = np.stack([x, y, (x + y) / 2], axis=-1) * 200 + np.random.default_rng(0).normal(
        0, 6, (size, size, 3)
    )
    return np.clip(rgb, 0, 255).astype(np.uint8)


def best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def one_click(tmp: Path) -> None:
    lods = [Lod(i, sphere(t)) for i, t in enumerate((100_000, 50_000, 25_000, 10_000))]
    asset = LodSet("Statue", lods, Material("Stone", texture(2048)))
    print(f"asset: LOD triangles {[lod.mesh.triangle_count for lod in lods]}, texture 2048x2048")
    projects = {
        "unity": unity_project(tmp / "unity"),
        "unreal": unreal_project(tmp / "unreal"),
        "godot": godot_project(tmp / "godot"),
    }
    options = ExportOptions()
    exporters = {"unity": export_unity, "unreal": export_unreal, "godot": export_godot}
    for run in range(2):
        timings = {}
        for name, export in exporters.items():
            start = time.perf_counter()
            export(asset, projects[name], options, "bench-asset")
            timings[name] = time.perf_counter() - start
        label = "first export" if run == 0 else "re-export   "
        parts = "  ".join(f"{k} {v:.3f} s" for k, v in timings.items())
        print(f"one-click {label}: {parts}  total {sum(timings.values()):.3f} s (target <= 2 s)")


def fbx_writer(tmp: Path) -> None:
    mesh = sphere(1_000_000)
    asset = LodSet("Big", [Lod(0, mesh)], Material("Stone", texture(64)))
    textures = {MapKind.BASE_COLOR: "Big_BaseColor.png"}
    data = fbx_bytes(asset, textures)
    seconds = best(lambda: fbx_bytes(asset, textures))
    rate = mesh.triangle_count / seconds
    print(
        f"FBX writer: {mesh.triangle_count:,} triangles in {seconds:.3f} s = "
        f"{rate / 1e6:.2f} M triangles/s (target >= 1)"
    )
    ours = tmp / "ours.fbx"
    ours.write_bytes(data)
    write_obj(asset, tmp / "big.obj")
    blender_fbx = tmp / "blender.fbx"
    script = (
        "import bpy, sys; bpy.ops.wm.read_factory_settings(use_empty=True); "
        f"bpy.ops.wm.obj_import(filepath={str(tmp / 'big.obj')!r}); "
        f"bpy.ops.export_scene.fbx(filepath={str(blender_fbx)!r}, use_selection=False)"
    )
    done = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python-expr", script], capture_output=True, text=True
    )
    if not blender_fbx.exists():
        print("Blender did not write its FBX:", done.stdout[-2000:], done.stderr[-2000:])
        return
    ratio = ours.stat().st_size / blender_fbx.stat().st_size
    print(
        f"FBX size: ours {ours.stat().st_size / 1e6:.1f} MB, "
        f"Blender 3.4's {blender_fbx.stat().st_size / 1e6:.1f} MB "
        f"of the same mesh (normals + UVs): ratio {ratio:.2f} (target <= 1.2)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        one_click(tmp)
        fbx_writer(tmp)


if __name__ == "__main__":
    main()
