"""A tiny HunyuanDiT text-to-image model with RANDOM weights, saved as a diffusers folder at test time.

Same components and folder layout as Tencent-Hunyuan/HunyuanDiT-v1.1-Diffusers-Distilled
(`model_index.json`, transformer, vae, text_encoder + tokenizer (BERT), text_encoder_2 +
tokenizer_2 (T5), scheduler), so diffusers' loader and hy3dgen's `HunyuanDiTPipeline` read it
unchanged. Everything is tiny, but the VAE keeps the real 8x downscale (the pipeline assumes it)
and the transformer has 20 blocks because hy3dgen turns on perturbed-attention guidance on blocks
16-19. The pictures it makes are noise: a plumbing test. Tokenizers are built in code (no
sentencepiece model, nothing downloaded).
"""

from __future__ import annotations

from pathlib import Path

REPO = "Tencent-Hunyuan/HunyuanDiT-v1.1-Diffusers-Distilled"
WIDTH = 16
TEXT_WIDTH = 16
_WORDS = ("a", "red", "chair", "wooden", "robot", "cat", ",", ".")


def build_tiny_hunyuandit(models_root: Path, torch_seed: int = 7) -> Path:
    """Write `<models_root>/<REPO>/` with RANDOM weights; return the folder."""
    import torch

    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

    import_hy3dgen_shapegen()  # makes torchvision importable next to a CPU torch, as the app does
    from diffusers import AutoencoderKL, DDPMScheduler, HunyuanDiT2DModel, HunyuanDiTPipeline
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, BertTokenizer, T5Config, T5EncoderModel, T5TokenizerFast

    folder = models_root / REPO
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(torch_seed)
    transformer = HunyuanDiT2DModel(
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=4,
        patch_size=2,
        sample_size=8,
        hidden_size=WIDTH,
        num_layers=20,
        mlp_ratio=2.0,
        learn_sigma=True,
        cross_attention_dim=TEXT_WIDTH,
        cross_attention_dim_t5=TEXT_WIDTH,
        pooled_projection_dim=TEXT_WIDTH,
        text_len=77,
        text_len_t5=256,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    )
    small = {"num_attention_heads": 2, "intermediate_size": 32, "num_hidden_layers": 1}
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS]
    bert = BertModel(BertConfig(vocab_size=len(vocab), hidden_size=TEXT_WIDTH, **small))
    vocab_file = folder / "bert-vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    bert_tokenizer = BertTokenizer(str(vocab_file))
    unigram = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), *((f"▁{w}", -1.0) for w in _WORDS)]
    t5_core = Tokenizer(models.Unigram(unigram, unk_id=2))
    t5_core.pre_tokenizer = pre_tokenizers.Metaspace()
    t5_tokenizer = T5TokenizerFast(
        tokenizer_object=t5_core, eos_token="</s>", unk_token="<unk>", pad_token="<pad>", extra_ids=0
    )
    t5 = T5EncoderModel(
        T5Config(vocab_size=len(unigram), d_model=TEXT_WIDTH, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    )
    pipe = HunyuanDiTPipeline(
        vae=vae,
        text_encoder=bert,
        tokenizer=bert_tokenizer,
        transformer=transformer,
        scheduler=DDPMScheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        text_encoder_2=t5,
        tokenizer_2=t5_tokenizer,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    vocab_file.unlink()
    return folder
