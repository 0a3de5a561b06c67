"""A tiny Hunyuan3D-2 checkpoint with RANDOM weights, built at test time in a models folder.

It has the real config layout (`model`, `vae`, `conditioner` with a Dinov2 config given as a dict
so nothing is downloaded, `image_processor`, `scheduler`) and one safetensors file with keys
prefixed `model.`, `vae.`, `conditioner.`, so hy3dgen's own loader and pipeline run it unchanged.
The weights are random: the shapes it makes say nothing about model quality. To get a
deterministic, closed surface for the plumbing tests, the geometry decoder's last layers are
overwritten so that occupancy is an analytic blob (cos x + cos y + cos z above a threshold) plus a
small, seed-dependent term from the random latents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = "tencent/Hunyuan3D-2"
WIDTH = 32
LATENTS = 16
LATENT_DIM = 8
NUM_FREQS = 4
BLOB_THRESHOLD = 2.7
"""cos x + cos y + cos z > 2.7 is a rounded blob of radius ~0.8 inside hy3dgen's ±1.01 box."""


def tiny_config(multiview: bool = False, guidance_embed: bool = False, turbo: bool = False) -> dict[str, Any]:
    """A config.yaml dict shaped like the real dit-v2-0 / 2mv / turbo configs, but tiny."""
    dino = {
        "attention_probs_dropout_prob": 0.0,
        "drop_path_rate": 0.0,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": WIDTH,
        "image_size": 518,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-6,
        "layerscale_value": 1.0,
        "mlp_ratio": 2,
        "model_type": "dinov2",
        "num_attention_heads": 2,
        "num_channels": 3,
        "num_hidden_layers": 1,
        "patch_size": 14,
        "qkv_bias": True,
        "use_swiglu_ffn": False,
    }
    encoder: dict[str, Any] = {
        "type": "DinoImageEncoderMV" if multiview else "DinoImageEncoder",
        "kwargs": {"config": dino, "image_size": 112, "use_cls_token": True},
    }
    if multiview:
        encoder["kwargs"]["view_num"] = 4
    scheduler: dict[str, Any] = (
        {
            "target": "hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler",
            "params": {"num_train_timesteps": 1000, "pcm_timesteps": 100},
        }
        if turbo
        else {
            "target": "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler",
            "params": {"num_train_timesteps": 1000},
        }
    )
    return {
        "model": {
            "target": "hy3dgen.shapegen.models.Hunyuan3DDiT",
            "params": {
                "in_channels": LATENT_DIM,
                "context_in_dim": WIDTH,
                "hidden_size": WIDTH,
                "mlp_ratio": 2.0,
                "num_heads": 2,
                "depth": 1,
                "depth_single_blocks": 1,
                "axes_dim": [WIDTH // 2],
                "theta": 10000,
                "qkv_bias": True,
                "guidance_embed": guidance_embed,
            },
        },
        "vae": {"target": "hy3dgen.shapegen.models.ShapeVAE", "params": _vae_params()},
        "conditioner": {
            "target": "hy3dgen.shapegen.models.SingleImageEncoder",
            "params": {"main_image_encoder": encoder},
        },
        "image_processor": {
            "target": "hy3dgen.shapegen.preprocessors."
            + ("MVImageProcessorV2" if multiview else "ImageProcessorV2"),
            "params": {"size": 128, "border_ratio": 0.15},
        },
        "scheduler": scheduler,
    }


def _vae_params() -> dict[str, Any]:
    return {
        "num_latents": LATENTS,
        "embed_dim": LATENT_DIM,
        "num_freqs": NUM_FREQS,
        "include_pi": False,
        "heads": 2,
        "width": WIDTH,
        "num_decoder_layers": 1,
        "qkv_bias": False,
        "qk_norm": True,
        "geo_decoder_ln_post": False,
        "scale_factor": 1.0,
    }


def _blob_decoder(
    vae: Any, seed_influence: float, threshold: float = BLOB_THRESHOLD, num_freqs: int = NUM_FREQS
) -> None:
    """Overwrite the geometry decoder so occupancy = cos x + cos y + cos z - 2.7 + small noise."""
    import torch

    geo = vae.geo_decoder
    with torch.no_grad():
        geo.query_proj.weight.zero_()
        geo.query_proj.bias.zero_()
        cos_start = 3 + 3 * num_freqs  # [x (3), sin (3F), cos (3F)], frequency 1 first per axis
        for axis in range(3):
            geo.query_proj.weight[0, cos_start + axis * num_freqs] = 1.0
        geo.query_proj.bias[0] = -threshold
        block = geo.cross_attn_decoder
        block.attn.c_proj.weight.mul_(seed_influence)
        block.attn.c_proj.bias.zero_()
        block.mlp.c_proj.weight.zero_()
        block.mlp.c_proj.bias.zero_()
        geo.output_proj.weight.zero_()
        geo.output_proj.bias.zero_()
        geo.output_proj.weight[0, 0] = 10.0


def build_tiny_checkpoint(
    models_root: Path,
    subfolder: str = "hunyuan3d-dit-v2-0",
    *,
    repo: str = REPO,
    multiview: bool = False,
    guidance_embed: bool = False,
    turbo: bool = False,
    variant: str | None = "fp16",
    seed_influence: float = 0.02,
    threshold: float = BLOB_THRESHOLD,
    torch_seed: int = 1234,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write `<models_root>/<repo>/<subfolder>/{config.yaml, model[.fp16].safetensors}`; return the folder.

    The weights are RANDOM (seeded) with an analytic blob decoder: a test of the plumbing only.
    A `threshold` above 3 leaves occupancy negative everywhere: no surface at all. `config` replaces
    the tiny one (the GPU benchmark builds the real-sized architecture so).
    """
    import safetensors.torch
    import torch

    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

    instantiate_from_config = import_hy3dgen_shapegen().pipelines.instantiate_from_config

    config = config or tiny_config(multiview=multiview, guidance_embed=guidance_embed, turbo=turbo)
    torch.manual_seed(torch_seed)
    parts = {name: instantiate_from_config(config[name]) for name in ("model", "vae", "conditioner")}
    _blob_decoder(parts["vae"], seed_influence, threshold, config["vae"]["params"]["num_freqs"])
    tensors = {
        f"{prefix}.{key}": value.detach().to(torch.float32).contiguous().clone()
        for prefix, module in parts.items()
        for key, value in module.state_dict().items()
    }
    folder = models_root / repo / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    name = f"model.{variant}.safetensors" if variant else "model.safetensors"
    safetensors.torch.save_file(tensors, str(folder / name))
    return folder


def build_tiny_vae(models_root: Path, subfolder: str = "hunyuan3d-vae-v2-0-turbo", repo: str = REPO) -> Path:
    """A stand-alone VAE folder (the turbo VAE FlashVDM swaps in), same RANDOM weights and blob decoder."""
    import safetensors.torch
    import torch

    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

    ShapeVAE = import_hy3dgen_shapegen().models.ShapeVAE

    torch.manual_seed(99)
    vae = ShapeVAE(**_vae_params())
    _blob_decoder(vae, 0.02)
    folder = models_root / repo / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(
        yaml.safe_dump({"target": "hy3dgen.shapegen.models.ShapeVAE", "params": _vae_params()})
    )
    tensors = {k: v.detach().contiguous().clone() for k, v in vae.state_dict().items()}
    safetensors.torch.save_file(tensors, str(folder / "model.fp16.safetensors"))
    return folder
