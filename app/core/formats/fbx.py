"""Binary FBX 7.4 writer: the model format Unity and Unreal import natively.

No permissively licensed Python library writes FBX, and the binary
format is small: a tree of named records, each with typed properties, where big arrays are
zlib-compressed. numpy arrays go straight into those arrays, with no per-vertex Python.

What is written, in the portable form every importer checked reads the same way: geometry in
centimetres, GlobalSettings UnitScaleFactor 1.0, no node scale, axes declared in GlobalSettings
(+Y up, +Z front, +X right: right-handed, like glTF).
One `LodGroup` model named after the asset holds one mesh model per LOD, `<name>_LOD0`..
`<name>_LODn` (Unreal reads the LodGroup, Unity the `_LODn` names). All LODs share one material,
`M_<Asset>`, whose maps are external PNGs referenced by paths relative to the FBX.

The material is FBX's Phong, carrying the metallic-roughness values where Blender, Unity and
Unreal read them: base colour texture on `DiffuseColor`, the tangent-space normal map on
`NormalMap`, roughness as `Shininess` = `ShininessExponent` = 100 (1 - roughness)² (Blender reads
roughness = 1 - sqrt(Shininess) / 10, Unity smoothness = sqrt(Shininess / 100)), metallic as
`ReflectionFactor`, specular 0.25 (Blender's 0.5, a 4 % dielectric). Occlusion has no FBX slot an
importer reads; its PNG is written beside for the engine's own setup. A normal-mapped mesh carries
its MikkTSpace tangents and binormals (so the importer keeps the basis the map was baked in), and
a mesh with lightmap UVs has them as a second UV set ("Lightmap", layer 1).

Extra named meshes (collision: Unreal's `UCX_<mesh>_NN`, Unity's `<Asset>_Collision`) sit beside
the LodGroup with positions and normals only, no UVs and no material.
Ids are a fixed sequence, so the same asset gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.base.atomic import atomic_write_bytes
from app.core.base.rules import lod_screen_coverages
from app.core.base.version import VERSION
from app.core.formats.asset_names import MapKind, material_name, texture_name
from app.core.formats.map_files import MapFiles, write_maps
from app.core.mesh.normals import shading_normals
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import LodSet, Material, Mesh

FBX_VERSION = 7400
CENTIMETRES_PER_METRE = 100.0
_MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
_SENTINEL = b"\0" * 13
# The FileId/CreationTime pair and the footer id that FBX SDK files carry; readers accept any
# file that pairs them like this.
_FILE_ID = b"\x28\xb3\x2a\xeb\xb6\x24\xcc\xc2\xbf\xc8\xb0\x2a\xa9\x2b\xfc\xf1"
_CREATION_TIME = "1970-01-01 10:00:00:000"
_FOOT_ID = b"\xfa\xbc\xab\x09\xd0\xc8\xd4\x66\xb1\x76\xfb\x83\x1c\xf7\x26\x7e"
_FOOT_MAGIC = b"\xf8\x5a\x8c\x6a\xde\xf5\xd9\x7e\xec\xe9\x0c\xe3\x75\x8f\x29\x0b"
_ARRAY_CODES = {np.dtype("<f8"): b"d", np.dtype("<f4"): b"f", np.dtype("<i4"): b"i", np.dtype("<i8"): b"l"}
_COMPRESS_ABOVE = 128
"""Arrays up to this many bytes are stored raw, as the FBX SDK does."""
_MATERIAL_SLOTS = {MapKind.BASE_COLOR: "DiffuseColor", MapKind.NORMAL: "NormalMap"}
"""The material property each referenced map is bound to; other maps are not referenced."""
UV_NAME, LIGHTMAP_UV_NAME = "UVMap", "Lightmap"


@dataclass
class Node:
    """One FBX record: a name, typed properties (already encoded) and child records."""

    name: str
    props: list[bytes] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def add(self, name: str, *values: object) -> Node:
        child = Node(name, [_prop(v) for v in values])
        self.children.append(child)
        return child


def _prop(value: object) -> bytes:
    """One encoded property: bool C, int I (int64 L when it needs it or is a numpy int64),
    double D, string S,
    raw bytes R, numpy arrays d/f/i/l (zlib-compressed above 128 bytes)."""
    if isinstance(value, np.int64):
        return b"L" + struct.pack("<q", int(value))
    if isinstance(value, bool):
        return b"C" + (b"\1" if value else b"\0")
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"I" + struct.pack("<i", value)
        return b"L" + struct.pack("<q", value)
    if isinstance(value, float):
        return b"D" + struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return b"S" + struct.pack("<I", len(data)) + data
    if isinstance(value, bytes):
        return b"R" + struct.pack("<I", len(value)) + value
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value.ravel(), dtype=value.dtype.newbyteorder("<"))
        raw = array.tobytes()
        encoding = 1 if len(raw) > _COMPRESS_ABOVE else 0
        payload = zlib.compress(raw, 1) if encoding else raw
        header = struct.pack("<III", len(array), encoding, len(payload))
        return _ARRAY_CODES[array.dtype] + header + payload
    raise TypeError(f"no FBX property type for {type(value).__name__}")


class _Id:
    """Int64 object ids: a fixed sequence, so writing the same asset twice gives the same bytes."""

    def __init__(self) -> None:
        self._next = 1_000_000_000

    def __call__(self) -> int:
        self._next += 1
        return self._next


def _int64(value: int) -> bytes:
    return b"L" + struct.pack("<q", value)


def _object(parent: Node, kind: str, object_id: int, name: str, cls: str, subclass: str) -> Node:
    """An object record; its name is stored as `name\\x00\\x01Class`, FBX's binary convention."""
    node = Node(kind, [_int64(object_id), _prop(f"{name}\x00\x01{cls}"), _prop(subclass)])
    parent.children.append(node)
    return node


