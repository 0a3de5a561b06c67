"""Hunyuan Paint: seconds and peak memory per stage, next to the shape stage, for a Hunyuan mesh.

With a CUDA GPU it builds FULL-SIZE checkpoints with RANDOM weights, the real architectures so that
time and memory are real (the pictures are noise): the Hunyuan3D-2 shape model (DiT, DINOv2-giant
encoder, VAE; its geometry decoder rigged to a closed blob, as the shape tests do), the delighter
(a Stable Diffusion 2 sized InstructPix2Pix UNet, SD VAE, CLIP ViT-H text encoder) and the paint
model (hy3dgen's 2.5D UNet with its dual stream on SD 2 sized UNets, SD VAE), saved as the store
keeps them; then it runs two whole jobs through the app's pipeline in float16 (the first loads the
models, the second finds them loaded). Without CUDA it runs the tiny RANDOM-weight test checkpoints
on the CPU: a plumbing figure, not a performance one; the GPU run is then pending.

    .venv/bin/python tests/bench/bench_paint.py [--size tiny|full] [--steps 30] [--resolution 512]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hunyuan_paint_tiny import REPO, build_tiny_delight, build_tiny_paint, clip_tokenizer  # noqa: E402
from hunyuan_tiny import build_tiny_checkpoint, tiny_config  # noqa: E402

SAMPLE = ROOT / "resources" / "samples" / "robot.png"
PHASES = ("shape", "paint load", "delight", "paint", "unwrap + bake")

SD2_UNET: dict[str, Any] = {
    "act_fn": "silu",
    "attention_head_dim": [5, 10, 20, 20],
    "block_out_channels": [320, 640, 1280, 1280],
    "cross_attention_dim": 1024,
    "down_block_types": [
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "use_linear_projection": True,
}
"""Stable Diffusion 2's UNet, which hy3dgen's paint and delight models are built on."""
SD_VAE: dict[str, Any] = {
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}
CLIP_VIT_H_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 23,
    "num_attention_heads": 16,
    "max_position_embeddings": 77,
    "hidden_act": "gelu",
    "projection_dim": 512,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "pad_token_id": 1,
}


def full_shape_config() -> dict[str, Any]:
    """Hunyuan3D-2's published hunyuan3d-dit-v2-0 configuration (DiT, DINOv2-giant, VAE)."""
    config = tiny_config()
    config["model"]["params"] = {
        "in_channels": 64,
        "context_in_dim": 1536,
        "hidden_size": 1024,
        "mlp_ratio": 4.0,
        "num_heads": 16,
        "depth": 16,
        "depth_single_blocks": 32,
        "axes_dim": [64],
        "theta": 10000,
        "qkv_bias": True,
        "guidance_embed": False,
    }
    config["vae"]["params"] |= {
        "num_latents": 3072,
        "embed_dim": 64,
        "num_freqs": 8,
        "heads": 16,
        "width": 1024,
        "num_decoder_layers": 16,
        "scale_factor": 0.9990943042622529,
    }
    encoder = config["conditioner"]["params"]["main_image_encoder"]["kwargs"]
    encoder["image_size"] = 518
    encoder["config"] |= {
        "hidden_size": 1536,
        "num_hidden_layers": 40,
        "num_attention_heads": 24,
        "mlp_ratio": 4,
        "use_swiglu_ffn": True,
    }
    config["image_processor"]["params"]["size"] = 512
    return config


