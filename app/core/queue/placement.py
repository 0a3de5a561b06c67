"""How much GPU memory a queued job needs, so it is only placed on a worker whose GPU can hold it.

Relief runs on the CPU (0 GB). A Hunyuan job needs its variant's catalog figure, or about 60 % of
it in low-VRAM mode, which the engine switches to by itself when a GPU is short: so the least a
job can run with is that 60 %. A CPU worker (no VRAM figure) takes any job, slowly.
"""

from __future__ import annotations

from app.core.queue.records import QueuedJob
from app.core.weights.catalog import shape_variants

DEFAULT_VARIANT = "hunyuan3d-2"


def vram_need(job: QueuedJob) -> float:
    """The least GPU memory (GB) the job can run with; 0 for engines that do not use the GPU."""
    request = job.request
    if request.get("engine") != "hunyuan":
        return 0.0
    from app.core.generation.engines.hunyuan_runtime import LOW_VRAM_FACTOR  # numpy: only for Hunyuan

    variant = str((request.get("params") or {}).get("variant", DEFAULT_VARIANT))
    need = next((v.vram_gb for v in shape_variants() if v.id == variant), 0.0)
    return round(need * LOW_VRAM_FACTOR, 1)
