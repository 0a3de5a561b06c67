"""A compressed GLB for the web and Unity glTFast: Draco meshes, JPEG colour textures.

Each primitive's vertex data and indices are replaced by one Draco buffer
(`KHR_draco_mesh_compression`, required: a reader without Draco cannot show the file), encoded
by DracoPy (Apache-2.0, binary wheels), an optional dependency imported only when a compressed
file is asked for (`pip install 'sweedle[compress]'`). Positions keep 14 bits per axis (0.1 mm
on a 1.8 m asset), UVs 12 bits, normals 10; tangents and lightmap UVs go in as lossless generic
attributes. The attribute ids are read back from the encoded buffer by decoding it with the
same library, which also checks each buffer before it is written.

Textures: the base colour becomes a JPEG (core glTF, every reader decodes it); the normal map and
the occlusion/ORM map stay PNG (block artefacts in a normal map show as shading faults). KTX2 /
Basis Universal textures are not written: no package on PyPI ships a Basis encoder for Python
3.11 under a stated licence (pyktx needs a system libktx that Debian does not package).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from app.core.export.errors import ExportError
from app.core.formats.glb_edit import add_view, join_glb, split_glb
from app.core.imaging.pictures import open_picture

DRACO = "KHR_draco_mesh_compression"
POSITION_BITS, UV_BITS, NORMAL_BITS = 14, 12, 10
DRACO_LEVEL = 7
"""Draco's compression level (0-10): 7 is its default for files meant for download."""
JPEG_QUALITY = 90
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_DTYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_GENERIC_IDS = {"TANGENT": 20, "TEXCOORD_1": 21}
"""Draco ids for the attributes passed as generic ones (any id unused by the others works)."""
_DRACO_KINDS = {0: "POSITION", 1: "NORMAL", 3: "TEXCOORD_0"}
"""Draco's attribute types for the named attributes it encodes itself."""
_GENERIC = 4


def draco() -> Any:
    """The DracoPy module, or an ExportError that says how to install it."""
    try:
        import DracoPy
    except ImportError as exc:
        raise ExportError(
            "A compressed GLB needs the DracoPy package: install it with pip install 'sweedle[compress]', "
            "or export without compression."
        ) from exc
    return DracoPy


def compressed_glb(glb: bytes) -> bytes:
    """`glb` (as `formats.glb` writes it) with Draco meshes and a JPEG base colour."""
    encoder = draco()
    doc, binary = split_glb(glb)
    out = bytearray()
    views: list[dict[str, Any]] = []
    packed = {"bufferViews": views}
    colour_images = {
        material["pbrMetallicRoughness"]["baseColorTexture"]["index"]
        for material in doc.get("materials", [])
        if "baseColorTexture" in material.get("pbrMetallicRoughness", {})
    }
    colour_sources = {doc["textures"][t]["source"] for t in colour_images}
    for index, image in enumerate(doc.get("images", [])):
        data = _view_bytes(doc, binary, image["bufferView"])
        jpeg = _jpeg(data) if index in colour_sources else None
        if jpeg is not None:
            data, image["mimeType"] = jpeg, "image/jpeg"
        image["bufferView"] = add_view(packed, out, data)
    for mesh in doc.get("meshes", []):
        for primitive in mesh["primitives"]:
            _draco_primitive(encoder, doc, binary, primitive, packed, out)
    doc["bufferViews"] = views
    for key in ("extensionsUsed", "extensionsRequired"):
        doc[key] = sorted({*doc.get(key, []), DRACO})
    return join_glb(doc, out)


def _draco_primitive(
    encoder: Any,
    doc: dict[str, Any],
    binary: bytearray,
    primitive: dict[str, Any],
    packed: dict[str, Any],
    out: bytearray,
) -> None:
    """Encode one primitive into a Draco buffer view; its accessors keep their types and counts
    (the decoded ones) but no longer point at data."""
    attributes = primitive["attributes"]
    arrays = {name: _accessor(doc, binary, index) for name, index in attributes.items()}
    faces = _accessor(doc, binary, primitive["indices"]).reshape(-1, 3).astype(np.uint32)
    generic = {_GENERIC_IDS[n]: arrays[n].astype(np.float32) for n in _GENERIC_IDS if n in arrays}
    unknown = set(arrays) - {"POSITION", "NORMAL", "TEXCOORD_0", *_GENERIC_IDS}
    if unknown:
        raise ExportError(f"Cannot compress vertex attributes {sorted(unknown)}; export without compression.")
    data = encoder.encode(
        arrays["POSITION"].astype(np.float64),
        faces,
        quantization_bits=POSITION_BITS,
        compression_level=DRACO_LEVEL,
        normals=_float64(arrays.get("NORMAL")),
        tex_coord=_float64(arrays.get("TEXCOORD_0")),
        generic_attributes=generic or None,
        tex_coord_quantization_bits=UV_BITS,
        normal_quantization_bits=NORMAL_BITS,
    )
    decoded = encoder.decode(data)
    generic_names = {i: n for n, i in _GENERIC_IDS.items()}
    ids: dict[str, int] = {}
    for attribute in decoded.attributes:
        unique_id, kind = attribute["unique_id"], attribute["attribute_type"]
        name = generic_names.get(unique_id) if kind == _GENERIC else _DRACO_KINDS.get(kind)
        if name in arrays:
            ids[name] = unique_id
    if set(ids) != set(arrays) or len(decoded.faces) != len(faces):
        raise ExportError("Draco lost part of the mesh while compressing it; export without compression.")
    vertex_count = len(decoded.points)
    for index in attributes.values():
        accessor = doc["accessors"][index]
        accessor.pop("bufferView", None)
        accessor.pop("byteOffset", None)
        accessor["count"] = vertex_count
    position = doc["accessors"][attributes["POSITION"]]
    position["min"] = decoded.points.min(axis=0).astype(np.float32).tolist()
    position["max"] = decoded.points.max(axis=0).astype(np.float32).tolist()
    indices = doc["accessors"][primitive["indices"]]
    indices.pop("bufferView", None)
    indices.pop("byteOffset", None)
    indices["componentType"] = 5123 if vertex_count < 65536 else 5125
    indices["count"] = len(decoded.faces) * 3
    primitive.setdefault("extensions", {})[DRACO] = {
        "bufferView": add_view(packed, out, data),
        "attributes": ids,
    }


def _accessor(doc: dict[str, Any], binary: bytearray, index: int) -> np.ndarray:
    """An accessor's data as (count, components), from the tightly packed views the writer makes."""
    accessor = doc["accessors"][index]
    view = doc["bufferViews"][accessor["bufferView"]]
    if "byteStride" in view or accessor.get("sparse"):
        raise ExportError("Cannot compress interleaved or sparse glTF data; export without compression.")
    components = _COMPONENTS[accessor["type"]]
    dtype = _DTYPES[accessor["componentType"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    flat = np.frombuffer(binary, dtype=dtype, count=accessor["count"] * components, offset=start)
    return flat.reshape(accessor["count"], components)


def _view_bytes(doc: dict[str, Any], binary: bytearray, index: int) -> bytes:
    view = doc["bufferViews"][index]
    start = view.get("byteOffset", 0)
    return bytes(binary[start : start + view["byteLength"]])


def _float64(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else array.astype(np.float64)


def _jpeg(png: bytes) -> bytes | None:
    """The picture as a JPEG, or None when it has transparency (JPEG has none to keep)."""
    with open_picture(io.BytesIO(png), "the base colour texture") as image:
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            return None
        rgb = image.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()