def build_full_paint(root: Path, device: str) -> None:
    """The paint model's folder with full-size RANDOM float16 weights, laid out like Tencent's."""
    import safetensors.torch
    import torch
    from diffusers import AutoencoderKL, EulerAncestralDiscreteScheduler, UNet2DConditionModel

    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_paint
    from app.core.generation.paint_build import quiet_schedulers

    modules = import_hy3dgen_paint()
    folder = root / REPO / "hunyuan3d-paint-v2-0"
    with torch.device(device):
        base = UNet2DConditionModel(in_channels=4, **SD2_UNET)
        base.save_config(str(folder / "unet"))
        unet = modules.unet.UNet2p5DConditionModel(base).half()
        state = {k: v.detach().cpu().contiguous() for k, v in unet.state_dict().items()}
        del unet, base
        safetensors.torch.save_file(state, str(folder / "unet" / "diffusion_pytorch_model.safetensors"))
        del state
        AutoencoderKL(**SD_VAE).half().save_pretrained(str(folder / "vae"), safe_serialization=True)
    with quiet_schedulers():
        EulerAncestralDiscreteScheduler(
            beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012
        ).save_config(str(folder / "scheduler"))
    index = {
        "_class_name": "HunyuanPaintPipeline",
        "scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"],
        "unet": ["modules", "UNet2p5DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))


def build_full_delight(root: Path, device: str) -> None:
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPTextConfig, CLIPTextModel

    from app.core.generation.paint_build import quiet_schedulers

    with quiet_schedulers():
        scheduler = EulerAncestralDiscreteScheduler(
            beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012
        )
    with torch.device(device):
        pipe = StableDiffusionInstructPix2PixPipeline(
            vae=AutoencoderKL(**SD_VAE),
            text_encoder=CLIPTextModel(CLIPTextConfig(**CLIP_VIT_H_TEXT)),
            tokenizer=clip_tokenizer(),
            unet=UNet2DConditionModel(in_channels=8, **SD2_UNET),
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=CLIPImageProcessor(),
            requires_safety_checker=False,
        ).to(dtype=torch.float16)
        pipe.save_pretrained(str(root / REPO / "hunyuan3d-delight-v2-0"), safe_serialization=True)


class Meter:
    """Peak CUDA memory per phase, from the job's progress reports (a phase ends when the next starts)."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.phase = ""
        self.peaks: dict[str, float] = {}

    def __call__(self, progress: Any) -> None:
        phase = _phase(progress.stage, progress.message) or self.phase
        if phase != self.phase:
            self.close()
            self.phase = phase

    def close(self) -> None:
        if not self.cuda or not self.phase:
            return
        import torch

        peak = torch.cuda.max_memory_allocated() / 2**30
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), peak)
        torch.cuda.reset_peak_memory_stats()


def _phase(stage: str, message: str) -> str:
    if stage == "shape":
        return "shape"
    if stage != "texture":
        return "other"
    for prefix, phase in (
        ("loading the Hunyuan Paint", "paint load"),
        ("delighting", "delight"),
        ("painting six views", "paint"),
    ):
        if message.startswith(prefix):
            return phase
    return "unwrap + bake" if message else ""


def run_job(request: Any, out: Path, cuda: bool) -> tuple[dict[str, float], dict[str, float], Any]:
    from app.core.generation.stages import generate

    meter = Meter(cuda)
    if cuda:
        import torch

        torch.cuda.reset_peak_memory_stats()
    result = generate(request, out, on_progress=meter)
    meter.close()
    if not result.ok:
        raise SystemExit(f"the job failed: {result.message}")
    texture = result.lodset.provenance["texture"]
    paint = texture["paint_timings"]
    seconds = {
        "shape": result.timings["shape"],
        "paint load": paint["load_s"],
        "delight": paint["delight_s"],
        "paint": paint["paint_s"],
    }
    seconds["unwrap + bake"] = (
        result.timings["texture"] - paint["load_s"] - paint["delight_s"] - paint["paint_s"]
    )
    return seconds, meter.peaks, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("auto", "tiny", "full"), default="auto")
    parser.add_argument("--steps", type=int, default=30, help="paint steps (hy3dgen's 30)")
    parser.add_argument("--resolution", type=int, default=0, help="view size; 0: 512 full, 128 tiny")
    parser.add_argument("--texture-size", type=int, default=2048)
    args = parser.parse_args(argv)

    import torch

    from app.core.generation.request import GenerationRequest
    from app.core.texture.paint_options import PaintOptions

    cuda = torch.cuda.is_available()
    size = args.size if args.size != "auto" else ("full" if cuda else "tiny")
    device = "cuda" if cuda else "cpu"
    resolution = args.resolution or (512 if size == "full" else 128)
    work = Path(tempfile.mkdtemp(prefix="sweedle-bench-paint-"))
    models = work / "models"
    os.environ["SWEEDLE_MODELS"] = str(models)
    os.environ.setdefault("SWEEDLE_HOME", str(work / "home"))
    if not cuda:
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    start = time.perf_counter()
    if size == "full":
        build_tiny_checkpoint(models, config=full_shape_config())
        build_full_paint(models, device)
        build_full_delight(models, device)
    else:
        build_tiny_checkpoint(models)
        build_tiny_paint(models)
        build_tiny_delight(models)
    built = time.perf_counter() - start
    shape_params: dict[str, Any] = {"device": device, "steps": 30, "octree_resolution": 256}
    if size == "tiny":
        shape_params |= {"steps": 5, "octree_resolution": 64, "flashvdm": 0}
    request = GenerationRequest(
        SAMPLE,
        engine="hunyuan",
        params=shape_params,
        texture_size=args.texture_size,
        lods=(),
        texture_method="paint",
        paint=PaintOptions(steps=args.steps, resolution=resolution, device=device),
    )
    runs = [run_job(request, work / f"run{i}.glb", cuda) for i in (1, 2)]
    triangles = runs[0][2].lods[0].triangles
    where = f"CUDA {torch.cuda.get_device_name(0)}, float16" if cuda else "CPU, float32"
    print(f"Hunyuan Paint benchmark: {where}, {size} RANDOM-weight checkpoints (built in {built:.0f} s)")
    if not cuda:
        print("GPU run pending: no CUDA device here. These are the tiny test checkpoints on the CPU,")
        print("a plumbing figure, not model performance.")
    print(
        f"mesh: LOD0 {triangles:,} triangles; texture {args.texture_size}²; six views at {resolution} px; "
        f"{args.steps} paint steps + 50 delight steps"
    )
    header = f"{'stage':<15}{'run 1 s':>10}{'run 2 s':>10}"
    if cuda:
        header += f"{'peak VRAM GB (1)':>18}{'(2)':>8}"
    print(header)
    for phase in PHASES:
        line = f"{phase:<15}{runs[0][0][phase]:>10.2f}{runs[1][0][phase]:>10.2f}"
        if cuda:
            line += f"{runs[0][1].get(phase, 0.0):>18.2f}{runs[1][1].get(phase, 0.0):>8.2f}"
        print(line)
    total = [sum(r[0].values()) for r in runs]
    print(f"{'total':<15}{total[0]:>10.2f}{total[1]:>10.2f}")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
