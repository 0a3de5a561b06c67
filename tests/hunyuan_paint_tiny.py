"""Tiny Hunyuan3D-2 delight and paint models with RANDOM weights, written at test time like the real ones.

`hunyuan3d-delight-v2-0` is a diffusers StableDiffusionInstructPix2PixPipeline folder;
`hunyuan3d-paint-v2-0` has the real folder layout of Tencent's multi-view paint model:
model_index.json naming `["modules", "UNet2p5DConditionModel"]` for the UNet, `unet/config.json`
(a UNet2DConditionModel config), `unet/diffusion_pytorch_model.safetensors` holding hy3dgen's
UNet2p5DConditionModel state (main and dual stream), `unet/modules.py`, a text encoder published
only as a pickle, tokenizer, feature extractor, scheduler and VAE. Two traps prove what the app
never does: `unet/modules.py` and every `.bin` pickle write a marker file if they are ever run or
unpickled.

The weights are random: what these models paint says nothing about model quality. The paint model
is rigged, as the shape tests rig the geometry decoder: its UNet ignores the noisy latents and
predicts, from the camera embedding alone, a latent code per camera, and its VAE decoder turns
each code into one flat colour (`VIEW_COLOURS`). With the scheduler's large noise levels and
v-prediction, the last step's estimate is that code, so each of the six views comes out in its
own colour: a bake that puts a view on the wrong side shows the wrong colour there.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from app.core.generation.paint_build import quiet_schedulers

REPO = "tencent/Hunyuan3D-2"
PAINT = "hunyuan3d-paint-v2-0"
DELIGHT = "hunyuan3d-delight-v2-0"
CAMERA_INFO = {"front": 21, "right": 12, "back": 15, "left": 18, "top": 43, "bottom": 37}
"""hy3dgen's camera index per paint view (the class label is this plus 5)."""
VIEW_COLOURS: dict[str, tuple[int, int, int]] = {
    "front": (230, 25, 25),
    "right": (25, 230, 25),
    "back": (25, 25, 230),
    "left": (230, 230, 25),
    "top": (25, 230, 230),
    "bottom": (230, 25, 230),
}
"""The flat colour the rigged paint model gives each view (0.5 ± 0.4 per channel, as 8-bit)."""
MARKER = "EXECUTED"
"""Written next to a trap file if the app ever runs or unpickles it."""
_WORDS = ("a", "photo", "of", "the", "object")


