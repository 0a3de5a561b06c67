"""What a model folder may name: the hy3dgen and diffusers classes the known models really use.

A model folder is data someone else made, and hy3dgen's own loader imports whatever `target:` its
config.yaml names (and hands `ckpt_path` to `torch.load`), diffusers picks classes from the names
in model_index.json. So the checks compare every class name and every setting with these tables,
taken from hy3dgen 2.0.2's published configs and the signatures of the classes they name; the
loader then builds each part from the table's own classes. A setting that makes a library read a
file of its own choosing (`ckpt_path`, an image encoder's `version`) is in no table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DIT = "hy3dgen.shapegen.models.Hunyuan3DDiT"
SHAPE_VAE = "hy3dgen.shapegen.models.ShapeVAE"
SINGLE_IMAGE_ENCODER = "hy3dgen.shapegen.models.SingleImageEncoder"
IMAGE_PROCESSOR = "hy3dgen.shapegen.preprocessors.ImageProcessorV2"
MV_IMAGE_PROCESSOR = "hy3dgen.shapegen.preprocessors.MVImageProcessorV2"
FLOW_MATCH = "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler"
CONSISTENCY_FLOW_MATCH = "hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler"

DIT_PARAMS = frozenset(
    {
        "in_channels",
        "context_in_dim",
        "hidden_size",
        "mlp_ratio",
        "num_heads",
        "depth",
        "depth_single_blocks",
        "axes_dim",
        "theta",
        "qkv_bias",
        "time_factor",
        "guidance_embed",
    }
)
VAE_PARAMS = frozenset(
    {
        "num_latents",
        "embed_dim",
        "width",
        "heads",
        "num_decoder_layers",
        "geo_decoder_downsample_ratio",
        "geo_decoder_mlp_expand_ratio",
        "geo_decoder_ln_post",
        "num_freqs",
        "include_pi",
        "qkv_bias",
        "qk_norm",
        "label_type",
        "drop_path_rate",
        "scale_factor",
    }
)
PROCESSOR_PARAMS = frozenset({"size", "border_ratio"})
SCHEDULERS: dict[str, frozenset[str]] = {
    FLOW_MATCH: frozenset({"num_train_timesteps", "shift", "use_dynamic_shifting"}),
    CONSISTENCY_FLOW_MATCH: frozenset({"num_train_timesteps", "pcm_timesteps"}),
}

IMAGE_ENCODERS: dict[str, frozenset[str]] = {
    "DinoImageEncoder": frozenset({"config", "use_cls_token", "image_size"}),
    "DinoImageEncoderMV": frozenset({"config", "use_cls_token", "image_size", "view_num"}),
}
"""`type:` of the conditioner's main image encoder; `config` is required (without it hy3dgen
fetches a model by name, `version`)."""
DINO_CONFIG_KEYS = frozenset(
    {
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "mlp_ratio",
        "hidden_act",
        "hidden_dropout_prob",
        "attention_probs_dropout_prob",
        "initializer_range",
        "layer_norm_eps",
        "image_size",
        "patch_size",
        "num_channels",
        "qkv_bias",
        "layerscale_value",
        "drop_path_rate",
        "use_swiglu_ffn",
        "out_features",
        "out_indices",
        "apply_layernorm",
        "reshape_hidden_states",
        "use_mask_token",
        "model_type",
        "torch_dtype",
        "dtype",
        "architectures",
        "transformers_version",
        "_name_or_path",
        "attn_implementation",
    }
)
"""Transformers' Dinov2Config settings, plus the descriptive keys a saved config carries."""
DINO_CONFIG_CHOICES: dict[str, tuple[str | None, ...]] = {
    "model_type": ("dinov2",),
    "attn_implementation": (None, "eager", "sdpa"),
}
"""Settings with a few possible values: other attention implementations load kernels from the hub."""

SHAPE_SECTIONS = ("model", "vae", "conditioner", "image_processor", "scheduler")

DANGEROUS_KEYS: dict[str, str] = {
    "ckpt_path": "makes hy3dgen read that file with torch.load, which can run code",
    "version": "makes transformers fetch a model by name, from the network or a pickle file",
    "auto_map": "makes transformers import code from the model folder",
    "quantization_config": "makes diffusers or transformers load the weights through a quantisation library",
    "custom_pipeline": "makes diffusers import code from the model folder",
    "trust_remote_code": "makes transformers run code from the model folder",
}
"""Keys refused wherever they appear, with why (said in the message)."""
LIBRARY_CODE_KEYS = ("auto_map", "quantization_config", "custom_pipeline", "trust_remote_code")
"""The keys above that diffusers and transformers act on in their JSON configs."""


def shape_parts(multiview: bool) -> dict[str, dict[str, frozenset[str]]]:
    """Per section of a shape variant's config.yaml: the classes it may name and their settings."""
    processor = MV_IMAGE_PROCESSOR if multiview else IMAGE_PROCESSOR
    return {
        "model": {DIT: DIT_PARAMS},
        "vae": {SHAPE_VAE: VAE_PARAMS},
        "conditioner": {SINGLE_IMAGE_ENCODER: frozenset({"main_image_encoder"})},
        "image_processor": {processor: PROCESSOR_PARAMS},
        "scheduler": SCHEDULERS,
    }


