"""Texture pictures inside or beside meshes, decoded under the same rules as a dropped picture.

A mesh from elsewhere carries its texture as bytes in any format its author chose: it goes
through the same format allow-list and pixel limit as a picture, so a GLB or OBJ cannot smuggle in
an EPS or a decompression bomb.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from app.core.base.errors import InputError
from app.core.imaging.pictures import PILLOW_GLOBALS_LOCK, check_pixels, corrupt, open_picture, reason


def decode_texture(data: bytes | memoryview, name: str) -> np.ndarray:
    """RGB uint8 pixels of a texture; `name` says whose texture it is in messages
    (e.g. "chair.glb's texture"). Raises InputError for a refused or damaged picture."""
    with PILLOW_GLOBALS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged EXIF block or a short read is not fatal
        with open_picture(io.BytesIO(data), name) as im:
            check_pixels(name, im.size)
            try:
                return np.asarray(im.convert("RGB"))
            except MemoryError:
                raise InputError(
                    f"{name} is too large to decode in the memory available: scale it down first"
                ) from None
            except Exception as exc:  # decoders raise many types on damaged data
                raise corrupt(name, reason(exc)) from None


def check_texture(data: bytes, name: str) -> None:
    """Refuse texture bytes that are not an allowed picture within the pixel limit, from the
    header alone (for files another library decodes afterwards)."""
    with PILLOW_GLOBALS_LOCK, open_picture(io.BytesIO(data), name) as im:
        check_pixels(name, im.size)
