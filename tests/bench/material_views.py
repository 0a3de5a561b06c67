"""Before/after picture set of the baked maps: LOD0 and LOD2, without and with the normal and
occlusion maps, from three views, next to the full-detail shape; one contact sheet per asset.
"LOD2 with the maps" is LOD2 as the app writes it (its own UVs in the strip below LOD0's texture,
filled from LOD0's surface); the row under it is LOD2 as it was written before (simplified on
LOD0's atlas, its own normals under LOD0's maps), and the last row bakes LOD2 its own maps from
the full-detail shape, which is what a separate map per LOD would give.

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python tests/bench/material_views.py \
        [-o out/material_views] [--lod0 5000] [IMAGE ...]

Drawn by the app's own viewport (real OpenGL; `xvfb-run` gives it a display) in solid
shading, so the maps, not the colour texture, make the difference. Assets: a sphere with fine
sine relief (327,680 triangles, the shape the Blender test measures) and each picture (default:
the bundled sample) through the real pipeline (Relief at a fine grid, LOD0 reduced to `--lod0`
triangles, normal map and occlusion baked). Writes `<name>_maps.png` into the output folder.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from bake_scenes import displaced_sphere, reduced_and_unwrapped  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from PySide6.QtGui import QImage, QSurfaceFormat  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.generation.request import GenerationRequest  # noqa: E402
from app.core.generation.stages import generate  # noqa: E402
from app.core.mesh.lod import build_lods  # noqa: E402
from app.core.mesh.normals import welded_vertex_normals  # noqa: E402
from app.core.mesh.tangents import with_tangents  # noqa: E402
from app.core.mesh.types import Lod, LodSet, Material, Mesh  # noqa: E402
from app.core.texture.lod_atlas import fit_chain  # noqa: E402
from app.core.texture.maps import BakeSettings, bake_chain, bake_maps  # noqa: E402
from app.ui.viewport.gl_widget import ViewportWidget  # noqa: E402
from app.ui.viewport.renderer import Shading  # noqa: E402

SAMPLE = HERE.parents[1] / "resources" / "samples" / "robot.png"
VIEWS = (("front", 0.0, 0.0), ("right", 90.0, 0.0), ("three-quarter", 35.0, 20.0))
TILE = 300


def _sphere_asset(lod0_triangles: int) -> LodSet:
    source = displaced_sphere()
    lod0 = reduced_and_unwrapped(source, lod0_triangles, 1024)
    budgets = [lod0_triangles // 2, lod0_triangles // 4]
    lods = build_lods(lod0, budgets)
    lods, material, _ = bake_chain(lods, source, Material(), 1024, BakeSettings(occlusion=True))
    lods, material, _ = fit_chain(lods, budgets, material)  # as the maps step does
    return LodSet("relief_sphere", lods, material, full_detail=source)


def _picture_asset(path: Path, lod0_triangles: int, out_dir: Path) -> LodSet:
    request = GenerationRequest(
        path, params={"resolution": 384, "smoothing": 0.8}, lod0_triangles=lod0_triangles, occlusion=True
    )
    result = generate(request, out_dir / f"{path.stem}.glb")
    if not result.ok or result.lodset is None:
        raise SystemExit(f"{path}: {result.message}")
    return result.lodset


def _own_bake(lodset: LodSet, level: int) -> LodSet:
    """LOD `level` alone with maps baked onto its own UVs from the full-detail shape."""
    lod = lodset.lods[level].mesh
    assert lodset.full_detail is not None
    lod.tangents = None
    mesh, maps = bake_maps(lod, lodset.full_detail, 1024, BakeSettings(occlusion=True))
    return LodSet(f"LOD{level}", [Lod(0, mesh)], Material(maps=maps))


def _as_before(lodset: LodSet) -> LodSet:
    """The chain as it was written before LODs got their own UVs: each level simplified from
    LOD0 on LOD0's atlas (its seams locked, so low levels can stay over budget), with its own
    normals and tangents under LOD0's maps."""
    material = lodset.material
    texture = material.base_color_texture
    atlas = texture if texture is not None else material.maps.normal
    assert atlas is not None
    width, height = atlas.shape[1], atlas.shape[0]
    lod0 = lodset.lods[0].mesh
    assert lod0.uvs is not None
    uvs = lod0.uvs.copy()
    uvs[:, 1] *= height / width  # back from the square at the top of the taller atlas
    first = replace(lod0, uvs=uvs)
    budgets = [max(4, lodset.lods[0].mesh.triangle_count >> k) for k in range(1, len(lodset.lods))]
    lods = build_lods(first, budgets, measure_samples=0)
    lower = []
    for lod in lods[1:]:
        mesh = lod.mesh
        normals = welded_vertex_normals(mesh.vertices, mesh.faces)
        lower.append(Lod(lod.level, with_tangents(Mesh(mesh.vertices, mesh.faces, normals, mesh.uvs))))
    maps = material.maps
    square = replace(
        material,
        base_color_texture=None if texture is None else texture[:width],
        maps=replace(
            maps,
            normal=None if maps.normal is None else maps.normal[:width],
            occlusion=None if maps.occlusion is None else maps.occlusion[:width],
        ),
    )
    return LodSet(f"{lodset.name}_before", [Lod(0, first), *lower], square)


