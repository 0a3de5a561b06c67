"""GLB reader: Sweedle's own files with all their LODs, and simple GLBs from other tools.

Used by `sweedle info`, by imports into the library, and by tests that round-trip our writer.
Foreign files are read defensively: anything unexpected is an InputError naming the file.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.formats.glb import BIN_CHUNK, GLB_MAGIC, JSON_CHUNK, TRIANGLES
from app.core.imaging.textures import decode_texture
from app.core.mesh.geometry import unit_rows
from app.core.mesh.types import Lod, LodSet, Material, Mesh

_COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
_TYPE_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_READABLE_REQUIRED_EXTENSIONS = {"KHR_mesh_quantization"}
"""Quantized attributes are plain normalized/integer accessors plus a node transform."""
_Placed = tuple[dict[str, Any], np.ndarray]
"""A mesh primitive and the world matrix of the node that places it."""


def read_glb(path: Path) -> LodSet:
    """Read a GLB written by Sweedle (all LODs, material, provenance) or a simple foreign one.

    Foreign files: every triangle primitive in the default scene, node transforms applied, is
    merged into LOD0; further LODs come from the first node with MSFT_lod. Raises InputError for
    files that are not GLB, damaged, or need what this reader lacks (compression, external files).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    doc, binary = _split_glb(data, path)
    try:
        return _Reader(doc, binary, path).lodset()
    except InputError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, struct.error) as exc:
        raise InputError(
            f"{path} is a damaged or malformed GLB file ({type(exc).__name__}: {exc}). "
            "Re-export it from the program that made it."
        ) from exc


def _split_glb(data: bytes, path: Path) -> tuple[dict[str, Any], bytes]:
    """The JSON document and BIN chunk of a GLB, or an InputError saying what is wrong."""
    if data[:4] != GLB_MAGIC:
        hint = (
            " (it looks like a text .gltf file; export a binary .glb instead)"
            if data.lstrip()[:1] == b"{"
            else ""
        )
        raise InputError(f"{path} is not a GLB file{hint}. Choose a .glb file exported by a 3D tool.")
    if len(data) < 20:
        raise InputError(f"{path} is truncated ({len(data)} bytes): it was not fully written or copied.")
    version, declared = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise InputError(f"{path} is glTF version {version}; only glTF 2.0 files can be read.")
    if declared > len(data):
        raise InputError(
            f"{path} is truncated: its header says {declared} bytes but the file has {len(data)}. "
            "It was not fully written or copied; export or copy it again."
        )
    chunks: dict[int, bytes] = {}
    offset = 12
    while offset + 8 <= declared:
        length, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + length > declared:
            raise InputError(f"{path} is damaged: a chunk runs past the end of the file.")
        chunks.setdefault(kind, data[offset + 8 : offset + 8 + length])
        offset += 8 + length
    if JSON_CHUNK not in chunks:
        raise InputError(f"{path} is damaged: it has no JSON chunk.")
    try:
        doc = json.loads(chunks[JSON_CHUNK])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is damaged: its JSON chunk does not parse ({exc}).") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{path} is damaged: its JSON chunk is not a glTF object.")
    return doc, chunks.get(BIN_CHUNK, b"")


