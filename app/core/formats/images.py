"""PNG encoding tuned for speed: textures are written on every export and re-export.

A hand-rolled encoder beats Pillow here because PNG's "Up" filter vectorises in numpy and
zlib's Z_RLE strategy at level 1 compresses its zero runs well. Measured on 1024² RGB textures on
the project's 2-core machine: a smooth generated texture 16 ms / 0.40 MB (Pillow: level 1 34 ms /
0.41 MB, level 6 83 ms / 0.36 MB); a noisy one 31-39 ms / 1.9-2.2 MB (Pillow level 1: 159 ms /
2.3 MB). Pillow spends most of its time choosing a filter per row; one fixed filter costs little.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
"""Channel count → PNG colour type (grey, grey+alpha, RGB, RGBA)."""
_FILTER_UP = 2


def encode_png(image: np.ndarray) -> bytes:
    """Encode an 8-bit (H, W), (H, W, 1..4) image as PNG bytes (grey, RGB or RGBA by channels)."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or 0 in image.shape:
        raise ValueError(f"encode_png needs uint8 (H, W[, C]), not {image.dtype} {image.shape}")
    pixels = image.reshape(image.shape[0], image.shape[1], -1)
    height, width, channels = pixels.shape
    if channels not in _COLOUR_TYPES:
        raise ValueError(f"encode_png supports 1 to 4 channels, got {channels}")
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), dtype=np.uint8)
    filtered[:, 0] = _FILTER_UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    idat = deflate.compress(filtered.data) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    chunks = (_chunk(b"IHDR", header), _chunk(b"IDAT", idat), _chunk(b"IEND", b""))
    return _SIGNATURE + b"".join(chunks)


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)
