"""Independent readers for exported files: assimp (CLI) and Blender (Debian package, batch mode).

Blender starts slowly (~1-2 s), so `blender_import` reads many files in ONE Blender run and
returns one report per file. A missing tool is an error, not a skip: a test that silently
stops reading files back would let broken exports through. CI installs both (`.ci/run`).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_BLENDER_SCRIPT = r"""
import json, sys, bpy
import numpy
from mathutils import Vector
# Blender 3.4's glTF importer uses numpy.bool, which Debian's newer numpy no longer has.
numpy.bool = numpy.bool_
paths = json.loads(sys.argv[sys.argv.index("--") + 1])
reports = []
for path in paths:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if path.lower().endswith(".fbx"):
        bpy.ops.import_scene.fbx(filepath=path)
    elif path.lower().endswith((".glb", ".gltf")):
        bpy.ops.import_scene.gltf(filepath=path)
    elif path.lower().endswith(".obj"):
        bpy.ops.import_scene.obj(filepath=path)
    elif path.lower().endswith(".stl"):
        bpy.ops.import_mesh.stl(filepath=path)
    elif path.lower().endswith(".ply"):
        bpy.ops.import_mesh.ply(filepath=path)
    bpy.context.view_layer.update()
    objects = []
    for ob in bpy.context.scene.objects:
        entry = {"name": ob.name, "type": ob.type, "parent": ob.parent.name if ob.parent else None}
        if ob.type == "MESH":
            corners = [ob.matrix_world @ Vector(c) for c in ob.bound_box]
            entry["min"] = [min(c[i] for c in corners) for i in range(3)]
            entry["max"] = [max(c[i] for c in corners) for i in range(3)]
            entry["triangles"] = sum(len(p.vertices) - 2 for p in ob.data.polygons)
            entry["uv_layers"] = len(ob.data.uv_layers)
            images = []
            for slot in ob.material_slots:
                if slot.material and slot.material.node_tree:
                    for node in slot.material.node_tree.nodes:
                        if node.type == "TEX_IMAGE" and node.image:
                            images.append({"path": bpy.path.abspath(node.image.filepath),
                                           "size": list(node.image.size)})
            entry["images"] = images
            entry["uv_names"] = [uv.name for uv in ob.data.uv_layers]
            entry["materials"] = []
            for slot in ob.material_slots:
                tree = slot.material.node_tree if slot.material else None
                facts = {"name": slot.material.name if slot.material else "", "normal_maps": []}
                for node in tree.nodes if tree else []:
                    if node.type == "NORMAL_MAP":
                        sources = [link.from_node for link in node.inputs["Color"].links]
                        facts["normal_maps"] += [bpy.path.abspath(n.image.filepath) for n in sources
                                                 if n.type == "TEX_IMAGE" and n.image]
                        facts["normal_map_uv"] = node.uv_map
                    if node.type == "BSDF_PRINCIPLED":
                        facts["roughness"] = node.inputs["Roughness"].default_value
                        facts["metallic"] = node.inputs["Metallic"].default_value
                        facts["normal_linked"] = node.inputs["Normal"].is_linked
                entry["materials"].append(facts)
        objects.append(entry)
    reports.append({"path": path, "objects": objects})
