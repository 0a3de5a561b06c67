"""Small, distinct RGBA pictures for queue tests: a coloured ellipse on transparency, each with
its own size and colour, so every picture has its own SHA-256 (no job reuses another's asset)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

from app.core.generation.request import GenerationRequest

SMALL_RELIEF = {"resolution": 32}
"""Relief at its lowest grid: a job takes a fraction of a second."""


def make_pictures(
    folder: Path, count: int, size: int = 96, prefix: str = "pic", first: int = 0
) -> list[Path]:
    """`count` pictures named prefix01...; `first` shifts which shapes they get, so pictures of
    two calls differ."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        i = n + first
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        inset = 8 + (i * 5) % 24
        colour = (40 + (i * 37) % 200, 80 + (i * 53) % 150, 200 - (i * 29) % 150, 255)
        draw.ellipse([inset, 10 + i % 7, size - 10 - i % 11, size - inset], fill=colour)
        path = folder / f"{prefix}{n + 1:02d}.png"
        image.save(path)
        paths.append(path)
    return paths


def queue_requests(paths: list[Path], **params: object) -> list[GenerationRequest]:
    """Small, quick Relief requests (no LODs, 256² texture) for queue tests."""
    return [GenerationRequest(p, lods=(), texture_size=256, params={**SMALL_RELIEF, **params}) for p in paths]


def farm_head_command(port: int, cpu_workers: int, token_file: Path) -> list[str]:
    """`sweedle farm head` on the loopback interface only, as the tests and the benchmark start it."""
    return [
        sys.executable,
        "-m",
        "app",
        "farm",
        "head",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--cpu-workers",
        str(cpu_workers),
        "--token-file",
        str(token_file),
    ]
