"""Small sample assets and minimal engine project trees for the export tests and benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh

from app.core.mesh.types import Lod, LodSet, Material, Mesh


def sample_mesh(subdivisions: int, height: float = 4.0) -> Mesh:
    """An upright egg (taller than wide, flat bottom off-centre) with planar UVs; bottom at
    y=-1, so exports must move the pivot to reach the ground."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    vertices = np.asarray(sphere.vertices, dtype=np.float64)
    vertices[:, 1] = (vertices[:, 1] + 1) / 2 * height - 1
    vertices[:, 0] += 0.5
    uvs = np.column_stack([(vertices[:, 0] - 0.5) * 0.5 + 0.5, 1 - (vertices[:, 1] + 1) / height])
    return Mesh(vertices, sphere.faces, None, uvs)


def sample_lodset(name: str = "Old Rock", levels: int = 3, texture_size: int = 64) -> LodSet:
    texture = np.zeros((texture_size, texture_size, 3), np.uint8)
    texture[..., 0] = np.linspace(0, 255, texture_size, dtype=np.uint8)
    texture[..., 2] = 90
    lods = [Lod(i, sample_mesh(levels - i)) for i in range(levels)]
    return LodSet(name, lods, Material("Stone", texture), {"engine": "test"})


def unity_project(root: Path, gltfast: bool = False) -> Path:
    (root / "Assets").mkdir(parents=True)
    (root / "ProjectSettings").mkdir()
    (root / "ProjectSettings" / "ProjectVersion.txt").write_text("m_EditorVersion: 2022.3.20f1\n")
    (root / "Packages").mkdir()
    deps = {"com.unity.cloud.gltfast": "6.0.1"} if gltfast else {"com.unity.ugui": "1.0.0"}
    (root / "Packages" / "manifest.json").write_text(json.dumps({"dependencies": deps}))
    return root


def unreal_project(root: Path, python_plugin: bool = True) -> Path:
    (root / "Content").mkdir(parents=True)
    plugins = [{"Name": "PythonScriptPlugin", "Enabled": True}] if python_plugin else []
    (root / "Game.uproject").write_text(
        json.dumps({"FileVersion": 3, "EngineAssociation": "5.4", "Plugins": plugins})
    )
    return root


def godot_project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "project.godot").write_text('config_version=5\n\n[application]\nconfig/name="Game"\n')
    return root
