"""GLB (binary glTF 2.0) writer: Sweedle's main output format (the reader is `glb_reader`).

Layout written: one scene with one root node named after the asset, whose only child is
"<name>_LOD0": the one mesh any glTF reader shows. LOD1.. are meshes "<name>_LOD1".. that no
node places, listed (with their triangle counts, errors and switch distances) in the LOD0
node's `extras.sweedle_lods`. They ride along so that Sweedle (and a script) can read the
whole chain back from any GLB it wrote, the library's own included; a plain reader shows
LOD0 alone, because it instantiates nodes, not meshes. MSFT_lod is not used: it needs a node
per LOD, and Godot 3 and Blender import every node, so each LOD showed up stacked on LOD0,
while none of Sweedle's targets (glTFast, Godot, Blender, Unreal) reads the extension. The
engines get their LODs elsewhere: Unity and Unreal from the FBX's LOD group, Godot by
building its own (or from `<name>_lod<k>.glb`, one file per LOD, with `--godot-lods`).
Plain float32 data and no required extension: the one GLB every engine loads.

Baked maps (see `MaterialMaps`) go in as `normalTexture` (tangent space, green +Y as glTF
prescribes) and `occlusionTexture` (a grey PNG: glTF reads its R channel); roughness and
metallic stay factors, since Sweedle bakes them as constants. A mesh is written with `TANGENT`
(its MikkTSpace tangents, computed here when a normal-mapped mesh has none), so a reader uses the
basis the map was baked in rather than rebuilding one.

The JSON is built as plain dicts and the binary chunk from numpy buffers: pygltflib's object model
would add a serialisation pass and nothing we need.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from app.core.base.atomic import atomic_write_bytes
from app.core.base.rules import lod_screen_coverages
from app.core.base.version import VERSION
from app.core.formats.asset_names import MapKind, material_name, texture_name
from app.core.formats.images import encode_png
from app.core.mesh.normals import shading_normals
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import Lod, LodSet, Material, Mesh, NormalConvention

GLB_MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A
BIN_CHUNK = 0x004E4942
_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
TRIANGLES = 4
_LINEAR, _LINEAR_MIPMAP_LINEAR, _CLAMP_TO_EDGE = 9729, 9987, 33071
LOWER_LODS = "sweedle_lods"
"""The LOD0 node's extras key listing the meshes of LOD1.. (no node places them)."""


def glb_bytes(lodset: LodSet) -> bytes:
    """The complete GLB file for `lodset` (see the module docstring for the layout)."""
    _check_writable(lodset)
    blob = _BinaryChunk()
    name = lodset.name
    meshes = []
    needs_tangents = lodset.material.maps.normal is not None
    for lod in lodset.lods:
        lod_name = f"{name}_LOD{len(meshes)}"
        mesh = with_tangents(lod.mesh) if needs_tangents and lod.mesh.tangents is None else lod.mesh
        meshes.append(
            {
                "name": lod_name,
                "primitives": [_primitive(mesh, blob)],
                "extras": {"sweedle_lod": _lod_facts(len(meshes), lod)},
            }
        )
    lod0_node: dict[str, Any] = {
        "name": f"{name}_LOD0",
        "mesh": 0,
        "extras": {"sweedle_lod": _lod_facts(0, lodset.lods[0])},
    }
    if len(meshes) > 1:
        lod0_node["extras"][LOWER_LODS] = {
            "meshes": list(range(1, len(meshes))),
            "screen_coverage": lod_screen_coverages(len(meshes)),
        }
    doc: dict[str, Any] = {
        "asset": {
            "version": "2.0",
            "generator": f"Sweedle {VERSION}",
            "extras": {"sweedle": lodset.provenance},
        },
        "scene": 0,
        "scenes": [{"name": name, "nodes": [0]}],
        "nodes": [{"name": name, "children": [1]}, lod0_node],
        "meshes": meshes,
        "materials": [_material(lodset.material, blob, lodset.name)],
    }
    if blob.image_views:
        doc["samplers"] = [
            {
                "magFilter": _LINEAR,
                "minFilter": _LINEAR_MIPMAP_LINEAR,
                "wrapS": _CLAMP_TO_EDGE,
                "wrapT": _CLAMP_TO_EDGE,
            }
        ]
        doc["textures"] = [{"sampler": 0, "source": i} for i in range(len(blob.image_views))]
        doc["images"] = [
            {"name": name, "bufferView": view, "mimeType": "image/png"}
            for name, view in zip(blob.image_names, blob.image_views, strict=True)
        ]
    doc["bufferViews"] = blob.views
    doc["accessors"] = blob.accessors
    doc["buffers"] = [{"byteLength": blob.size}]
    return _assemble(doc, blob)


def _lod_facts(level: int, lod: Lod) -> dict[str, Any]:
    return {"level": level, "triangles": lod.mesh.triangle_count, "error_pct": float(lod.error_pct)}


def write_glb(lodset: LodSet, path: Path) -> None:
    """Write `lodset` to `path` atomically (readers never see a partial file)."""
    atomic_write_bytes(path, glb_bytes(lodset))


def _check_writable(lodset: LodSet) -> None:
    if not lodset.lods:
        raise ValueError(f"LodSet {lodset.name!r} has no LODs to write")
    for i, lod in enumerate(lodset.lods):
        if lod.mesh.triangle_count == 0:
            raise ValueError(f"LOD{i} of {lodset.name!r} has no triangles")
        textured = lodset.material.base_color_texture is not None or not lodset.material.maps.empty
        if textured and lod.mesh.uvs is None:
            raise ValueError(f"LOD{i} of {lodset.name!r} has no UVs but the material is textured")


