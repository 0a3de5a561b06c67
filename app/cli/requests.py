"""The generation options `sweedle generate` and `sweedle queue add` share, and the one place that
turns them into a request, so a queued picture is made exactly as a generated one would be."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.base.errors import SweedleError
from app.core.base.rules import (
    CUTOUT_MODES,
    DEFAULT_LODS,
    DEFAULT_TEXTURE_SIZE,
    TEXTURE_SIZES,
    LodTarget,
    parse_lods,
)
from app.core.generation.request import GenerationRequest
from app.core.texture.paint_options import TEXTURE_METHODS


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that makes assets takes."""
    from app.core.generation.engines.registry import engine_names

    parser.add_argument("--engine", default="relief", choices=engine_names())
    parser.add_argument(
        "--height", type=float, default=1.0, metavar="METRES", help="real-world height (default 1.0)"
    )
    parser.add_argument(
        "--lods",
        default=",".join(DEFAULT_LODS),
        metavar="LIST",
        help="LODs after LOD0: percentages of LOD0 (50%%) or triangle budgets (5000), "
        "comma-separated, or 'none' or 0 for LOD0 only (default %(default)s)",
    )
    parser.add_argument("--lod0-triangles", type=int, metavar="N", help="triangle budget for LOD0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--texture-size", type=int, default=DEFAULT_TEXTURE_SIZE, choices=TEXTURE_SIZES)
    parser.add_argument(
        "--normal-map",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bake a tangent-space normal map from the full-detail shape onto LOD0 when LOD0 is "
        "reduced (default on)",
    )
    parser.add_argument(
        "--ao",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="bake ambient occlusion from the full-detail shape (default off)",
    )
    parser.add_argument(
        "--bake",
        choices=("auto", "always"),
        default="auto",
        help="always: replace the engine's own texture (Relief's projection) with a texture baked "
        "anew onto an unwrapped LOD0 (slower); auto (default): bake only when the engine gives none",
    )
    parser.add_argument(
        "--texture",
        choices=TEXTURE_METHODS,
        default="auto",
        help="how the texture is made: projection bakes the pictures on; paint has Hunyuan3D-2 Paint "
        "make six views of the mesh first (needs its weights, and a GPU to be quick); auto (default) "
        "paints Hunyuan shapes when the paint weights and a GPU are there",
    )
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="engine parameter, repeatable",
    )
    parser.add_argument("--variant", help="model variant of the engine (hunyuan: sweedle models list)")
    parser.add_argument(
        "--cutout",
        choices=CUTOUT_MODES,
        default="auto",
        help="how the subject is cut out: alpha (the picture's transparency), model (an installed cutout "
        "model), classical (no model); auto (default) tries them in that order and stops when unsure",
    )


@dataclass(frozen=True)
class RequestOptions:
    """The shared options of one command line, the LOD list and the engine parameters parsed once
    (a bad one fails the command before any job)."""

    args: argparse.Namespace
    lods: tuple[LodTarget, ...]
    params: dict[str, str]

    @classmethod
    def parse(cls, args: argparse.Namespace) -> RequestOptions:
        params = parse_pairs(args.param)
        if args.variant:
            params["variant"] = args.variant
        return cls(args, parse_lods(args.lods), params)

    def request(self, image: Path, **only_this_job: Any) -> GenerationRequest:
        """The request for `image`; `only_this_job` sets what a single job adds (name, mask,
        views). Raises InputError for a value the request refuses."""
        args = self.args
        return GenerationRequest(
            image_path=image,
            engine=args.engine,
            height_m=args.height,
            lods=self.lods,
            lod0_triangles=args.lod0_triangles,
            seed=args.seed,
            texture_size=args.texture_size,
            normal_map=args.normal_map,
            occlusion=args.ao,
            texture_method=args.texture,
            bake=args.bake,
            cutout=args.cutout,
            params=self.params,
            **only_this_job,
        )


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """`NAME=VALUE` options (--param, --view) as a dict."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SweedleError(f"--param {pair!r} must look like NAME=VALUE, e.g. thickness=0.5")
        params[name.strip()] = value.strip()
    return params
