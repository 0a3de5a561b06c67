"""Is a safetensors file whole and honest, read from its header before torch reads a byte?

The header must be a JSON table of tensors whose byte ranges match their dtype and shape and tile
the data exactly, and the file must be exactly as long as the header says: this catches truncated
downloads, damaged copies and headers that lie about their contents. Safetensors never unpickles,
so a weight file cannot run code; this check is about clear messages instead of a crash mid-load.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path
from typing import Any

from app.core.base.errors import GenerationError
from app.core.weights.safe_files import Where, open_regular, show

HEADER_LIMIT = 100_000_000
"""safetensors' own limit on the header size."""
DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "F8_E8M0": 1,
    "U16": 2,
    "I16": 2,
    "F16": 2,
    "BF16": 2,
    "U32": 4,
    "I32": 4,
    "F32": 4,
    "U64": 8,
    "I64": 8,
    "F64": 8,
}


class _Lie(ValueError):
    pass


def check_safetensors(path: Path, fix: str) -> None:
    """Header parses, its tensors tile the data, and the file is exactly as long as they declare."""
    where = Where("the weight file", fix)
    if not os.path.lexists(path):
        raise GenerationError(f"the weight file {path} is missing: {fix}")
    with open_regular(path, where) as (fh, size):
        try:
            (header_len,) = struct.unpack("<Q", fh.read(8))
            if header_len <= 0 or header_len > min(size - 8, HEADER_LIMIT):
                raise _Lie("its header length is impossible")
            header = json.loads(fh.read(header_len))
            data_len = _data_length(header)
        except (struct.error, ValueError, RecursionError, UnicodeDecodeError) as exc:
            detail = f": {exc}" if isinstance(exc, _Lie) else ""
            raise GenerationError(
                f"the weight file {path} is damaged (not a valid safetensors file{detail}): {fix}"
            ) from None
    expected = 8 + header_len + data_len
    if size != expected:
        raise GenerationError(
            f"the weight file {path} is incomplete or damaged ({size:,} bytes, expected {expected:,}): {fix}"
        )


def _data_length(header: Any) -> int:
    """The data size the header declares; `_Lie` when its entries cannot be true."""
    if not isinstance(header, dict):
        raise _Lie("its header is not a table of tensors")
    ranges = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise _Lie("its metadata is not text")
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _Lie(f"tensor {show(name)} is not described by dtype, shape and offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPE_BYTES:
            raise _Lie(f"tensor {show(name)} has the unknown dtype {show(dtype)}")
        if not isinstance(shape, list) or not all(_count(n) for n in shape):
            raise _Lie(f"tensor {show(name)} has the impossible shape {show(shape)}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_count(n) for n in offsets):
            raise _Lie(f"tensor {show(name)} has impossible offsets {show(offsets)}")
        begin, end = offsets
        if end - begin != math.prod(shape) * DTYPE_BYTES[dtype]:
            raise _Lie(f"tensor {show(name)} claims {end - begin:,} bytes for shape {show(shape)} of {dtype}")
        ranges.append((begin, end))
    position = 0
    for begin, end in sorted(ranges):
        if begin != position:
            raise _Lie("its tensors overlap or leave gaps")
        position = end
    return position


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
