"""How much GPU memory a queued job needs, so it is only placed on a worker whose GPU has it.

Relief runs on the CPU (0 GB). A Hunyuan job needs what its variant's catalog entry says, about
60 % of that in low-VRAM mode; a CPU worker (no VRAM figure) takes any job, slowly.
"""

from __future__ import annotations

from app.core.models.catalog import shape_variants
from app.core.queue.records import QueuedJob

DEFAULT_VARIANT = "hunyuan3d-2"


def vram_need(job: QueuedJob) -> float:
    """GB of VRAM the job's engine and variant need; 0 for engines that do not use the GPU."""
    request = job.request
    if request.get("engine") != "hunyuan":
        return 0.0
    from app.core.generation.engines.hunyuan_runtime import LOW_VRAM_FACTOR  # numpy: only for Hunyuan

    params = request.get("params") or {}
    variant = str(params.get("variant", DEFAULT_VARIANT))
    need = next((v.vram_gb for v in shape_variants() if v.id == variant), 0.0)
    try:
        low_vram = int(params.get("low_vram", 0)) == 1
    except (TypeError, ValueError):
        low_vram = False
    return need * LOW_VRAM_FACTOR if low_vram else need
