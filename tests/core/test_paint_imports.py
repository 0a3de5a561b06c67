"""A whole Paint job in a fresh process never imports hy3dgen's renderer or its compiled rasteriser.

The child process blocks `custom_rasterizer`, `hy3dgen.texgen.differentiable_renderer` and
`hy3dgen.texgen.pipelines` (which imports the renderer) with an import hook that records every
attempt, then runs a Hunyuan shape job textured with Hunyuan Paint through hy3dgen's real classes.
The models are tiny with RANDOM weights (tests/hunyuan_tiny.py, tests/hunyuan_paint_tiny.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hunyuan_paint_tiny import build_tiny_delight, build_tiny_paint
from hunyuan_tiny import build_tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import importlib.abc, json, sys
BLOCKED = ("custom_rasterizer", "hy3dgen.texgen.differentiable_renderer", "hy3dgen.texgen.pipelines")
tried = []

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            tried.append(name)
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
import torch
torch.set_num_threads(1)
from pathlib import Path
from app.core.generation.request import GenerationRequest
from app.core.texture.paint_options import PaintOptions
from app.core.generation.stages import generate

request = GenerationRequest(
    Path(sys.argv[1]), engine="hunyuan", texture_size=256, lods=(), texture_method="paint",
    paint=PaintOptions(steps=2, resolution=64),
    params={"steps": 2, "octree_resolution": 48, "num_chunks": 4000, "flashvdm": 0, "device": "cpu"},
)
result = generate(request, Path(sys.argv[2]))
texture = (result.lodset.provenance.get("texture") or {}) if result.lodset is not None else {}
loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
print(json.dumps({"status": result.status.value, "message": result.message, "tried": tried,
                  "loaded": loaded, "method": texture.get("method"),
                  "paint": "hy3dgen.texgen.hunyuanpaint.pipeline" in sys.modules}))
"""


@pytest.mark.slow
def test_a_paint_job_never_imports_the_renderer_or_the_compiled_rasteriser(tmp_path: Path) -> None:
    models = tmp_path / "models"
    build_tiny_checkpoint(models)
    build_tiny_paint(models)
    build_tiny_delight(models)
    env = {**os.environ, "SWEEDLE_MODELS": str(models), "SWEEDLE_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT / "resources" / "samples" / "robot.png"),
            str(tmp_path / "a.glb"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["status"] == "done", report["message"]
    assert report["method"] == "paint" and report["paint"], "the job did not paint with hy3dgen's pipeline"
    assert report["tried"] == [] and report["loaded"] == []
    assert (tmp_path / "a.glb").is_file()