def build_tiny_paint(models_root: Path, torch_seed: int = 11) -> Path:
    """Write `<models_root>/tencent/Hunyuan3D-2/hunyuan3d-paint-v2-0/` (RANDOM, rigged); return it."""
    import safetensors.torch
    import torch
    from torch import nn

    texgen = _texgen()
    from diffusers import EulerAncestralDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPImageProcessor, CLIPTextConfig

    folder = models_root / REPO / PAINT
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(torch_seed)
    base = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 8),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        norm_num_groups=4,
        cross_attention_dim=1024,  # hy3dgen's learned prompt embeddings are 1024 wide
        attention_head_dim=4,
        time_embedding_dim=1280,  # hy3dgen's camera embedding is 1280 wide
    )
    base.save_config(str(folder / "unet"))
    unet = texgen.UNet2p5DConditionModel(base)
    vae = _tiny_vae(sample_size=64)
    _rig_paint(unet.unet, vae, nn)
    state = {k: v.detach().to(torch.float16).contiguous().clone() for k, v in unet.state_dict().items()}
    safetensors.torch.save_file(state, str(folder / "unet" / "diffusion_pytorch_model.safetensors"))
    _trap_code(folder / "unet" / "modules.py")
    _trap_pickle(folder / "unet" / "diffusion_pytorch_model.bin")
    vae.save_pretrained(str(folder / "vae"), safe_serialization=True)
    with quiet_schedulers():
        scheduler = EulerAncestralDiscreteScheduler(
            beta_schedule="linear", beta_start=0.01, beta_end=0.02, prediction_type="v_prediction"
        )
    scheduler.save_config(str(folder / "scheduler"))
    text_config = CLIPTextConfig(**_text_config())
    (folder / "text_encoder").mkdir(exist_ok=True)
    text_config.to_json_file(str(folder / "text_encoder" / "config.json"))
    _trap_pickle(folder / "text_encoder" / "pytorch_model.bin")  # the real one is published as a pickle only
    clip_tokenizer().save_pretrained(str(folder / "tokenizer"))
    CLIPImageProcessor().save_pretrained(str(folder / "feature_extractor"))
    index = {
        "_class_name": "HunyuanPaintPipeline",
        "_diffusers_version": "0.23.1",
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["modules", "UNet2p5DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))
    return folder


def build_tiny_delight(models_root: Path, torch_seed: int = 12) -> Path:
    """Write `<models_root>/tencent/Hunyuan3D-2/hunyuan3d-delight-v2-0/` with RANDOM weights; return it."""
    import torch

    _texgen()
    from diffusers import (
        EulerAncestralDiscreteScheduler,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPTextConfig, CLIPTextModel

    folder = models_root / REPO / DELIGHT
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(torch_seed)
    unet = UNet2DConditionModel(
        sample_size=64,
        in_channels=8,
        out_channels=4,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=4,
        cross_attention_dim=16,
        attention_head_dim=4,
    )
    with quiet_schedulers():
        scheduler = EulerAncestralDiscreteScheduler()
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=_tiny_vae(sample_size=512),
        text_encoder=CLIPTextModel(CLIPTextConfig(**_text_config())),
        tokenizer=clip_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=CLIPImageProcessor(),
        requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder


def _texgen() -> Any:
    """hy3dgen's paint modules, imported the way the app imports them."""
    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_paint

    return import_hy3dgen_paint().unet


def _tiny_vae(sample_size: int) -> Any:
    """Four blocks, so the VAE keeps the real 8x downscale the pipelines assume."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=sample_size,
        scaling_factor=1.0,
    )


def _text_config() -> dict[str, Any]:
    return {
        "vocab_size": 2 + len(_WORDS),
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "max_position_embeddings": 77,
        "projection_dim": 16,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "pad_token_id": 1,
    }


def clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over a handful of words, built in code (nothing downloaded)."""
    import tempfile

    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, **{f"{w}</w>": i + 2 for i, w in enumerate(_WORDS)}}
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file, merges_file = Path(tmp) / "vocab.json", Path(tmp) / "merges.txt"
        vocab_file.write_text(json.dumps(vocab))
        merges_file.write_text("#version: 0.2\n")
        return CLIPTokenizer(str(vocab_file), str(merges_file), model_max_length=77)


# The rig: channel pairs (2p, 2p+1) carry the sign s_p of a code per view; GroupNorm over each pair
# turns (x, 0) into (+1, -1) or (-1, +1) whatever the scale, so the sign survives every norm.
_CODES: dict[str, tuple[int, int, int]] = {
    view: tuple(1 if channel < 128 else -1 for channel in colour)  # type: ignore[misc]
    for view, colour in VIEW_COLOURS.items()
}
"""Colour channel 0.5 - 0.4 * s: s = +1 gives 25 (dark), s = -1 gives 230 (bright)."""
_CODE_SCALE = 4.0


def _rig_paint(unet: Any, vae: Any, nn: Any) -> None:
    """Main UNet stream: output = code(camera); VAE decoder: latent code → flat colour."""
    import torch

    with torch.no_grad():
        for module in unet.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                module.weight.zero_()
                if module.bias is not None:
                    module.bias.zero_()
        unet.class_embedding.weight.zero_()
        last = unet.up_blocks[-1].resnets[-1]
        for slot, (view, code) in enumerate(_CODES.items()):
            label = CAMERA_INFO[view] + 5
            unet.class_embedding.weight[label, slot] = 10.0  # SiLU keeps it, zeros stay zero
            for pair, sign in enumerate(code):
                last.time_emb_proj.weight[2 * pair, slot] = float(sign)
        pair_4 = 3  # the fourth pair always +1, so no pair is ever all zeros
        for slot in range(len(_CODES)):
            last.time_emb_proj.weight[2 * pair_4, slot] = 1.0
        for channel in range(8):
            last.conv2.weight[channel, channel, 1, 1] = 1.0
        for pair in range(4):
            unet.conv_out.weight[pair, 2 * pair, 1, 1] = _CODE_SCALE
            unet.conv_out.weight[pair, 2 * pair + 1, 1, 1] = -_CODE_SCALE

        decoder = vae.decoder
        for module in decoder.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                module.weight.zero_()
                if module.bias is not None:
                    module.bias.zero_()
        vae.post_quant_conv.weight.zero_()
        vae.post_quant_conv.bias.zero_()
        for channel in range(4):
            vae.post_quant_conv.weight[channel, channel, 0, 0] = 1.0
            decoder.conv_in.weight[2 * channel, channel, 1, 1] = 1.0
        for block in decoder.up_blocks:
            for upsampler in block.upsamplers or []:
                for channel in range(8):
                    upsampler.conv.weight[channel, channel, 1, 1] = 1.0
        for pair in range(3):  # latent -s → decoder pair (-s, 0) → RGB channel -0.8 * s after SiLU
            decoder.conv_out.weight[pair, 2 * pair, 1, 1] = 0.8
            decoder.conv_out.weight[pair, 2 * pair + 1, 1, 1] = -0.8


def _trap_code(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "import pathlib\n"
        f"pathlib.Path(__file__).with_name({MARKER!r}).write_text('model folder code was run')\n"
        "raise RuntimeError('Sweedle must never run code from a model folder')\n"
    )


class _Trap:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (Path(self.marker), "a pickle weight file was unpickled"))


def _trap_pickle(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Trap(str(path.with_name(MARKER)))))


def trap_markers(models_root: Path) -> list[Path]:
    """Every marker a trap left: empty unless Sweedle ran model-folder code or read a pickle."""
    return sorted((models_root / REPO).rglob(MARKER))