def _properties(node: Node, *entries: tuple[object, ...]) -> None:
    """A Properties70 block: each entry is (name, type, label, flags, *values)."""
    block = node.add("Properties70")
    for entry in entries:
        block.add("P", *entry)


def fbx_bytes(
    lodset: LodSet,
    textures: dict[MapKind, str] | None = None,
    extra_meshes: Sequence[tuple[str, Mesh]] = (),
) -> bytes:
    """The complete FBX file for `lodset`; `textures` maps each referenced map to its path
    relative to the FBX ("/" separated). `extra_meshes` are (name, mesh) pairs written beside
    the LodGroup without UVs or material (collision shapes, named as the engine expects)."""
    if not lodset.lods:
        raise ValueError(f"LodSet {lodset.name!r} has no LODs to write")
    textures = {kind: path for kind, path in (textures or {}).items() if kind in _MATERIAL_SLOTS}
    textured = bool(textures)
    for i, lod in enumerate(lodset.lods):
        if lod.mesh.triangle_count == 0:
            raise ValueError(f"LOD{i} of {lodset.name!r} has no triangles")
        if textured and lod.mesh.uvs is None:
            raise ValueError(f"LOD{i} of {lodset.name!r} has no UVs but the material is textured")
    new_id = _Id()
    root = Node("")
    _header(root)
    objects = Node("Objects")
    connections = Node("Connections")

    def connect(child: int, parent: int, prop: str | None = None) -> None:
        values: list[bytes] = [_prop("OP" if prop else "OO"), _int64(child), _int64(parent)]
        if prop:
            values.append(_prop(prop))
        connections.children.append(Node("C", values))

    group_attr, group = new_id(), new_id()
    attribute = _object(objects, "NodeAttribute", group_attr, "", "NodeAttribute", "LodGroup")
    _properties(
        attribute,
        ("ThresholdsUsedAsPercentage", "bool", "", "", True),
        *(
            (f"Thresholds|Level{i}", "Distance", "", "", 100.0 * c)
            for i, c in enumerate(lod_screen_coverages(len(lodset.lods))[:-1])
        ),
    )
    attribute.add("TypeFlags", "LodGroup")
    _model(objects, group, lodset.name, "LodGroup")
    connect(group_attr, group)
    connect(group, 0)

    material_id = new_id()
    _material(objects, material_id, material_name(lodset.name), lodset.material)
    for kind, texture_file in textures.items():
        texture_id, video_id = new_id(), new_id()
        _texture(objects, texture_id, video_id, texture_name(lodset.name, kind), texture_file)
        connect(texture_id, material_id, _MATERIAL_SLOTS[kind])
        connect(video_id, texture_id)
    normal_mapped = MapKind.NORMAL in textures

    for level, lod in enumerate(lodset.lods):
        lod_name = f"{lodset.name}_LOD{level}"
        model, geometry = new_id(), new_id()
        _model(objects, model, lod_name, "Mesh")
        mesh = with_tangents(lod.mesh) if normal_mapped and lod.mesh.tangents is None else lod.mesh
        _geometry(objects, geometry, lod_name, mesh, with_uvs=textured, with_tangents=normal_mapped)
        connect(geometry, model)
        connect(material_id, model)
        connect(model, group)
    for name, mesh in extra_meshes:
        model, geometry = new_id(), new_id()
        _model(objects, model, name, "Mesh")
        plain = Mesh(mesh.vertices, mesh.faces, mesh.normals)
        _geometry(objects, geometry, name, plain, with_uvs=False, with_material=False)
        connect(geometry, model)
        connect(model, 0)

    counts = _definition_counts(objects)
    definitions = root.add("Definitions")
    definitions.add("Version", 100)
    definitions.add("Count", sum(counts.values()))
    for kind, count in counts.items():
        definitions.add("ObjectType", kind).add("Count", count)
    root.children.append(objects)
    root.children.append(connections)
    takes = root.add("Takes")
    takes.add("Current", "")
    return _serialise(root)


