"""The models Sweedle knows: the Hunyuan3D-2 family that hy3dgen 2.0.2 loads (shape, delight, paint),
and HunyuanDiT text-to-image.

Each entry says where hy3dgen looks for it (`<store>/<repo>/<subfolder>`, the layout of its
HY3DGEN_MODELS folder and of a Hugging Face snapshot), which weight file it reads, what it needs
in VRAM and under which licence it comes. Hunyuan3D-2.1 is deliberately absent: its config
targets `hy3dshape.*`, which hy3dgen 2.0.2 cannot load; so is the paint model's turbo variant, whose
pipeline and UNet exist only in newer hy3dgen source.
"""

from __future__ import annotations

from dataclasses import dataclass

HUNYUAN_LICENCE = "tencent-hunyuan-community"
UNSUPPORTED_NOTE = (
    "Hunyuan3D-2.1 is not listed: hy3dgen 2.0.2 cannot load it (its config targets the newer "
    "hy3dshape package)."
)


@dataclass(frozen=True)
class ModelSpec:
    id: str
    """What the user types: `sweedle models download hunyuan3d-2-turbo`."""
    label: str
    repo: str
    subfolder: str
    kind: str
    """"shape" (image → mesh), "vae" (a decoder other variants borrow), "text2image", the texture
    models "delight" (removes lighting from the picture) and "paint" (six views of the mesh), or
    "cutout" (one ONNX file that finds the subject of a picture with a background)."""
    weight_file: str = "model.fp16.safetensors"
    default_steps: int = 30
    multiview: bool = False
    turbo_vae: str | None = None
    """Id of the FlashVDM turbo VAE this variant swaps in when it is installed."""
    vram_gb: float = 0.0
    """Published figure (not measured here): shape generation for a shape variant; for the paint
    model the whole texture step, delighting included (Tencent's 16 GB for shape and texture less
    the shape's 6 GB). Low-VRAM mode needs less."""
    download_gb: float = 0.0
    """Approximate size of what a download fetches."""
    licence: str = HUNYUAN_LICENCE
    files: tuple[str, ...] = ()
    """Patterns of the repo files a download fetches; empty: the whole subfolder."""

    @property
    def diffusers(self) -> bool:
        """Kept as a diffusers folder (model_index.json and one folder per component)."""
        return self.kind in ("text2image", "delight", "paint")

    @property
    def relative_dir(self) -> str:
        return f"{self.repo}/{self.subfolder}" if self.subfolder else self.repo


CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        "hunyuan3d-2",
        "Hunyuan3D-2 (Standard)",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-dit-v2-0",
        "shape",
        default_steps=30,
        turbo_vae="hunyuan3d-2-vae-turbo",
        vram_gb=6.0,
        download_gb=4.9,
    ),
    ModelSpec(
        "hunyuan3d-2-fast",
        "Hunyuan3D-2 Fast",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-dit-v2-0-fast",
        "shape",
        default_steps=10,
        turbo_vae="hunyuan3d-2-vae-turbo",
        vram_gb=6.0,
        download_gb=4.9,
    ),
    ModelSpec(
        "hunyuan3d-2-turbo",
        "Hunyuan3D-2 Turbo",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-dit-v2-0-turbo",
        "shape",
        default_steps=5,
        turbo_vae="hunyuan3d-2-vae-turbo",
        vram_gb=6.0,
        download_gb=4.9,
    ),
    ModelSpec(
        "hunyuan3d-2mini",
        "Hunyuan3D-2mini",
        "tencent/Hunyuan3D-2mini",
        "hunyuan3d-dit-v2-mini",
        "shape",
        default_steps=30,
        turbo_vae="hunyuan3d-2mini-vae-turbo",
        vram_gb=5.0,
        download_gb=2.3,
    ),
    ModelSpec(
        "hunyuan3d-2mini-turbo",
        "Hunyuan3D-2mini Turbo",
        "tencent/Hunyuan3D-2mini",
        "hunyuan3d-dit-v2-mini-turbo",
        "shape",
        default_steps=5,
        turbo_vae="hunyuan3d-2mini-vae-turbo",
        vram_gb=5.0,
        download_gb=2.3,
    ),
    ModelSpec(
        "hunyuan3d-2mv",
        "Hunyuan3D-2mv (multi-view)",
        "tencent/Hunyuan3D-2mv",
        "hunyuan3d-dit-v2-mv",
        "shape",
        default_steps=30,
        multiview=True,
        turbo_vae="hunyuan3d-2-vae-turbo",
        vram_gb=6.0,
        download_gb=4.9,
    ),
    ModelSpec(
        "hunyuan3d-2mv-turbo",
        "Hunyuan3D-2mv Turbo (multi-view)",
        "tencent/Hunyuan3D-2mv",
        "hunyuan3d-dit-v2-mv-turbo",
        "shape",
        default_steps=5,
        multiview=True,
        turbo_vae="hunyuan3d-2-vae-turbo",
        vram_gb=6.0,
        download_gb=4.9,
    ),
    ModelSpec(
        "hunyuan3d-2-vae-turbo",
        "Hunyuan3D-2 turbo VAE (FlashVDM decoder)",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-vae-v2-0-turbo",
        "vae",
        download_gb=0.6,
    ),
    ModelSpec(
        "hunyuan3d-2mini-vae-turbo",
        "Hunyuan3D-2mini turbo VAE (FlashVDM decoder)",
        "tencent/Hunyuan3D-2mini",
        "hunyuan3d-vae-v2-mini-turbo",
        "vae",
        download_gb=0.6,
    ),
    ModelSpec(
        "hunyuan3d-delight-v2-0",
        "Hunyuan3D-2 delighting (texture: removes the picture's lighting)",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-delight-v2-0",
        "delight",
        weight_file="model_index.json",
        default_steps=50,
        vram_gb=3.0,
        download_gb=4.3,
    ),
    ModelSpec(
        "hunyuan3d-paint-v2-0",
        "Hunyuan3D-2 Paint (texture: six views of the mesh)",
        "tencent/Hunyuan3D-2",
        "hunyuan3d-paint-v2-0",
        "paint",
        weight_file="model_index.json",
        default_steps=30,
        vram_gb=10.0,
        download_gb=3.9,
    ),
    ModelSpec(
        "hunyuandit-t2i",
        "HunyuanDiT v1.1 distilled (text → image, for text-to-3D)",
        "Tencent-Hunyuan/HunyuanDiT-v1.1-Diffusers-Distilled",
        "",
        "text2image",
        weight_file="model_index.json",
        vram_gb=11.0,
        download_gb=14.0,
        licence="tencent-hunyuan-dit-community",
    ),
    ModelSpec(
        "birefnet-general",
        "BiRefNet (background removal for photos and concept art)",
        "onnx-community/BiRefNet-ONNX",
        "onnx",
        "cutout",
        weight_file="model.onnx",
        download_gb=0.97,
        licence="mit-birefnet",
        files=("onnx/model.onnx",),
    ),
    ModelSpec(
        "birefnet-lite",
        "BiRefNet lite (background removal, smaller and faster)",
        "onnx-community/BiRefNet_lite-ONNX",
        "onnx",
        "cutout",
        weight_file="model.onnx",
        download_gb=0.22,
        licence="mit-birefnet",
        files=("onnx/model.onnx",),
    ),
)


def spec(model_id: str) -> ModelSpec:
    from app.core.base.errors import InputError

    for entry in CATALOG:
        if entry.id == model_id:
            return entry
    shape_ids = ", ".join(e.id for e in CATALOG)
    raise InputError(f"unknown model {model_id!r}; known models: {shape_ids}. {UNSUPPORTED_NOTE}")


PAINT_TURBO_NOTE = (
    "hunyuan3d-paint-v2-0-turbo is not listed: hy3dgen 2.0.2 has no pipeline for it (its turbo UNet and "
    "pipeline exist only in newer hy3dgen source); Hunyuan Paint uses hunyuan3d-paint-v2-0."
)


def shape_variants() -> list[ModelSpec]:
    return [e for e in CATALOG if e.kind == "shape"]


def cutout_models() -> list[ModelSpec]:
    """Background-removal models, best first: the order a picture without alpha tries them in."""
    return [e for e in CATALOG if e.kind == "cutout"]
