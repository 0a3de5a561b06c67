"""GLB reader: Sweedle's own files with all their LODs, and simple GLBs from other tools.

Used by `sweedle info`, by imports into the library, by the window, and by tests that round-trip
our writer. Foreign files are read defensively: every count a file declares is checked against
the mesh limits and the bytes it really has before anything is allocated, positions must be
finite, and anything unexpected is an InputError naming the file.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.base.errors import InputError
from app.core.formats.glb import BIN_CHUNK, GLB_MAGIC, JSON_CHUNK, LOWER_LODS, TRIANGLES
from app.core.formats.gltf_accessors import GltfData, Malformed, segment_positions, whole_numbers
from app.core.formats.gltf_transforms import local_matrix, transform_rows, uv_matrix
from app.core.formats.mesh_checks import (
    check_attribute,
    check_positions,
    gltf_json,
    read_regular_file,
)
from app.core.formats.mesh_limits import MeshLimits, check_triangles, check_vertices, mesh_limits
from app.core.imaging.textures import decode_texture
from app.core.mesh.geometry import unit_rows
from app.core.mesh.types import Lod, LodSet, Material, MaterialMaps, Mesh

if TYPE_CHECKING:
    from app.core.base.cancel import CancelToken

_READABLE_REQUIRED_EXTENSIONS = {"KHR_mesh_quantization"}
"""Quantized attributes are plain normalized/integer accessors plus a node transform."""
MAX_PRIMITIVES = 250_000
"""Mesh parts placed in one scene; each costs Python work, and nodes can place one mesh many times."""
MAX_LODS = 32
_Placed = tuple[dict[str, Any], int]
"""A mesh primitive and the index of its node's world matrix in `_Reader.worlds`."""


def read_glb(path: Path, limits: MeshLimits | None = None, cancel: CancelToken | None = None) -> LodSet:
    """Read a GLB written by Sweedle (all LODs, material, provenance) or a simple foreign one.

    Foreign files: every triangle primitive in the default scene, node transforms applied, is
    merged into LOD0; further LODs come from the first node listing them (Sweedle's
    `extras.sweedle_lods`, or MSFT_lod as Sweedle wrote before and other tools write). Raises InputError for
    files that are not GLB, damaged, over `limits` (default: the user's settings), or need what
    this reader lacks (compression, external files); `cancel` is checked between mesh parts.
    """
    path = Path(path)
    data = read_regular_file(path)
    doc, binary = _split_glb(data, path)
    with _worded(path):
        lodset = _Reader(doc, binary, path, limits or mesh_limits(), cancel).lodset()
    return lodset