class _Reader:
    """Turns a parsed GLB into a LodSet; malformed structure surfaces as KeyError and the like."""

    def __init__(self, doc: dict[str, Any], binary: bytes, path: Path) -> None:
        self.doc, self.binary, self.path = doc, binary, path
        self.nodes: list[dict[str, Any]] = doc.get("nodes", [])
        self.lod_node: tuple[int, np.ndarray] | None = None
        """(node index, parent world matrix) of the first node with MSFT_lod."""

    def lodset(self) -> LodSet:
        missing = set(self.doc.get("extensionsRequired", [])) - _READABLE_REQUIRED_EXTENSIONS
        if missing:
            raise InputError(
                f"{self.path} needs the glTF extension(s) {', '.join(sorted(missing))}, which "
                "Sweedle cannot read. Export it again as a plain, uncompressed GLB."
            )
        roots = self._scene_roots()
        primitives = self._flatten(roots, np.eye(4))
        lods = [Lod(0, self._mesh(primitives))]
        if self.lod_node is not None:
            node_index, parent_world = self.lod_node
            for i in self.nodes[node_index]["extensions"]["MSFT_lod"]["ids"]:
                mesh = self._mesh(self._flatten([i], parent_world))
                lods.append(Lod(len(lods), mesh, self._error_pct(i)))
        material, uv_transform = self._material(primitives)
        if uv_transform is not None:
            for lod in lods:
                if lod.mesh.uvs is not None:
                    moved = lod.mesh.uvs @ uv_transform[:2, :2].T + uv_transform[:2, 2]
                    lod.mesh.uvs = moved.astype(np.float32)
        asset_extras = self.doc.get("asset", {}).get("extras")
        provenance = asset_extras.get("sweedle") if isinstance(asset_extras, dict) else None
        return LodSet(
            name=self._asset_name(roots),
            lods=lods,
            material=material,
            provenance=provenance if isinstance(provenance, dict) else {},
        )

    def _scene_roots(self) -> list[int]:
        scenes = self.doc.get("scenes")
        if scenes:
            return list(scenes[self.doc.get("scene", 0)].get("nodes", []))
        children = {c for node in self.nodes for c in node.get("children", [])}
        return [i for i in range(len(self.nodes)) if i not in children]

    def _asset_name(self, roots: list[int]) -> str:
        if len(roots) == 1 and self.nodes[roots[0]].get("name"):
            return str(self.nodes[roots[0]]["name"])
        return self.path.stem

    def _flatten(self, roots: list[int], parent: np.ndarray) -> list[_Placed]:
        """(primitive, world matrix) for every triangle primitive under `roots`, depth first."""
        found: list[_Placed] = []
        seen: set[int] = set()
        stack = [(i, parent) for i in reversed(roots)]
        while stack:
            index, parent_world = stack.pop()
            if index in seen:
                raise ValueError(f"node {index} appears twice in the node hierarchy")
            seen.add(index)
            node = self.nodes[index]
            world = parent_world @ _local_matrix(node)
            if self.lod_node is None and "MSFT_lod" in node.get("extensions", {}):
                self.lod_node = (index, parent_world)
            if "mesh" in node:
                for primitive in self.doc["meshes"][node["mesh"]]["primitives"]:
                    if primitive.get("mode", TRIANGLES) == TRIANGLES:
                        found.append((primitive, world))
            stack += [(c, world) for c in reversed(node.get("children", []))]
        return found

    def _mesh(self, primitives: list[_Placed]) -> Mesh:
        if not primitives:
            raise InputError(f"{self.path} contains no triangle mesh to import.")
        parts = [self._placed_mesh(p, world) for p, world in primitives]
        offsets = np.cumsum([0] + [part.vertex_count for part in parts[:-1]])
        normals = [part.normals for part in parts]
        uvs = [part.uvs for part in parts]
        return Mesh(
            vertices=np.concatenate([part.vertices for part in parts]),
            faces=np.concatenate([part.faces + offset for part, offset in zip(parts, offsets, strict=True)]),
            normals=None if any(n is None for n in normals) else np.concatenate(normals),
            uvs=None if any(t is None for t in uvs) else np.concatenate(uvs),
        )

    def _placed_mesh(self, primitive: dict[str, Any], world: np.ndarray) -> Mesh:
        """One primitive in world space (a mirroring transform also flips the winding)."""
        attributes = primitive["attributes"]
        vertices = self._floats(attributes["POSITION"])
        if "indices" in primitive:
            indices = self._accessor(primitive["indices"]).ravel().astype(np.int64)
        else:
            indices = np.arange(len(vertices))
        if len(indices) and (indices.min() < 0 or indices.max() >= len(vertices)):
            raise ValueError("triangle indices point past the vertex list")
        faces = indices[: len(indices) // 3 * 3].reshape(-1, 3)
        linear = world[:3, :3]
        vertices = vertices @ linear.T + world[:3, 3]
        normals = None
        if "NORMAL" in attributes:
            # Normals transform by the inverse transpose; pinv also survives a zero scale.
            normals = unit_rows(self._floats(attributes["NORMAL"]) @ np.linalg.pinv(linear))
        if np.linalg.det(linear) < 0:
            faces = faces[:, ::-1]
        uvs = self._floats(attributes["TEXCOORD_0"]) if "TEXCOORD_0" in attributes else None
        return Mesh(vertices, faces, normals, uvs)

    def _error_pct(self, node_index: int) -> float:
        extras = self.nodes[node_index].get("extras")
        info = extras.get("sweedle_lod") if isinstance(extras, dict) else None
        error = info.get("error_pct") if isinstance(info, dict) else None
        return float(error) if isinstance(error, (int, float)) else 0.0

    def _material(self, primitives: list[_Placed]) -> tuple[Material, np.ndarray | None]:
        """The first primitive's material (Sweedle assets have one), and the 3×3 UV transform
        its texture applies (KHR_texture_transform; gltfpack dequantizes UVs with it).

        Missing factors take glTF's defaults; a primitive without any material gets Sweedle's
        default material, since glTF's (fully metallic) is never what an artist meant.
        """
        index = next((p["material"] for p, _ in primitives if "material" in p), None)
        if index is None:
            return Material(), None
        material = self.doc["materials"][index]
        pbr = material.get("pbrMetallicRoughness", {})
        factor = [float(c) for c in pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0])]
        texture = pbr.get("baseColorTexture")
        result = Material(
            name=str(material.get("name") or "Material"),
            base_color_texture=None if texture is None else self._texture(texture["index"]),
            base_color_factor=(factor[0], factor[1], factor[2], factor[3]),
            metallic=float(pbr.get("metallicFactor", 1.0)),
            roughness=float(pbr.get("roughnessFactor", 1.0)),
        )
        transform = (texture or {}).get("extensions", {}).get("KHR_texture_transform")
        return result, None if transform is None else _uv_matrix(transform)

    def _texture(self, index: int) -> np.ndarray | None:
        source = self.doc["textures"][index].get("source")
        if source is None:
            return None
        image = self.doc["images"][source]
        data: bytes | memoryview
        if "bufferView" in image:
            data = self._view_bytes(image["bufferView"])
        else:
            data = self._uri_bytes(image["uri"])
        return decode_texture(data, f"{self.path.name}'s texture")

    def _floats(self, index: int) -> np.ndarray:
        """A float attribute accessor, normalized integers mapped to [0, 1] or [-1, 1]."""
        values = self._accessor(index)
        if values.dtype.kind in "iu" and self.doc["accessors"][index].get("normalized"):
            limit = np.iinfo(values.dtype).max
            return np.maximum(values.astype(np.float32) / limit, -1.0)
        return values.astype(np.float32)

    def _accessor(self, index: int) -> np.ndarray:
        accessor = self.doc["accessors"][index]
        if "sparse" in accessor:
            raise InputError(f"{self.path} uses sparse accessors, which Sweedle cannot read.")
        dtype = np.dtype(_COMPONENT_DTYPES[accessor["componentType"]]).newbyteorder("<")
        width, count = _TYPE_WIDTHS[accessor["type"]], int(accessor["count"])
        if "bufferView" not in accessor:
            return np.zeros((count, width), dtype=dtype)
        view = self.doc["bufferViews"][accessor["bufferView"]]
        data = self._view_bytes(accessor["bufferView"])
        stride = view.get("byteStride") or dtype.itemsize * width
        start = accessor.get("byteOffset", 0)
        if count and start + stride * (count - 1) + dtype.itemsize * width > len(data):
            raise ValueError(f"accessor {index} reads past the end of its bufferView")
        strided = np.ndarray((count, width), dtype, data, start, (stride, dtype.itemsize))
        return strided.copy()

    def _view_bytes(self, index: int) -> memoryview:
        view = self.doc["bufferViews"][index]
        buffer = self.doc["buffers"][view["buffer"]]
        data = self._uri_bytes(buffer["uri"]) if "uri" in buffer else self.binary
        start = view.get("byteOffset", 0)
        if start + view["byteLength"] > len(data):
            raise ValueError(f"bufferView {index} runs past the end of its buffer")
        return memoryview(data)[start : start + view["byteLength"]]

    def _uri_bytes(self, uri: str) -> bytes:
        if uri.startswith("data:") and ";base64," in uri:
            return base64.b64decode(uri.split(";base64,", 1)[1])
        raise InputError(
            f"{self.path} refers to the external file {uri!r}; only self-contained .glb files "
            "can be read. Export it again with everything embedded."
        )


def _uv_matrix(transform: dict[str, Any]) -> np.ndarray:
    """KHR_texture_transform as a 3×3 matrix on (u, v, 1): translation · rotation · scale."""
    offset_u, offset_v = transform.get("offset", (0.0, 0.0))
    scale_u, scale_v = transform.get("scale", (1.0, 1.0))
    cos, sin = np.cos(transform.get("rotation", 0.0)), np.sin(transform.get("rotation", 0.0))
    translation = np.array([[1.0, 0.0, offset_u], [0.0, 1.0, offset_v], [0.0, 0.0, 1.0]])
    rotation = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    return translation @ rotation @ np.diag([scale_u, scale_v, 1.0])


def _local_matrix(node: dict[str, Any]) -> np.ndarray:
    """A node's 4×4 local transform (glTF stores matrices column-major, rotations as xyzw)."""
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T
    x, y, z, w = node.get("rotation", (0.0, 0.0, 0.0, 1.0))
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(node.get("scale", (1.0, 1.0, 1.0)), dtype=np.float64)
    matrix[:3, 3] = node.get("translation", (0.0, 0.0, 0.0))
    return matrix
