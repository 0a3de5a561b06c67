"""The pipeline's cutout: the artist's mask when the request has one, else the requested method;
an unsure automatic cutout stops the job with what to do instead.

A wrong cutout makes a wrong asset, and the artist cannot tell why from the mesh; so in `auto`
mode a cutout whose confidence is under LOW_CONFIDENCE is refused with the ways out (a mask file,
the window's editor, a cutout model, or forcing the classical cutout). The method, confidence
and mask file go into the asset's provenance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.base.cancel import CancelToken
from app.core.base.errors import InputError
from app.core.generation.request import GenerationRequest
from app.core.imaging.loading import LoadedImage
from app.core.imaging.mask import LOW_CONFIDENCE, MaskResult, foreground_mask
from app.core.imaging.user_mask import kept_mask, load_mask
from app.core.paths import models_dir


def subject_mask(request: GenerationRequest, image: LoadedImage, cancel: CancelToken) -> MaskResult:
    """The front picture's mask for `request`."""
    given = mask_file(request)
    if given is not None:
        return load_mask(given, image)
    mask = foreground_mask(image, models_dir(), cancel, request.cutout)
    if request.cutout == "auto" and mask.confidence < LOW_CONFIDENCE:
        raise InputError(unsure_message(image.path.name, mask))
    return mask


def mask_file(request: GenerationRequest) -> Path | None:
    """The request's mask; re-texturing a library version from its own source picture reuses the
    mask the version keeps (the artist fixed that cutout once)."""
    if request.mask_path is not None:
        return Path(request.mask_path)
    if request.mesh_path is not None and request.image_path is not None:
        picture = Path(request.image_path)
        if picture.parent == Path(request.mesh_path).parent:
            return kept_mask(picture)
    return None


def unsure_message(name: str, mask: MaskResult) -> str:
    why = f": {mask.doubt}" if mask.doubt else ""
    return (
        f"{name}: the automatic cutout is unsure (confidence {mask.confidence:.2f}{why}): give a mask "
        "with --mask FILE.png (white where the subject is), fix it in the window's mask editor, install "
        "a cutout model (sweedle models download birefnet-lite), or keep it with --cutout classical"
    )


def cutout_provenance(request: GenerationRequest, mask: MaskResult) -> dict[str, Any]:
    """What the asset records about its cutout (`sweedle library show` prints it)."""
    record: dict[str, Any] = {"mask": mask.method, "mask_confidence": mask.confidence}
    if mask.doubt:
        record["mask_doubt"] = mask.doubt
    given = mask_file(request)
    if given is not None:
        record["mask_file"] = given.name
    return record