class _BinaryChunk:
    """The single binary buffer under construction: 4-byte aligned views and their accessors."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []
        self.size = 0
        self.image_views: list[int] = []
        """Buffer views of the embedded PNGs; texture i shows image i."""
        self.image_names: list[str] = []

    def image(self, pixels: np.ndarray, name: str) -> int:
        """Embed `pixels` as a PNG called `name`; returns its texture index."""
        self.image_names.append(name)
        self.image_views.append(self.view(encode_png(pixels)))
        return len(self.image_views) - 1

    def view(self, data: bytes, target: int | None = None) -> int:
        view: dict[str, Any] = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        padding = -len(data) % 4
        self.parts.append(data + b"\0" * padding if padding else data)
        self.size += len(data) + padding
        self.views.append(view)
        return len(self.views) - 1

    def accessor(
        self, array: np.ndarray, component: int, kind: str, target: int, bounds: bool = False
    ) -> int:
        accessor: dict[str, Any] = {
            "bufferView": self.view(array.tobytes(), target),
            "componentType": component,
            "count": len(array),
            "type": kind,
        }
        if bounds:
            accessor["min"] = array.min(axis=0).tolist()
            accessor["max"] = array.max(axis=0).tolist()
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def _primitive(mesh: Mesh, blob: _BinaryChunk) -> dict[str, Any]:
    attributes = {
        "POSITION": blob.accessor(mesh.vertices, _FLOAT, "VEC3", _ARRAY_BUFFER, bounds=True),
        "NORMAL": blob.accessor(shading_normals(mesh), _FLOAT, "VEC3", _ARRAY_BUFFER),
    }
    if mesh.tangents is not None and mesh.uvs is not None:
        attributes["TANGENT"] = blob.accessor(_unit_tangents(mesh.tangents), _FLOAT, "VEC4", _ARRAY_BUFFER)
    if mesh.uvs is not None:
        attributes["TEXCOORD_0"] = blob.accessor(mesh.uvs, _FLOAT, "VEC2", _ARRAY_BUFFER)
    if mesh.lightmap_uvs is not None:
        # TEXCOORD_1 is the lightmap set (Godot's UV2, Unity's uv2); with no texture UVs it
        # stands in as TEXCOORD_0 too, since a set 1 needs a set 0.
        if mesh.uvs is None:
            attributes["TEXCOORD_0"] = blob.accessor(mesh.lightmap_uvs, _FLOAT, "VEC2", _ARRAY_BUFFER)
        attributes["TEXCOORD_1"] = blob.accessor(mesh.lightmap_uvs, _FLOAT, "VEC2", _ARRAY_BUFFER)
    # 0xFFFF is the primitive-restart value, so 16-bit indices need fewer than 65536 vertices.
    small = mesh.vertex_count < 65536
    indices = mesh.faces.astype(np.uint16 if small else np.uint32).ravel()
    index_type = _UNSIGNED_SHORT if small else _UNSIGNED_INT
    return {
        "attributes": attributes,
        "indices": blob.accessor(indices, index_type, "SCALAR", _ELEMENT_ARRAY_BUFFER),
        "material": 0,
        "mode": TRIANGLES,
    }


def _unit_tangents(tangents: np.ndarray) -> np.ndarray:
    """TANGENT as the validator wants it: unit xyz and w exactly ±1."""
    out = np.empty((len(tangents), 4), dtype=np.float32)
    out[:, :3] = tangents[:, :3] / np.maximum(np.linalg.norm(tangents[:, :3], axis=1, keepdims=True), 1e-12)
    out[:, 3] = np.where(tangents[:, 3] < 0, -1.0, 1.0)
    return out


def _material(material: Material, blob: _BinaryChunk, asset: str) -> dict[str, Any]:
    """The PBR material; textures are embedded as PNG.

    Their sampler clamps to the edge: UVs come from an atlas unwrap inside [0, 1] and nothing
    tiles, and REPEAT would let bilinear and mipmap filtering bleed the opposite border's
    texels into charts that touch the atlas edge.
    """
    pbr: dict[str, Any] = {
        "baseColorFactor": [float(c) for c in material.base_color_factor],
        "metallicFactor": float(material.metallic),
        "roughnessFactor": float(material.roughness),
    }
    out: dict[str, Any] = {"name": material_name(asset), "pbrMetallicRoughness": pbr}
    if material.base_color_texture is not None:
        base_color = blob.image(material.base_color_texture, texture_name(asset, MapKind.BASE_COLOR))
        pbr["baseColorTexture"] = {"index": base_color}
    maps = material.maps
    if maps.normal is not None:
        normal = maps.normal_for(NormalConvention.OPENGL)
        out["normalTexture"] = {"index": blob.image(normal, texture_name(asset, MapKind.NORMAL))}
    if maps.occlusion is not None:
        occlusion = blob.image(maps.occlusion, texture_name(asset, MapKind.OCCLUSION))
        out["occlusionTexture"] = {"index": occlusion}
    if not maps.empty:
        out["extras"] = {
            "sweedle_maps": {
                "normal_convention": NormalConvention.OPENGL.value,
                "tangent_space": maps.tangent_space,
                **maps.details,
            }
        }
    return out


def _assemble(doc: dict[str, Any], blob: _BinaryChunk) -> bytes:
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + blob.size
    return b"".join(
        [
            struct.pack("<4sII", GLB_MAGIC, 2, total),
            struct.pack("<II", len(text), JSON_CHUNK),
            text,
            struct.pack("<II", blob.size, BIN_CHUNK),
            *blob.parts,
        ]
    )
