"""Files a mesh refers to (an OBJ's .mtl and texture, a glTF's buffers and images, a PLY's
texture), handed to trimesh under Sweedle's rules.

trimesh fetches them through a resolver and decodes pictures with Pillow itself, dropping any
it cannot read without a word. So the resolver here reads only regular files inside the mesh's
folder, checks every picture against the format allow-list and the pixel limit before trimesh
sees it, and keeps a one-line note for each file it left out; while trimesh runs, Pillow tries
only the allowed formats (which also covers pictures embedded in a .gltf as data).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
from PIL import Image
from trimesh.resolvers import FilePathResolver

from app.core.base.errors import InputError
from app.core.formats.suffixes import PICTURE_SUFFIXES
from app.core.imaging.pictures import (
    ALLOWED_FORMATS,
    FORMATS_HINT,
    check_pixels,
    corrupt,
    is_picture_data,
    reason,
)
from app.core.imaging.textures import check_texture

_PICTURE_NAMES = frozenset(
    {*PICTURE_SUFFIXES, ".tga", ".eps", ".ps", ".pdf", ".psd", ".svg", ".ico", ".cur", ".icns", ".jp2"}
    | {".j2k", ".jpx", ".dds", ".ktx", ".ktx2", ".hdr", ".exr", ".heic", ".avif", ".xcf", ".qoi", ".pcx"}
    | {".ppm", ".pgm", ".pbm", ".pnm", ".sgi", ".rgb"}
)
"""Suffixes that mark a referenced file as meant to be a picture, whatever it holds."""


class CompanionFiles(FilePathResolver):
    """trimesh's resolver for one mesh: what the mesh may read beside it, and what was left out."""

    def __init__(self, mesh: Path) -> None:
        super().__init__(str(mesh))
        self.mesh = mesh
        self.notes: list[str] = []
        """One line per referenced file that was left out (outside the folder, missing, unreadable)."""
        self.refusal: InputError | None = None
        """The first referenced picture refused for its format or size: the whole mesh is refused."""

    def get(self, name: str) -> bytes:
        wanted = name.strip()
        path = self._inside(wanted)
        try:
            st = path.stat()
        except OSError:
            self._note(f"{wanted} was not found, so it was left out; put it next to {self.mesh.name}")
            raise FileNotFoundError(wanted) from None
        if not stat.S_ISREG(st.st_mode):
            self._note(f"{wanted} is not a regular file, so it was left out")
            raise FileNotFoundError(wanted)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._note(f"{wanted} cannot be read ({exc.strerror or exc}), so it was left out")
            raise FileNotFoundError(wanted) from None
        if Path(wanted).suffix.lower() in _PICTURE_NAMES or is_picture_data(data[:512]):
            try:
                check_texture(data, f"{self.mesh.name}'s texture {wanted}")
            except InputError as exc:
                self.refusal = self.refusal or exc
                raise
        return data

    def _inside(self, wanted: str) -> Path:
        """The file `wanted` names, as trimesh would find it (as written, then by its bare name),
        provided it lies inside the mesh's folder once links are followed."""
        root = Path(self.parent).resolve()
        outside = False
        for candidate in (wanted, wanted.lstrip("/"), os.path.basename(wanted)):
            path = (root / candidate).resolve()
            if not path.is_relative_to(root):
                outside = True
            elif path.exists():
                return path
        if outside:
            self._note(
                f"{wanted} is outside the mesh's folder, so it was left out; copy it next to "
                f"{self.mesh.name} to use it"
            )
            raise ValueError(f"{wanted} is outside {root}")
        return root / wanted

    def _note(self, what: str) -> None:
        note = f"{self.mesh.name}: {what}"
        if note not in self.notes:
            self.notes.append(note)


def texture_pixels(image: Image.Image, mesh: Path) -> np.ndarray:
    """RGB uint8 pixels of the texture trimesh opened for `mesh`, under the allow-list and the
    pixel limit (trimesh opens pictures lazily, so nothing is decoded before this check)."""
    name = f"{mesh.name}'s texture"
    if image.format is not None and image.format not in ALLOWED_FORMATS:
        raise InputError(f"{name} is a {image.format} picture; {FORMATS_HINT}")
    check_pixels(name, image.size)
    try:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except MemoryError:
        raise InputError(f"{name} is too large to decode in the memory available: scale it down") from None
    except Exception as exc:  # decoders raise many types on damaged data
        raise corrupt(name, reason(exc)) from None