print("SWEEDLE-REPORT" + json.dumps(reports))
"""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"{name} is not installed; `.ci/run` installs it "
            "(apt: blender, assimp-utils, godot3-server, mono-mcs)"
        )
    return found


def blender_import(paths: list[Path]) -> dict[Path, dict[str, Any]]:
    """Import each file into a fresh Blender scene (one Blender process for all of them) and
    report its objects: name, type, parent, and for meshes the world-space bounds in metres
    (after Blender's own unit and axis conversion; Blender is Z-up), triangles, UV layers and
    the images their materials load (size [0, 0] when the file was not found), UV layer names,
    and per material: name, the images bound through a Normal Map node (and its UV map), the
    Principled BSDF's roughness and metallic and whether its Normal input is linked."""
    result = subprocess.run(
        [
            _tool("blender"),
            "-b",
            "--factory-startup",
            "--python-expr",
            _BLENDER_SCRIPT,
            "--",
            json.dumps([str(p) for p in paths]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    marker = [line for line in result.stdout.splitlines() if line.startswith("SWEEDLE-REPORT")]
    if result.returncode != 0 or not marker:
        raise RuntimeError(f"Blender failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr}")
    reports = json.loads(marker[-1][len("SWEEDLE-REPORT") :])
    return {Path(r["path"]): r for r in reports}


@dataclass
class AssimpInfo:
    meshes: dict[str, int]
    """Mesh name → face count."""
    materials: int
    texture_refs: list[str]
    nodes: str
    """The node hierarchy as `assimp info` prints it."""
    minimum: np.ndarray
    maximum: np.ndarray
    """Bounds in the file's own units (assimp does not convert FBX centimetres)."""


def assimp_info(path: Path) -> AssimpInfo:
    """What `assimp info` reports for a file; raises if assimp cannot load it."""
    result = subprocess.run(
        [_tool("assimp"), "info", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    out = result.stdout
    if result.returncode != 0 or "Importing file ...                   OK" not in out:
        raise RuntimeError(f"assimp could not load {path}:\n{out[-2000:]}\n{result.stderr}")
    mesh_line = re.compile(r"^\s+\d+ \((.*)\): \[\d+ / \d+ / (\d+) \|", re.M)
    meshes = {m.group(1): int(m.group(2)) for m in mesh_line.finditer(out)}
    refs_block = out.partition("Texture Refs:")[2].partition("Node hierarchy:")[0]
    refs = re.findall(r"'(.*)'", refs_block)
    vector = r"\(([-\d.e+]+) ([-\d.e+]+) ([-\d.e+]+)\)"
    low = re.search(r"Minimum point\s+" + vector, out)
    high = re.search(r"Maximum point\s+" + vector, out)
    assert low and high, out
    return AssimpInfo(
        meshes=meshes,
        materials=int(re.search(r"Materials:\s+(\d+)", out).group(1)),  # type: ignore[union-attr]
        texture_refs=refs,
        nodes=out.split("Node hierarchy:", 1)[1] if "Node hierarchy:" in out else "",
        minimum=np.array([float(v) for v in low.groups()]),
        maximum=np.array([float(v) for v in high.groups()]),
    )


@dataclass
class FbxRecord:
    name: str
    props: list[Any]
    children: list[FbxRecord]

    def find(self, name: str) -> list[FbxRecord]:
        return [c for c in self.children if c.name == name]


def read_fbx_records(path: Path) -> FbxRecord:
    """Parse a binary FBX 7.x file into records: a minimal reader written from the published
    format description, independent of app.core.formats.fbx, used to check structure
    (object classes, GlobalSettings) that the importers do not expose."""
    data = Path(path).read_bytes()
    if not data.startswith(b"Kaydara FBX Binary  \x00"):
        raise ValueError(f"{path} is not a binary FBX file")
    version = struct.unpack_from("<I", data, 23)[0]
    wide = version >= 7500

    def prop(position: int) -> tuple[Any, int]:
        code = chr(data[position])
        position += 1
        scalars = {"Y": "<h", "C": "<?", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}
        if code in scalars:
            value = struct.unpack_from(scalars[code], data, position)[0]
            return value, position + struct.calcsize(scalars[code])
        if code in "SR":
            (length,) = struct.unpack_from("<I", data, position)
            raw = data[position + 4 : position + 4 + length]
            return (raw.decode("utf-8", "replace") if code == "S" else raw), position + 4 + length
        count, encoding, length = struct.unpack_from("<III", data, position)
        raw = data[position + 12 : position + 12 + length]
        if encoding:
            raw = zlib.decompress(raw)
        dtype = {"f": "<f4", "d": "<f8", "l": "<i8", "i": "<i4", "b": "?"}[code]
        return np.frombuffer(raw, dtype=dtype, count=count), position + 12 + length

    def record(position: int) -> tuple[FbxRecord | None, int]:
        fmt = "<QQQB" if wide else "<IIIB"
        end, count, _, name_length = struct.unpack_from(fmt, data, position)
        head = struct.calcsize(fmt)
        if end == 0:
            return None, position + head
        name = data[position + head : position + head + name_length].decode("ascii")
        position += head + name_length
        props = []
        for _ in range(count):
            value, position = prop(position)
            props.append(value)
        children = []
        while position < end:
            child, position = record(position)
            if child is None:
                break
            children.append(child)
        return FbxRecord(name, props, children), end

    root = FbxRecord("", [], [])
    position = 27
    while position < len(data):
        child, position = record(position)
        if child is None:
            break
        root.children.append(child)
    return root


NODE_TOOLS = Path(__file__).resolve().parent / "node" / "node_modules"


def fbx_sdk_read(path: Path, out_dir: Path) -> tuple[str, Path]:
    """Read an FBX with the Autodesk FBX SDK (FBX2glTF from the `fbx2gltf` npm package).

    Returns the SDK's verbose listing (nodes, meshes, materials, textures it found) and the GLB
    it converted the file to (metres, +Y up), which other readers can then measure. The npm
    tarball ships the binary without its execute bit, so a private executable copy is used.
    """
    shipped = NODE_TOOLS / "fbx2gltf" / "bin" / "Linux" / "FBX2glTF"
    if not shipped.is_file():
        raise RuntimeError("FBX2glTF is missing: run `npm ci --prefix tests/node` (the README test command)")
    tool = out_dir / "FBX2glTF"
    if not tool.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped, tool)
        tool.chmod(0o755)
    glb = out_dir / (path.stem + "_sdk")
    result = subprocess.run(
        [str(tool), "-v", "-b", "-i", str(path), "-o", str(glb)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    made = glb.with_suffix(".glb")
    if result.returncode != 0 or not made.is_file():
        raise RuntimeError(
            f"the FBX SDK could not read {path}:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
        )
    return result.stdout + result.stderr, made


def godot_import(files: list[Path], project: Path, timeout: float = 240.0) -> dict[str, Any]:
    """Import files into a Godot 3 project (Debian `godot3-server`) and report each scene's meshes.

    Each file is copied into `project` (several files share one project, as assets share a game's
    folder); the headless editor imports them (it does not exit by itself after an import, so it
    is stopped once every file has its import record), then `godot_probe.gd` instances each scene
    and reports its MeshInstances (name, visible, triangles, material and texture paths) and
    collision nodes. The result maps `res://<name>` to that list (None when Godot cannot load it).
    """
    import time

    godot = _tool("godot3-server")
    project.mkdir(parents=True, exist_ok=True)
    (project / "project.godot").write_text('config_version=4\n[application]\nconfig/name="sweedle-test"\n')
    shutil.copyfile(Path(__file__).with_name("godot_probe.gd"), project / "probe.gd")
    names = []
    for f in files:
        if f.parent != project:
            shutil.copy(f, project / f.name)
        names.append(f.name)
    editor = subprocess.Popen(
        [godot, "--path", str(project), "--editor", "--no-window"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        imports = project / ".import"
        while time.monotonic() < deadline:
            done = (
                all((project / f"{n}.import").is_file() and any(imports.glob(f"{n}-*.md5")) for n in names)
                if imports.is_dir()
                else False
            )
            if done:
                time.sleep(2.0)
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"Godot did not import {names} within {timeout:.0f} s")
    finally:
        editor.kill()
        editor.wait()
    result = subprocess.run(
        [godot, "--path", str(project), "--no-window", "-s", "probe.gd", *(f"res://{n}" for n in names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("SWEEDLE-GODOT")), None)
    if line is None:
        raise RuntimeError(
            f"Godot's probe printed no report:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return json.loads(line[len("SWEEDLE-GODOT") :])
