"""Before/after picture set of the texture bake: one contact sheet per picture.

    .venv/bin/python tests/bench/texture_views.py [-o out/texture_views] [--size 1024] [IMAGE ...]

For each picture (default: the bundled sample) it makes the Relief mesh and renders it with the
software renderer from the front, back, left, right and three-quarter views, in three rows:
the bare mesh (before any texture), Relief's own planar projection, and the unwrapped projection
bake (back filled from the seen surfaces). Writes `<name>_views.png` into the output folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from app.core.base.cancel import CancelToken  # noqa: E402
from app.core.generation.engines.base import ShapeInput  # noqa: E402
from app.core.generation.engines.relief import ReliefEngine  # noqa: E402
from app.core.imaging import foreground_mask, frame_subject, load_image  # noqa: E402
from app.core.mesh.types import Mesh  # noqa: E402
from app.core.paths import models_dir  # noqa: E402
from app.core.render.soft import render  # noqa: E402
from app.core.texture.bake import View  # noqa: E402
from app.core.texture.pipeline import texture_mesh  # noqa: E402

VIEWS = ("front", "back", "left", "right", "three-quarter")
TILE = 320
SAMPLE = HERE.parents[1] / "resources" / "samples" / "robot.png"


def sheet(path: Path, out_dir: Path, size: int) -> Path:
    image = load_image(path)
    framed = frame_subject(image, foreground_mask(image, models_dir(), None), size)
    params = {"thickness": 0.6, "resolution": 160, "smoothing": 1.5}
    shaped = ReliefEngine().generate(ShapeInput(framed), params, lambda _f, _m: None, CancelToken())
    bare = Mesh(shaped.mesh.vertices, shaped.mesh.faces)
    baked_mesh, baked_material = texture_mesh(bare, [View("front", framed)], size, back="fill")
    rows = [
        ("before: bare mesh", bare, None, "flat-colour"),
        ("Relief planar projection", shaped.mesh, shaped.material, "textured"),
        ("after: unwrap + bake", baked_mesh, baked_material, "textured"),
    ]
    canvas = Image.new("RGB", (TILE * len(VIEWS), (TILE + 20) * len(rows)), (48, 48, 52))
    draw = ImageDraw.Draw(canvas)
    for r, (label, mesh, material, shading) in enumerate(rows):
        top = r * (TILE + 20)
        draw.text((6, top + 4), label, fill=(230, 230, 230))
        for c, view in enumerate(VIEWS):
            tile = render(mesh, material, size=(TILE, TILE), view=view, shading=shading, framing="sphere")
            canvas.paste(Image.fromarray(tile), (c * TILE, top + 20), Image.fromarray(tile[..., 3]))
            draw.text((c * TILE + 6, top + 20 + TILE - 14), view, fill=(180, 180, 180))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}_views.png"
    canvas.save(target)
    Image.fromarray(np.asarray(baked_material.base_color_texture)).save(out_dir / f"{path.stem}_texture.png")
    return target


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("images", nargs="*", type=Path, default=[SAMPLE])
    parser.add_argument("-o", "--out", type=Path, default=Path("out/texture_views"))
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    for path in args.images:
        print(sheet(path, args.out, args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
