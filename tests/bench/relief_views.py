"""Before/after picture set of Relief assets: the picture and the asset from every side.

    .venv/bin/python tests/bench/relief_views.py [-o out/relief_views] [-p NAME=VALUE ...] [IMAGE ...]

For each picture (default: the 14 sample pictures) it runs the whole pipeline (as `sweedle
generate` does, with the given Relief parameters) and renders LOD0 with the software renderer,
textured and unlit, from the front, left side, back, top and three-quarter views, all at one
scale. Writes `<name>_views.png` (one row: picture, then the five views) per picture and
`all_views.png` (every row stacked) into the output folder. Run it on an older commit to get the
"before" set.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from app.core.generation.request import GenerationRequest  # noqa: E402
from app.core.generation.stages import generate  # noqa: E402
from app.core.render.soft import render  # noqa: E402

VIEWS = ("front", "left", "back", "top", "three-quarter")
TILE = 240
LABEL = 18
BACKDROP = (48, 48, 52)
DEFAULT_IMAGES = HERE.parents[2] / "shared" / "samples" / "images"


def row(path: Path, params: dict[str, str], tmp: Path) -> Image.Image:
    """The picture and the five renders of its asset side by side, labelled."""
    result = generate(GenerationRequest(image_path=path, params=params, lods=()), tmp / f"{path.stem}.glb")
    canvas = Image.new("RGB", (TILE * (len(VIEWS) + 1), TILE + LABEL), BACKDROP)
    draw = ImageDraw.Draw(canvas)
    with Image.open(path) as picture:
        thumb = picture.convert("RGBA")
    thumb.thumbnail((TILE, TILE))
    canvas.paste(thumb, ((TILE - thumb.width) // 2, LABEL + (TILE - thumb.height) // 2), thumb)
    draw.text((4, 2), path.stem, fill=(230, 230, 230))
    if not result.ok:
        draw.text((TILE + 6, LABEL + 6), f"failed: {result.message}", fill=(255, 120, 120))
        return canvas
    lodset = result.lodset
    for c, view in enumerate(VIEWS, start=1):
        tile = render(lodset.lod0, lodset.material, size=(TILE, TILE), view=view, framing="sphere")
        canvas.paste(Image.fromarray(tile), (c * TILE, LABEL), Image.fromarray(tile[..., 3]))
        draw.text((c * TILE + 4, 2), view, fill=(180, 180, 180))
    return canvas


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=Path("out/relief_views"))
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    images = args.images or sorted(DEFAULT_IMAGES.glob("*.png"))
    params = dict(pair.split("=", 1) for pair in args.param)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in images:
            sheet = row(path, params, Path(tmp))
            target = args.out / f"{path.stem}_views.png"
            sheet.save(target)
            rows.append(sheet)
            print(target)
    overview = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), BACKDROP)
    for i, sheet in enumerate(rows):
        overview.paste(sheet, (0, i * sheet.height))
    overview.save(args.out / "all_views.png")
    print(args.out / "all_views.png", np.asarray(overview).shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