def check_gltf_counts(path: Path, data: bytes, limits: MeshLimits) -> None:
    """For a text .gltf, which trimesh reads: its JSON must be sound and the triangles and
    vertices its scene places (instances included) within `limits`, before trimesh allocates."""
    reader = _Reader(gltf_json(data, str(path)), b"", path, limits, None)
    with _worded(path):
        placed = reader._flatten(reader._scene_roots(), np.eye(4))
        vertices, corners = reader._layout([primitive for primitive, _ in placed])[2:]
        check_vertices(str(path), int(vertices.sum()), limits)
        check_triangles(str(path), int(corners.sum()) // 3, limits)


@contextmanager
def _worded(path: Path) -> Iterator[None]:
    """Structural faults found while reading, as one InputError naming the file."""
    try:
        yield
    except InputError:
        raise
    except Malformed as exc:
        raise InputError(f"{path} is damaged: {exc}. Re-export it from the program that made it.") from None
    except KeyError as exc:
        raise InputError(
            f"{path} is damaged: the required glTF entry {exc} is missing. "
            "Re-export it from the program that made it."
        ) from None
    except (IndexError, TypeError, ValueError, AttributeError, struct.error) as exc:
        raise InputError(
            f"{path} is a damaged or malformed glTF file ({type(exc).__name__}: {exc}). "
            "Re-export it from the program that made it."
        ) from None


def _split_glb(data: bytes, path: Path) -> tuple[dict[str, Any], bytes]:
    """The JSON document and BIN chunk of a GLB, or an InputError saying what is wrong."""
    if data[:4] != GLB_MAGIC:
        hint = (
            " (it looks like a text .gltf file; export a binary .glb instead)"
            if data[:64].lstrip()[:1] == b"{"
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
    chunks: list[tuple[int, bytes]] = []
    offset = 12
    while offset + 8 <= declared and len(chunks) < 2:  # JSON, then the optional BIN; the rest is unused
        length, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + length > declared:
            raise InputError(f"{path} is damaged: a chunk runs past the end of the file.")
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length
    if not chunks or chunks[0][0] != JSON_CHUNK:
        raise InputError(f"{path} is damaged: it has no JSON chunk.")
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == BIN_CHUNK else b""
    return gltf_json(chunks[0][1], str(path), "its JSON chunk"), binary


class _Reader(GltfData):
    """Turns a parsed GLB into a LodSet; malformed structure surfaces as Malformed, KeyError and
    the like, which `read_glb` words for the user."""

    def __init__(
        self,
        doc: dict[str, Any],
        binary: bytes,
        path: Path,
        limits: MeshLimits,
        cancel: CancelToken | None,
    ) -> None:
        super().__init__(doc, binary, path)
        self.limits, self.cancel = limits, cancel
        self.nodes = self.entries("nodes")
        self.worlds: list[np.ndarray] = []
        """World matrices of the nodes that place primitives, indexed by `_Placed`."""
        self.lod_node: tuple[int, np.ndarray] | None = None
        """(node index, parent world matrix) of the first node with MSFT_lod."""
        self.lod_meshes: tuple[int, np.ndarray] | None = None
        """(node index, world matrix) of the first node whose extras list LOD meshes."""

    def lodset(self) -> LodSet:
        required = self.doc.get("extensionsRequired", [])
        missing = {str(name) for name in required} - _READABLE_REQUIRED_EXTENSIONS
        if missing:
            raise InputError(
                f"{self.path} needs the glTF extension(s) {', '.join(sorted(missing))}, which "
                "Sweedle cannot read. Export it again as a plain, uncompressed GLB."
            )
        roots = self._scene_roots()
        primitives = self._flatten(roots, np.eye(4))
        self._check_declared(primitives)
        lods = [Lod(0, self._mesh(primitives))]
        if self.lod_meshes is not None:
            node_index, world = self.lod_meshes
            for i in self._lower_lod_meshes(node_index):
                placed = self._placed_mesh(i, world)
                self._check_declared(placed)
                lods.append(Lod(len(lods), self._mesh(placed), self._error_pct(self.entry("meshes", i))))
        elif self.lod_node is not None:
            node_index, parent_world = self.lod_node
            ids = self.nodes[node_index]["extensions"]["MSFT_lod"]["ids"]
            if not isinstance(ids, list) or len(ids) > MAX_LODS:
                raise Malformed(f"node {node_index} lists more than {MAX_LODS} LODs, or not as a list")
            for i in ids:
                placed = self._flatten([i], parent_world)
                self._check_declared(placed)
                lods.append(Lod(len(lods), self._mesh(placed), self._error_pct(self.entry("nodes", i))))
        material, uv_transform = self._material(primitives)
        if uv_transform is not None:
            for lod in lods:
                if lod.mesh.uvs is not None:
                    moved = lod.mesh.uvs @ uv_transform[:2, :2].T + uv_transform[:2, 2]
                    lod.mesh.uvs = moved.astype(np.float32)
        return LodSet(
            name=self._asset_name(roots),
            lods=lods,
            material=material,
            provenance=self._provenance(),
        )

    def _scene_roots(self) -> list[int]:
        scenes = self.entries("scenes")
        if scenes:
            return self._indices(self.entry("scenes", self.doc.get("scene", 0)).get("nodes", []), "scene")
        children = {c for node in self.nodes if isinstance(node, dict) for c in node.get("children", [])}
        return [i for i in range(len(self.nodes)) if i not in children]

    def _indices(self, value: object, what: str) -> list[int]:
        if not isinstance(value, list):
            raise Malformed(f"the node list of a {what} is not a list")
        if all(type(i) is int and i >= 0 for i in value):
            return value
        return whole_numbers(value, f"node reference of a {what}, number").tolist()

    def _asset_name(self, roots: list[int]) -> str:
        if len(roots) == 1 and self.entry("nodes", roots[0]).get("name"):
            return str(self.nodes[roots[0]]["name"])
        return self.path.stem

    def _provenance(self) -> dict[str, Any]:
        """asset.extras.sweedle, kept only when it is plain JSON (finite numbers) that a copy of
        the asset can carry on."""
        asset = self.doc.get("asset")
        extras = asset.get("extras") if isinstance(asset, dict) else None
        provenance = extras.get("sweedle") if isinstance(extras, dict) else None
        if not isinstance(provenance, dict):
            return {}
        try:
            json.dumps(provenance, allow_nan=False)
        except ValueError:
            return {}
        return provenance

    def _flatten(self, roots: list[int], parent: np.ndarray) -> list[_Placed]:
        """(primitive, world) for every triangle primitive under `roots`, depth first."""
        found: list[_Placed] = []
        seen: set[int] = set()
        stack = [(i, parent) for i in reversed(roots)]
        while stack:
            index, parent_world = stack.pop()
            node = self.entry("nodes", index)
            if index in seen:
                raise Malformed(f"node {index} appears twice in the node hierarchy")
            seen.add(index)
            world = parent_world @ local_matrix(node) if _transforms(node) else parent_world
            extensions = node.get("extensions", {})
            if self.lod_node is None and isinstance(extensions, dict) and "MSFT_lod" in extensions:
                self.lod_node = (index, parent_world)
            extras = node.get("extras")
            if self.lod_meshes is None and isinstance(extras, dict) and LOWER_LODS in extras:
                self.lod_meshes = (index, world)
            if "mesh" in node:
                primitives = self.entry("meshes", node["mesh"]).get("primitives", [])
                if not isinstance(primitives, list):
                    raise Malformed(f"mesh {node['mesh']} has no list of primitives")
                if len(found) + len(primitives) > MAX_PRIMITIVES:
                    raise InputError(
                        f"{self.path} places more than {MAX_PRIMITIVES:,} mesh parts (primitives); "
                        "merge them in the program that made it, then export it again"
                    )
                self.worlds.append(world)
                for primitive in primitives:
                    if not isinstance(primitive, dict):
                        raise Malformed(f"a primitive of mesh {node['mesh']} is not an object")
                    if primitive.get("mode", TRIANGLES) == TRIANGLES:
                        found.append((primitive, len(self.worlds) - 1))
            stack += [(c, world) for c in reversed(self._indices(node.get("children", []), "node"))]
        return found

    def _check_declared(self, placed: list[_Placed]) -> None:
        """Refuse a damaged mesh, then one over the limits, from what its accessors declare,
        before anything is read."""
        positions, indices, vertices, corners = self._layout([primitive for primitive, _ in placed])
        self.byte_layout(positions)
        self.byte_layout(indices[indices >= 0])
        check_vertices(str(self.path), int(vertices.sum()), self.limits)
        check_triangles(str(self.path), int(corners.sum()) // 3, self.limits)

    def _layout(
        self, primitives: list[dict[str, Any]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per primitive: its POSITION and index accessors (-1 for none), its vertex count and
        how many of its indices make whole triangles."""
        attributes = [p.get("attributes") for p in primitives]
        if not all(isinstance(a, dict) for a in attributes):
            raise Malformed("a primitive has no attributes")
        positions = self.accessor_ids([a.get("POSITION") for a in attributes], "POSITION")
        indices = self.accessor_ids([p.get("indices") for p in primitives], "index", optional=True)
        vertex_counts = self.counts(positions)
        index_counts = np.where(indices >= 0, self.counts(np.maximum(indices, 0)), vertex_counts)
        return positions, indices, vertex_counts, index_counts // 3 * 3

    def _mesh(self, placed: list[_Placed]) -> Mesh:
        """All placed primitives as one mesh in world space, read and transformed together."""
        if not placed:
            raise InputError(f"{self.path} contains no triangle mesh to import.")
        primitives = [primitive for primitive, _ in placed]
        which = np.array([world for _, world in placed], dtype=np.intp)
        positions, indices, vertex_counts, index_counts = self._layout(primitives)
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        corners = np.empty(int(index_counts.sum()), dtype=np.int64)
        starts = np.cumsum(index_counts) - index_counts

        def rows(chosen: np.ndarray) -> np.ndarray:
            """Where the corners of the chosen primitives go in `corners`."""
            return np.repeat(starts[chosen], index_counts[chosen]) + segment_positions(index_counts[chosen])

        indexed = indices >= 0
        gathered = self.gather(indices[indexed], index_counts[indexed], 1, indices=True)
        corners[rows(indexed)] = gathered.ravel()
        corners[rows(~indexed)] = segment_positions(index_counts[~indexed])  # corners in vertex order
        faces = corners.reshape(-1, 3)
        face_counts = index_counts // 3
        if len(faces) and (
            faces.min() < 0 or (faces.max(axis=1) >= np.repeat(vertex_counts, face_counts)).any()
        ):
            raise Malformed("a triangle refers to a vertex past the end of its vertex list")
        faces += np.repeat(np.cumsum(vertex_counts) - vertex_counts, face_counts)[:, None]
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        worlds = np.array(self.worlds)
        if not np.isfinite(worlds[np.unique(which)]).all():
            raise Malformed("a node's transform is not a finite number")
        linear = worlds[:, :3, :3]
        vertex_world = np.repeat(which, vertex_counts)
        stored = self.gather(positions, vertex_counts, 3)
        check_positions(str(self.path), stored)
        with np.errstate(over="ignore", invalid="ignore"):  # a huge scale is reported just below
            vertices = transform_rows(stored, worlds[:, :3, :], vertex_world)
        check_positions(str(self.path), vertices)
        mirrored = np.linalg.det(linear)[which] < 0
        if mirrored.any():
            flip = np.repeat(mirrored, face_counts)
            faces[flip] = faces[flip][:, ::-1]
        normals = self._attribute(primitives, "NORMAL", vertex_counts, 3)
        if normals is not None:
            # Normals transform by the inverse transpose; pinv also survives a zero scale.
            inverse_transpose = np.transpose(np.linalg.pinv(linear), (0, 2, 1))
            normals = unit_rows(transform_rows(normals, inverse_transpose, vertex_world))
        uvs = self._attribute(primitives, "TEXCOORD_0", vertex_counts, 2)
        tangents = None if uvs is None else self._attribute(primitives, "TANGENT", vertex_counts, 4)
        if tangents is not None:
            # Tangents move with the surface (the matrix itself); a mirror flips the bitangent.
            directions = unit_rows(transform_rows(tangents[:, :3], linear, vertex_world))
            flipped = np.linalg.det(linear)[vertex_world] < 0
            sign = np.where(tangents[:, 3] < 0, -1.0, 1.0) * np.where(flipped, -1.0, 1.0)
            tangents = np.column_stack([directions, sign]).astype(np.float32)
        return Mesh(vertices, faces, normals, uvs, tangents)

    def _attribute(
        self, primitives: list[dict[str, Any]], name: str, vertex_counts: np.ndarray, width: int
    ) -> np.ndarray | None:
        """Attribute `name` of every primitive, one per vertex; None unless all have it."""
        raw = [p["attributes"].get(name) for p in primitives]
        if any(r is None for r in raw):
            return None
        ids = self.accessor_ids(raw, name)
        if (self.counts(ids) != vertex_counts).any():
            raise Malformed(f"a primitive has a different number of {name} values than of positions")
        values = self.gather(ids, vertex_counts, width)
        what = {"NORMAL": "normals", "TEXCOORD_0": "texture coordinates", "TANGENT": "tangents"}[name]
        check_attribute(str(self.path), what, values, len(values))
        return values

    def _lower_lod_meshes(self, node_index: int) -> list[int]:
        listed = self.nodes[node_index]["extras"][LOWER_LODS]
        ids = listed.get("meshes") if isinstance(listed, dict) else None
        if not isinstance(ids, list) or len(ids) > MAX_LODS:
            raise Malformed(f"node {node_index} lists more than {MAX_LODS} LOD meshes, or not as a list")
        return self._indices(ids, "LOD list")

    def _placed_mesh(self, mesh_index: int, world: np.ndarray) -> list[_Placed]:
        """The triangle primitives of mesh `mesh_index`, placed at `world` (a LOD no node places)."""
        primitives = self.entry("meshes", mesh_index).get("primitives", [])
        if not isinstance(primitives, list) or not all(isinstance(p, dict) for p in primitives):
            raise Malformed(f"mesh {mesh_index} has no list of primitives")
        if len(primitives) > MAX_PRIMITIVES:
            raise InputError(
                f"{self.path} has more than {MAX_PRIMITIVES:,} mesh parts (primitives) in one LOD; "
                "merge them in the program that made it, then export it again"
            )
        self.worlds.append(world)
        return [(p, len(self.worlds) - 1) for p in primitives if p.get("mode", TRIANGLES) == TRIANGLES]

    def _error_pct(self, holder: dict[str, Any]) -> float:
        """The `sweedle_lod` error of a LOD's node or mesh (0 when absent or not a number)."""
        extras = holder.get("extras")
        info = extras.get("sweedle_lod") if isinstance(extras, dict) else None
        error = info.get("error_pct") if isinstance(info, dict) else None
        valid = isinstance(error, int | float) and not isinstance(error, bool) and 0 <= error < 1e6
        return float(error) if valid else 0.0

    def _material(self, primitives: list[_Placed]) -> tuple[Material, np.ndarray | None]:
        """The first primitive's material (Sweedle assets have one), and the 3×3 UV transform
        its texture applies (KHR_texture_transform; gltfpack dequantizes UVs with it).

        Missing factors take glTF's defaults; a primitive without any material gets Sweedle's
        default material, since glTF's (fully metallic) is never what an artist meant.
        """
        index = next((p["material"] for p, _ in primitives if "material" in p), None)
        if index is None:
            return Material(), None
        material = self.entry("materials", index)
        pbr = material.get("pbrMetallicRoughness", {})
        factor = _unit_numbers(pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0]), 4, "base colour")
        texture = pbr.get("baseColorTexture")
        result = Material(
            name=str(material.get("name") or "Material"),
            base_color_texture=None if texture is None else self._texture(texture["index"]),
            base_color_factor=(factor[0], factor[1], factor[2], factor[3]),
            metallic=_unit_numbers([pbr.get("metallicFactor", 1.0)], 1, "metallic")[0],
            roughness=_unit_numbers([pbr.get("roughnessFactor", 1.0)], 1, "roughness")[0],
        )
        result.maps = self._maps(material)
        transform = (texture or {}).get("extensions", {}).get("KHR_texture_transform")
        return result, None if transform is None else uv_matrix(transform)

    def _maps(self, material: dict[str, Any]) -> MaterialMaps:
        """The material's normal and occlusion textures (glTF's conventions: green +Y, occlusion
        in R), with the bake details Sweedle recorded beside them."""
        normal = material.get("normalTexture")
        occlusion = material.get("occlusionTexture")
        extras = material.get("extras")
        details = extras.get("sweedle_maps") if isinstance(extras, dict) else None
        occlusion_image = None if occlusion is None else self._texture(occlusion["index"])
        return MaterialMaps(
            normal=None if normal is None else self._texture(normal["index"]),
            occlusion=None if occlusion_image is None else np.ascontiguousarray(occlusion_image[..., 0]),
            details={
                key: value
                for key, value in (details.items() if isinstance(details, dict) else ())
                if key not in ("normal_convention", "tangent_space")
            },
        )

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


def _transforms(node: dict[str, Any]) -> bool:
    return "matrix" in node or "translation" in node or "rotation" in node or "scale" in node


def _unit_numbers(values: object, count: int, what: str) -> list[float]:
    """`count` material factors, clamped to 0..1 as glTF requires."""
    numbers = np.array(values, dtype=np.float64).reshape(count)
    if not np.isfinite(numbers).all():
        raise Malformed(f"its {what} factor is not a finite number")
    return [float(n) for n in np.clip(numbers, 0.0, 1.0)]