def image_encoder(multiview: bool) -> str:
    return "DinoImageEncoderMV" if multiview else "DinoImageEncoder"


DIT_PIPELINE = "HunyuanDiTPipeline"
DIT_COMPONENTS: dict[str, tuple[str, frozenset[str]]] = {
    "transformer": ("diffusers", frozenset({"HunyuanDiT2DModel"})),
    "vae": ("diffusers", frozenset({"AutoencoderKL"})),
    "text_encoder": ("transformers", frozenset({"BertModel"})),
    "tokenizer": ("transformers", frozenset({"BertTokenizer", "BertTokenizerFast"})),
    "text_encoder_2": ("transformers", frozenset({"T5EncoderModel", "MT5EncoderModel"})),
    "tokenizer_2": (
        "transformers",
        frozenset({"T5Tokenizer", "T5TokenizerFast", "MT5Tokenizer", "MT5TokenizerFast"}),
    ),
    "scheduler": ("diffusers", frozenset({"DDPMScheduler"})),
}
"""HunyuanDiT's model_index.json: each component's (library, allowed class names)."""
DIT_EMPTY_COMPONENTS = frozenset({"safety_checker", "feature_extractor"})
"""Components the pipeline declares but HunyuanDiT leaves empty: `[null, null]` only."""
DIT_INDEX_FIELDS = frozenset(
    {"_class_name", "_diffusers_version", "_name_or_path", "requires_safety_checker"}
)

DIT_WEIGHTS: dict[str, str] = {
    "transformer": "diffusion_pytorch_model.safetensors",
    "vae": "diffusion_pytorch_model.safetensors",
    "text_encoder": "model.safetensors",
    "text_encoder_2": "model.safetensors",
}
"""The safetensors file each weighted component loads (or its `.index.json` when sharded)."""
DIT_CONFIG_CLASS: dict[str, tuple[str, str, frozenset[str]]] = {
    "transformer": ("config.json", "_class_name", frozenset({"HunyuanDiT2DModel"})),
    "vae": ("config.json", "_class_name", frozenset({"AutoencoderKL"})),
    "text_encoder": ("config.json", "model_type", frozenset({"bert"})),
    "text_encoder_2": ("config.json", "model_type", frozenset({"t5", "mt5"})),
    "scheduler": ("scheduler_config.json", "_class_name", frozenset({"DDPMScheduler"})),
    "tokenizer": ("tokenizer_config.json", "tokenizer_class", DIT_COMPONENTS["tokenizer"][1]),
    "tokenizer_2": ("tokenizer_config.json", "tokenizer_class", DIT_COMPONENTS["tokenizer_2"][1]),
}
"""Per component: its config file, and the field naming its class, which must be one of these."""
DIT_REQUIRED_CONFIGS = frozenset({"transformer", "vae", "text_encoder", "text_encoder_2", "scheduler"})
"""Components whose config file must be there (a tokenizer can do without one)."""
DATA_SUFFIXES = (".json", ".txt", ".model")
"""Besides weights, what a component folder may give its loader: configs, vocabularies, sentencepiece."""


@dataclass(frozen=True)
class DiffusersLayout:
    """What a diffusers model folder (model_index.json and one folder per component) may say, and
    which of its components Sweedle reads."""

    model: str
    """How messages name the model ("HunyuanDiT")."""
    pipeline: str
    """The `_class_name` model_index.json must give."""
    components: dict[str, tuple[str, frozenset[str]]]
    """Components that are read: index key → (library, allowed class names)."""
    weights: dict[str, str]
    """The safetensors file each weighted component loads (or its `.index.json` when sharded)."""
    config_class: dict[str, tuple[str, str, frozenset[str]]]
    """Per read component: its config file, and the field naming its class, which must be one of these."""
    required_configs: frozenset[str]
    """Components whose config file must be there and name its class."""
    empty: frozenset[str] = frozenset()
    """Components the pipeline declares but this model leaves empty: `[null, null]` only."""
    unread: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    """Components the index may name (or leave empty) that Sweedle never reads: their folders are
    neither checked nor staged (the paint model's text encoder is published as a pickle only)."""
    optional: frozenset[str] = frozenset()
    """Read components the index may leave out."""
    index_fields: frozenset[str] = frozenset(
        {"_class_name", "_diffusers_version", "_name_or_path", "requires_safety_checker"}
    )


DIT_LAYOUT = DiffusersLayout(
    model="HunyuanDiT",
    pipeline=DIT_PIPELINE,
    components=DIT_COMPONENTS,
    weights=DIT_WEIGHTS,
    config_class=DIT_CONFIG_CLASS,
    required_configs=DIT_REQUIRED_CONFIGS,
    empty=DIT_EMPTY_COMPONENTS,
    index_fields=DIT_INDEX_FIELDS,
)

