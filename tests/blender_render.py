"""Blender (Debian's 3.4, batch mode, Cycles on the CPU) as an independent renderer of our GLBs.

Blender imports the GLB with its own glTF importer, rebuilds the tangents with its own
MikkTSpace and applies the normal map with its own Normal Map node, so agreement with it means
the file, the tangent convention and the map are right, not that our code agrees with itself.

Every render looks at the glTF origin from +Z with an orthographic camera (glTF +Y up), at a
square size, with no world light: "lit" is one sun from `LIGHT` on a rough, non-specular white
material, direct light only and no cast shadows (a normal map changes shading, not shadows);
"normals" shows the shading normal (normal map applied) in glTF's axes as colour
(n * 0.5 + 0.5), with the Raw view transform so pixel values are the numbers.
A missing Blender is an error, not a skip (`.ci/run` installs it, with `python3-numpy`, which
Blender's glTF importer needs).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image
from readers import _tool

LIGHT = (-0.35, 0.45, 0.82)
"""Direction towards the sun, glTF axes (upper left, in front)."""

_SCRIPT = r"""
import json, math, sys, bpy
import numpy
from mathutils import Vector
# Blender 3.4's glTF importer still says np.bool, which Debian's numpy 1.24 no longer has.
numpy.bool = getattr(numpy, "bool", bool)
jobs = json.loads(sys.argv[sys.argv.index("--") + 1])
for job in jobs:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=job["glb"])
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = job["samples"]
    scene.cycles.use_denoising = False
    scene.cycles.seed = 1
    scene.cycles.max_bounces = 0
    scene.render.film_transparent = True
    scene.render.resolution_x = scene.render.resolution_y = job["size"]
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    scene.render.image_settings.color_depth = "8"
    scene.view_settings.view_transform = "Raw"
    scene.view_settings.look = "None"
    world = bpy.data.worlds.new("black")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.0
    scene.world = world
    cam_data = bpy.data.cameras.new("cam")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = job["ortho_scale"]
    cam = bpy.data.objects.new("cam", cam_data)
    scene.collection.objects.link(cam)
    cx, cy = job["centre"]
    cam.location = (cx, -10.0, cy)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    cam_data.clip_start, cam_data.clip_end = 0.1, 100.0
    scene.camera = cam
    for material in bpy.data.materials:
        if not material.use_nodes:
            continue
        nodes, links = material.node_tree.nodes, material.node_tree.links
        bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
        normal_link = next((l for l in links if l.to_socket == bsdf.inputs["Normal"]), None)
        if normal_link is not None and not job["normal_map"]:
            links.remove(normal_link)
            normal_link = None
        if job["mode"] == "lit":
            bsdf.inputs["Specular"].default_value = 0.0
            bsdf.inputs["Roughness"].default_value = 1.0
            bsdf.inputs["Sheen"].default_value = 0.0
            for socket in ("Base Color", "Metallic", "Roughness"):
                for link in [l for l in links if l.to_socket == bsdf.inputs[socket]]:
                    links.remove(link)
            bsdf.inputs["Base Color"].default_value = (0.8, 0.8, 0.8, 1.0)
            bsdf.inputs["Metallic"].default_value = 0.0
        else:
            geometry = nodes.new("ShaderNodeNewGeometry")
            source = normal_link.from_socket if normal_link is not None else geometry.outputs["Normal"]
            # Blender is Z-up: glTF (x, y, z) is Blender (x, -z, y), so glTF's normal is (bx, bz, -by).
            sep = nodes.new("ShaderNodeSeparateXYZ")
            links.new(source, sep.inputs[0])
            comb = nodes.new("ShaderNodeCombineXYZ")
            links.new(sep.outputs["X"], comb.inputs["X"])
            links.new(sep.outputs["Z"], comb.inputs["Y"])
            neg = nodes.new("ShaderNodeMath"); neg.operation = "MULTIPLY"; neg.inputs[1].default_value = -1.0
            links.new(sep.outputs["Y"], neg.inputs[0])
            links.new(neg.outputs[0], comb.inputs["Z"])
            half = nodes.new("ShaderNodeVectorMath"); half.operation = "MULTIPLY_ADD"
            half.inputs[1].default_value = (0.5, 0.5, 0.5); half.inputs[2].default_value = (0.5, 0.5, 0.5)
            links.new(comb.outputs[0], half.inputs[0])
            emit = nodes.new("ShaderNodeEmission")
            links.new(half.outputs[0], emit.inputs["Color"])
            out = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")
            links.new(emit.outputs[0], out.inputs["Surface"])
    if job["mode"] == "lit":
        sun_data = bpy.data.lights.new("sun", "SUN")
        sun_data.energy = 3.0
        sun_data.angle = 0.0
        sun_data.cycles.cast_shadow = False
        sun = bpy.data.objects.new("sun", sun_data)
        scene.collection.objects.link(sun)
        lx, ly, lz = job["light"]
        sun.rotation_euler = Vector((lx, -lz, ly)).to_track_quat("Z", "Y").to_euler()
    scene.render.filepath = job["output"]
    bpy.ops.render.render(write_still=True)
print("SWEEDLE-RENDERED")
"""


@dataclass
class RenderJob:
    glb: str
    output: str
    mode: str = "lit"
    """"lit" or "normals"."""
    normal_map: bool = True
    """Off: the Normal Map node is unplugged (same file, same tangents, no map)."""
    size: int = 256
    ortho_scale: float = 1.2
    """Width (= height) of the view in metres."""
    centre: tuple[float, float] = (0.0, 0.0)
    """glTF (x, y) at the image centre."""
    samples: int = 32
    light: tuple[float, float, float] = LIGHT


def render(jobs: list[RenderJob]) -> list[np.ndarray]:
    """Render every job in one Blender run; each image as (H, W, 4) float32 linear RGBA in 0..1."""
    result = subprocess.run(
        [
            _tool("blender"),
            "-b",
            "--factory-startup",
            "--python-expr",
            _SCRIPT,
            "--",
            json.dumps([asdict(job) for job in jobs]),
        ],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    if result.returncode != 0 or "SWEEDLE-RENDERED" not in result.stdout:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
        raise RuntimeError(f"Blender failed ({result.returncode}):\n{output}")
    return [np.asarray(Image.open(job.output), dtype=np.float32) / 255.0 for job in jobs]