def write_fbx(
    lodset: LodSet, path: Path, maps: MapFiles | None = None, extra_meshes: Sequence[tuple[str, Mesh]] = ()
) -> list[Path]:
    """Write `lodset` as `path` and its maps as PNGs where `maps` says (default
    `MapFiles.beside(path)`: `<stem>_BaseColor.png`, `_Normal.png`, `_ORM.png`, in the FBX's folder
    or below it), referenced by relative paths. Maps first, then the FBX, each atomically, so a
    watching engine finds the textures when the model lands. Returns what was written, FBX
    first, then each map the material has, in `MapFiles` order."""
    path = Path(path)
    images = (maps or MapFiles.beside(path)).images(lodset.material)
    relative = {kind: file.relative_to(path.parent).as_posix() for kind, (file, _) in images.items()}
    data = fbx_bytes(lodset, relative, extra_meshes)
    written = write_maps(images)
    atomic_write_bytes(path, data)
    return [path, *written]


def _header(root: Node) -> None:
    header = root.add("FBXHeaderExtension")
    header.add("FBXHeaderVersion", 1003)
    header.add("FBXVersion", FBX_VERSION)
    header.add("EncryptionType", 0)
    stamp = header.add("CreationTimeStamp")
    for name, value in (("Version", 1000), ("Year", 1970), ("Month", 1), ("Day", 1), ("Hour", 10)):
        stamp.add(name, value)
    for name in ("Minute", "Second", "Millisecond"):
        stamp.add(name, 0)
    header.add("Creator", f"Sweedle {VERSION}")
    root.add("FileId", _FILE_ID)
    root.add("CreationTime", _CREATION_TIME)
    root.add("Creator", f"Sweedle {VERSION}")
    settings = root.add("GlobalSettings")
    settings.add("Version", 1000)
    _properties(
        settings,
        ("UpAxis", "int", "Integer", "", 1),
        ("UpAxisSign", "int", "Integer", "", 1),
        ("FrontAxis", "int", "Integer", "", 2),
        ("FrontAxisSign", "int", "Integer", "", 1),
        ("CoordAxis", "int", "Integer", "", 0),
        ("CoordAxisSign", "int", "Integer", "", 1),
        ("OriginalUpAxis", "int", "Integer", "", 1),
        ("OriginalUpAxisSign", "int", "Integer", "", 1),
        ("UnitScaleFactor", "double", "Number", "", 1.0),
        ("OriginalUnitScaleFactor", "double", "Number", "", 1.0),
        ("AmbientColor", "ColorRGB", "Color", "", 0.0, 0.0, 0.0),
        ("DefaultCamera", "KString", "", "", "Producer Perspective"),
        ("TimeMode", "enum", "", "", 11),
        ("TimeSpanStart", "KTime", "Time", "", np.int64(0)),
        ("TimeSpanStop", "KTime", "Time", "", np.int64(46186158000)),
        ("CustomFrameRate", "double", "Number", "", -1.0),
    )
    documents = root.add("Documents")
    documents.add("Count", 1)
    document = Node("Document", [_int64(1), _prop(""), _prop("Scene")])
    documents.children.append(document)
    _properties(document, ("SourceObject", "object", "", ""), ("ActiveAnimStackName", "KString", "", "", ""))
    document.add("RootNode", np.int64(0))
    root.add("References")


