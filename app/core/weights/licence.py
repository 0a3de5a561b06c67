"""Licence terms shown (and accepted) before a model download, and recorded on every asset.

This is a summary, not the licence: the full text ships with the weights (`LICENSE` or
`NOTICE` in the downloaded folder) and is shown from there once a model is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Licence:
    id: str
    name: str
    url: str
    summary: str
    excluded_territories: tuple[str, ...] = ()


HUNYUAN = Licence(
    id="tencent-hunyuan-community",
    name="Tencent Hunyuan 3D 2.0 Community License Agreement",
    url="https://huggingface.co/tencent/Hunyuan3D-2/blob/main/LICENSE",
    summary=(
        "The weights are licensed by Tencent, not by Sweedle. The licence does NOT apply, and the "
        "models may not be used, in the European Union, the United Kingdom and South Korea. Products "
        "or services with more than 1 million monthly active users need a separate licence from "
        "Tencent. You must follow Tencent's Acceptable Use Policy and may not use the outputs to "
        "improve other AI models. Read the full licence before downloading."
    ),
    excluded_territories=("European Union", "United Kingdom", "South Korea"),
)

HUNYUAN_DIT = Licence(
    id="tencent-hunyuan-dit-community",
    name="Tencent Hunyuan Community License Agreement (HunyuanDiT)",
    url="https://huggingface.co/Tencent-Hunyuan/HunyuanDiT-v1.1-Diffusers-Distilled",
    summary=HUNYUAN.summary,
    excluded_territories=HUNYUAN.excluded_territories,
)

BIREFNET = Licence(
    id="mit-birefnet",
    name="MIT License (BiRefNet, Zheng Peng et al.)",
    url="https://huggingface.co/onnx-community/BiRefNet_lite-ONNX",
    summary=(
        "BiRefNet's weights are published by its authors under the MIT License and converted to ONNX "
        "by the ONNX Community, not by Sweedle. The licence allows commercial use, changes and "
        "redistribution, provided the copyright and licence notice go with copies of the weights. "
        "The weights come with no warranty."
    ),
)

LICENCES: dict[str, Licence] = {HUNYUAN.id: HUNYUAN, HUNYUAN_DIT.id: HUNYUAN_DIT, BIREFNET.id: BIREFNET}


def licence_text(licence_id: str, installed_dir: Path | None = None) -> str:
    """The full licence from the installed folder when it is there, else the summary and its link."""
    lic = LICENCES[licence_id]
    for folder in (installed_dir, installed_dir.parent if installed_dir else None):
        if folder is None:
            continue
        for name in ("LICENSE", "LICENSE.txt", "NOTICE"):
            path = folder / name
            if path.is_file():
                return path.read_text(encoding="utf-8", errors="replace")
    excluded = ", ".join(lic.excluded_territories)
    where = f"Not licensed in: {excluded}.\n\n" if excluded else ""
    return f"{lic.name}\n\n{where}{lic.summary}\n\nFull text: {lic.url}"