SCHEDULER_CLASSES = frozenset(
    {
        "DDIMScheduler",
        "DDPMScheduler",
        "PNDMScheduler",
        "EulerDiscreteScheduler",
        "EulerAncestralDiscreteScheduler",
        "DPMSolverMultistepScheduler",
        "UniPCMultistepScheduler",
        "LMSDiscreteScheduler",
    }
)
"""diffusers schedulers a Stable Diffusion folder may name (plain classes; the loader swaps in the
scheduler hy3dgen uses, built from the checked settings)."""
CLIP_TOKENIZERS = frozenset({"CLIPTokenizer", "CLIPTokenizerFast"})
CLIP_IMAGE_PROCESSORS = frozenset({"CLIPImageProcessor", "CLIPFeatureExtractor"})
_SD_WEIGHTS = {
    "unet": "diffusion_pytorch_model.safetensors",
    "vae": "diffusion_pytorch_model.safetensors",
}

DELIGHT_PIPELINE = "StableDiffusionInstructPix2PixPipeline"
DELIGHT_LAYOUT = DiffusersLayout(
    model="the Hunyuan3D-2 delighting model",
    pipeline=DELIGHT_PIPELINE,
    components={
        "unet": ("diffusers", frozenset({"UNet2DConditionModel"})),
        "vae": ("diffusers", frozenset({"AutoencoderKL"})),
        "text_encoder": ("transformers", frozenset({"CLIPTextModel"})),
        "tokenizer": ("transformers", CLIP_TOKENIZERS),
        "scheduler": ("diffusers", SCHEDULER_CLASSES),
        "feature_extractor": ("transformers", CLIP_IMAGE_PROCESSORS),
    },
    weights={**_SD_WEIGHTS, "text_encoder": "model.safetensors"},
    config_class={
        "unet": ("config.json", "_class_name", frozenset({"UNet2DConditionModel"})),
        "vae": ("config.json", "_class_name", frozenset({"AutoencoderKL"})),
        "text_encoder": ("config.json", "model_type", frozenset({"clip_text_model"})),
        "scheduler": ("scheduler_config.json", "_class_name", SCHEDULER_CLASSES),
        "tokenizer": ("tokenizer_config.json", "tokenizer_class", CLIP_TOKENIZERS),
        "feature_extractor": ("preprocessor_config.json", "image_processor_type", CLIP_IMAGE_PROCESSORS),
    },
    required_configs=frozenset({"unet", "vae", "text_encoder", "scheduler"}),
    empty=frozenset({"image_encoder"}),
    unread={"safety_checker": ("stable_diffusion", frozenset({"StableDiffusionSafetyChecker"}))},
    optional=frozenset({"feature_extractor"}),
)
"""hunyuan3d-delight-v2-0: an InstructPix2Pix pipeline that hy3dgen's `Light_Shadow_Remover` loads
(with no safety checker)."""

PAINT_PIPELINE = "HunyuanPaintPipeline"
PAINT_UNET = "UNet2p5DConditionModel"
PAINT_LAYOUT = DiffusersLayout(
    model="the Hunyuan3D-2 paint model",
    pipeline=PAINT_PIPELINE,
    components={
        "unet": ("modules", frozenset({PAINT_UNET})),
        "vae": ("diffusers", frozenset({"AutoencoderKL"})),
        "scheduler": ("diffusers", SCHEDULER_CLASSES),
    },
    weights=dict(_SD_WEIGHTS),
    config_class={
        "unet": ("config.json", "_class_name", frozenset({"UNet2DConditionModel", PAINT_UNET})),
        "vae": ("config.json", "_class_name", frozenset({"AutoencoderKL"})),
        "scheduler": ("scheduler_config.json", "_class_name", SCHEDULER_CLASSES),
    },
    required_configs=frozenset({"unet", "vae", "scheduler"}),
    empty=frozenset({"image_encoder"}),
    unread={
        "text_encoder": ("transformers", frozenset({"CLIPTextModel"})),
        "tokenizer": ("transformers", CLIP_TOKENIZERS),
        "feature_extractor": ("transformers", CLIP_IMAGE_PROCESSORS),
        "safety_checker": ("stable_diffusion", frozenset({"StableDiffusionSafetyChecker"})),
    },
)
"""hunyuan3d-paint-v2-0: hy3dgen's HunyuanPaintPipeline. Its index names the UNet from
`unet/modules.py` (`["modules", "UNet2p5DConditionModel"]`), which diffusers would import from the
folder; Sweedle builds hy3dgen's installed UNet2p5DConditionModel itself from the checked config and
safetensors weights, and never reads the text encoder, tokenizer or feature extractor (the pipeline
uses its own learned prompt embeddings)."""

PICKLE_SUFFIXES = (".ckpt", ".bin", ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".dill")
"""Weight formats that unpickle when loaded: never read, left out of copies and downloads."""