def _grab(widget: ViewportWidget) -> np.ndarray:
    image = widget.grabFramebuffer().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()


def sheet(lodset: LodSet, out_dir: Path) -> Path:
    full = LodSet("full", [Lod(0, lodset.full_detail)], Material())
    before = _as_before(lodset)
    rows = [
        (f"full detail ({full.lod0.triangle_count:,} triangles)", full, 0, False),
        (f"LOD0 ({lodset.lods[0].mesh.triangle_count:,}) without maps", lodset, 0, False),
        ("LOD0 with normal + occlusion maps", lodset, 0, True),
        (f"LOD2 ({lodset.lods[2].mesh.triangle_count:,}) without maps", lodset, 2, False),
        ("LOD2 with the maps, as written", lodset, 2, True),
        (f"before: LOD2 on LOD0's atlas and maps ({before.lods[2].mesh.triangle_count:,})", before, 2, True),
        ("LOD2 with maps baked for it", _own_bake(lodset, 2), 0, True),
    ]
    widget = ViewportWidget()
    widget.resize(TILE, TILE)
    widget.set_grid_visible(False)
    widget.set_shading(Shading.SOLID)
    canvas = Image.new("RGB", (TILE * len(VIEWS), (TILE + 20) * len(rows)), (48, 48, 52))
    draw = ImageDraw.Draw(canvas)
    for r, (label, shown, level, maps) in enumerate(rows):
        top = r * (TILE + 20)
        draw.text((6, top + 4), label, fill=(230, 230, 230))
        widget.set_lodset(shown)
        widget.set_lod(level)
        widget.set_normal_map(maps)
        widget.set_occlusion(maps)
        for c, (view, yaw, pitch) in enumerate(VIEWS):
            widget.camera.yaw, widget.camera.pitch = yaw, pitch
            widget.camera.frame(lodset.lod0.bounds(), 1.0)
            canvas.paste(Image.fromarray(_grab(widget)), (c * TILE, top + 20))
            draw.text((c * TILE + 6, top + 20 + TILE - 14), view, fill=(180, 180, 180))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{lodset.name}_maps.png"
    canvas.save(target)
    return target


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("images", nargs="*", type=Path, default=[SAMPLE])
    parser.add_argument("-o", "--out", type=Path, default=Path("out/material_views"))
    parser.add_argument("--lod0", type=int, default=5000)
    args = parser.parse_args()
    surface = QSurfaceFormat()
    surface.setVersion(3, 3)
    surface.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    surface.setSamples(4)
    QSurfaceFormat.setDefaultFormat(surface)
    app = QApplication(sys.argv[:1])
    print(sheet(_sphere_asset(args.lod0), args.out))
    for path in args.images:
        print(sheet(_picture_asset(path, args.lod0, args.out), args.out))
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
