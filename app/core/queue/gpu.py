"""This machine's NVIDIA GPUs as the driver reports them (name, total and free VRAM).

Asked through `nvidia-smi`, not torch: a worker describes itself without loading torch or
touching CUDA, and a machine without the driver simply has no GPUs ("CPU").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

QUERY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    total_gb: float
    free_gb: float


def probe_gpus(indices: list[int] | None = None) -> list[GpuInfo]:
    """The GPUs `nvidia-smi` lists (only `indices` when given); [] without the NVIDIA driver."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    command = [smi, "--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4:
            continue
        try:
            gpu = GpuInfo(int(parts[0]), parts[1], float(parts[2]) / 1024, float(parts[3]) / 1024)
        except ValueError:
            continue
        if indices is None or gpu.index in indices:
            gpus.append(gpu)
    return gpus


def visible_gpu_indices() -> list[int] | None:
    """The GPUs CUDA_VISIBLE_DEVICES leaves this process (Ray sets it per actor); None: all."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        return None
