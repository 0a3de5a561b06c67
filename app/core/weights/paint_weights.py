"""Are the Hunyuan Paint weights there and whole? Asked by the window at start-up and by every job
with automatic texturing, so it only looks at files (no torch, no numpy). The store's checks are
imported on the first question: a Relief job, which never asks, does not load them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.weights.catalog import spec

if TYPE_CHECKING:
    from app.core.weights.store import ModelStore

PAINT_MODEL_IDS = ("hunyuan3d-delight-v2-0", "hunyuan3d-paint-v2-0")


def paint_problem(store: ModelStore | None = None) -> str:
    """Why the paint models cannot be used ("" when both are installed and whole)."""
    from app.core.weights.store import ModelStore

    store = store or ModelStore()
    states = [store.state(spec(model_id)) for model_id in PAINT_MODEL_IDS]
    missing = [state.spec.id for state in states if not state.installed]
    if missing:
        them = "them" if len(missing) > 1 else "it"
        return (
            f"Hunyuan Paint needs {' and '.join(missing)}, not installed: open Models… to import or "
            f"download {them} (sweedle models download {missing[0]})"
        )
    return next((state.problem for state in states if state.problem), "")


def paint_installed(store: ModelStore | None = None) -> bool:
    """Both paint models have a folder in the store (whole or not)."""
    from app.core.weights.store import ModelStore

    store = store or ModelStore()
    return all(store.state(spec(model_id)).installed for model_id in PAINT_MODEL_IDS)