def _model(objects: Node, model_id: int, name: str, kind: str) -> None:
    model = _object(objects, "Model", model_id, name, "Model", kind)
    model.add("Version", 232)
    _properties(
        model,
        ("InheritType", "enum", "", "", 1),
        ("DefaultAttributeIndex", "int", "Integer", "", 0),
        ("Lcl Translation", "Lcl Translation", "", "A", 0.0, 0.0, 0.0),
        ("Lcl Rotation", "Lcl Rotation", "", "A", 0.0, 0.0, 0.0),
        ("Lcl Scaling", "Lcl Scaling", "", "A", 1.0, 1.0, 1.0),
    )
    model.add("Shading", True)
    model.add("Culling", "CullingOff")


def _geometry(
    objects: Node,
    geometry_id: int,
    name: str,
    mesh: Mesh,
    with_uvs: bool,
    with_tangents: bool = False,
    with_material: bool = True,
) -> None:
    """Positions in centimetres; one triangle per polygon, its last index stored as ~index
    (FBX's end-of-polygon mark); normals, tangents and binormals per vertex (binormal =
    sign * normal x tangent, MikkTSpace's bitangent); UVs per vertex too (a UV seam already
    splits vertices, and no index array to compress), v flipped (FBX's texture origin is
    bottom-left, glTF's top-left). Layer 0 holds everything but the lightmap UVs, which are
    layer 1's (a mesh with no texture UVs has them in both, so the engines' UV channel 1 is
    always the lightmap)."""
    geometry = _object(objects, "Geometry", geometry_id, name, "Geometry", "Mesh")
    geometry.add("Vertices", mesh.vertices.astype(np.float64) * CENTIMETRES_PER_METRE)
    polygons = mesh.faces.copy()
    np.invert(polygons[:, 2], out=polygons[:, 2])
    geometry.add("PolygonVertexIndex", polygons)
    geometry.add("GeometryVersion", 124)
    normals = geometry.add("LayerElementNormal", 0)
    normals.add("Version", 101)
    normals.add("Name", "")
    normals.add("MappingInformationType", "ByVertice")
    normals.add("ReferenceInformationType", "Direct")
    shading = shading_normals(mesh)
    normals.add("Normals", shading.astype(np.float64))
    layers = [("LayerElementNormal", 0)]
    if with_tangents and mesh.tangents is not None:
        tangents = mesh.tangents[:, :3].astype(np.float64)
        binormals = np.cross(shading.astype(np.float64), tangents) * mesh.tangents[:, 3:4]
        for kind, values in (("Tangent", tangents), ("Binormal", binormals)):
            element = geometry.add(f"LayerElement{kind}", 0)
            element.add("Version", 101)
            element.add("Name", UV_NAME)
            element.add("MappingInformationType", "ByVertice")
            element.add("ReferenceInformationType", "Direct")
            element.add(f"{kind}s", values)
            layers.append((f"LayerElement{kind}", 0))
    uv_sets: list[tuple[str, np.ndarray]] = []
    if with_uvs:
        assert mesh.uvs is not None
        uv_sets.append((UV_NAME, mesh.uvs))
    if mesh.lightmap_uvs is not None:
        uv_sets += [(LIGHTMAP_UV_NAME, mesh.lightmap_uvs)] * (1 if uv_sets else 2)
    for index, (uv_name, uvs) in enumerate(uv_sets):
        _uv_layer(geometry, index, uv_name, uvs)
    if uv_sets:
        layers.append(("LayerElementUV", 0))
    if with_material:
        material = geometry.add("LayerElementMaterial", 0)
        material.add("Version", 101)
        material.add("Name", "")
        material.add("MappingInformationType", "AllSame")
        material.add("ReferenceInformationType", "IndexToDirect")
        material.add("Materials", np.zeros(1, dtype=np.int32))
        layers.append(("LayerElementMaterial", 0))
    layer_contents = [layers]
    if len(uv_sets) > 1:
        layer_contents.append([("LayerElementUV", 1)])
    for number, contents in enumerate(layer_contents):
        layer = geometry.add("Layer", number)
        layer.add("Version", 100)
        for kind, index in contents:
            element = layer.add("LayerElement")
            element.add("Type", kind)
            element.add("TypedIndex", index)


def _uv_layer(geometry: Node, index: int, name: str, uvs: np.ndarray) -> None:
    uv = geometry.add("LayerElementUV", index)
    uv.add("Version", 101)
    uv.add("Name", name)
    uv.add("MappingInformationType", "ByVertice")
    uv.add("ReferenceInformationType", "Direct")
    flipped = np.empty((len(uvs), 2), dtype=np.float64)
    flipped[:, 0] = uvs[:, 0]
    np.subtract(1.0, uvs[:, 1], out=flipped[:, 1])
    uv.add("UV", flipped)


def _material(objects: Node, material_id: int, name: str, material: Material) -> None:
    """Phong with the metallic-roughness values where importers read them (module docstring)."""
    node = _object(objects, "Material", material_id, name, "Material", "")
    node.add("Version", 102)
    node.add("ShadingModel", "phong")
    node.add("MultiLayer", 0)
    red, green, blue, alpha = (float(c) for c in material.base_color_factor)
    shininess = 100.0 * (1.0 - float(material.roughness)) ** 2
    _properties(
        node,
        ("DiffuseColor", "Color", "", "A", red, green, blue),
        ("DiffuseFactor", "Number", "", "A", 1.0),
        ("SpecularColor", "Color", "", "A", 1.0, 1.0, 1.0),
        ("SpecularFactor", "Number", "", "A", 0.25),
        ("Shininess", "Number", "", "A", shininess),
        ("ShininessExponent", "Number", "", "A", shininess),
        ("ReflectionFactor", "Number", "", "A", float(material.metallic)),
        ("BumpFactor", "double", "Number", "", 1.0),
        ("EmissiveColor", "Color", "", "A", 0.0, 0.0, 0.0),
        ("TransparencyFactor", "Number", "", "A", 1.0 - alpha),
        ("Opacity", "Number", "", "A", alpha),
    )


def _texture(objects: Node, texture_id: int, video_id: int, name: str, texture_file: str) -> None:
    texture = _object(objects, "Texture", texture_id, name, "Texture", "")
    texture.add("Type", "TextureVideoClip")
    texture.add("Version", 202)
    texture.add("TextureName", f"{name}\x00\x01Texture")
    _properties(texture, ("UseMaterial", "bool", "", "", True), ("UVSet", "KString", "", "", UV_NAME))
    texture.add("Media", f"{name}\x00\x01Video")
    texture.add("FileName", texture_file)
    texture.add("RelativeFilename", texture_file)
    texture.add("ModelUVTranslation", 0.0, 0.0)
    texture.add("ModelUVScaling", 1.0, 1.0)
    texture.add("Texture_Alpha_Source", "None")
    texture.add("Cropping", 0, 0, 0, 0)
    video = _object(objects, "Video", video_id, name, "Video", "Clip")
    video.add("Type", "Clip")
    _properties(video, ("Path", "KString", "XRefUrl", "", texture_file))
    video.add("UseMipMap", 0)
    video.add("Filename", texture_file)
    video.add("RelativeFilename", texture_file)


def _definition_counts(objects: Node) -> dict[str, int]:
    counts: dict[str, int] = {"GlobalSettings": 1}
    for node in objects.children:
        counts[node.name] = counts.get(node.name, 0) + 1
    return counts


def _serialise(root: Node) -> bytes:
    parts: list[bytes] = [_MAGIC, struct.pack("<I", FBX_VERSION)]
    offset = len(parts[0]) + 4
    for child in root.children:
        offset = _encode(child, offset, parts)
    parts.append(_SENTINEL)
    offset += len(_SENTINEL)
    padding = -(offset + 20) % 16 or 16
    parts += [_FOOT_ID, b"\0" * 4, b"\0" * padding, struct.pack("<I", FBX_VERSION), b"\0" * 120, _FOOT_MAGIC]
    return b"".join(parts)


def _encode(node: Node, offset: int, parts: list[bytes]) -> int:
    """Append `node`'s record to `parts` (it starts at byte `offset`); return where it ends.

    The header holds the record's end offset, known only after the children are laid out, so a
    placeholder is appended and filled in afterwards; big arrays are never copied again.
    """
    name = node.name.encode("ascii")
    props_length = sum(len(p) for p in node.props)
    slot = len(parts)
    parts.append(b"")
    parts += node.props
    end = offset + 13 + len(name) + props_length
    if node.children or not node.props:
        for child in node.children:
            end = _encode(child, end, parts)
        parts.append(_SENTINEL)
        end += len(_SENTINEL)
    parts[slot] = struct.pack("<IIIB", end, len(node.props), props_length, len(name)) + name
    return end
