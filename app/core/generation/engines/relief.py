"""Relief: the embedded engine that needs no weights and no GPU.

It inflates the subject's silhouette into a closed, rounded solid: the mask is triangulated with
marching squares, every inside vertex is lifted to a front surface (+Z) and mirrored to a back
surface (-Z) by a height that grows with the distance to the outline (a circular-arc profile, so
the two surfaces meet at the silhouette with a vertical tangent), and the outline vertices are
shared by both surfaces. The result is watertight and manifold by construction, cannot
self-intersect (both sides are height fields over one planar triangulation) and looks like the
picture from the front. The front's texture is the framed picture projected along the view axis;
where the surface turns away from the camera, and on the whole back, it is the subject's own
colours without its features (texture/relief_paint.py), so no face or logo shows mirrored behind
and the sides show no streaks. The `camera` parameter says where the picture was taken from;
the solid is built in that camera's frame and turned so the ground is level (relief_camera.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from app.core.base.provenance import EngineFacts
from app.core.generation.engines.base import Availability, EngineOutput, ParamSpec, resolve_params
from app.core.generation.engines.relief_camera import CAMERAS, DEFAULT_ELEVATION

if TYPE_CHECKING:
    from app.core.base.cancel import CancelToken
    from app.core.base.progress import StepProgress
    from app.core.generation.engines.base import ShapeInput


class ReliefEngine:
    name = "relief"
    label = "Relief (CPU, built in)"
    version = "2"
    params = (
        ParamSpec(
            "thickness",
            float,
            0.6,
            0.02,
            2.0,
            "Depth at the thickest part relative to its width there: 1.0 makes a disc a ball.",
        ),
        ParamSpec(
            "resolution",
            int,
            192,
            32,
            1024,
            "Grid cells across the subject's longest side; a typical LOD0 has 2–3 × cells² triangles.",
        ),
        ParamSpec(
            "smoothing",
            float,
            1.5,
            0.0,
            10.0,
            "Blur of the height field in cells: higher rounds off ridges along the middle.",
        ),
        ParamSpec(
            "camera",
            str,
            "front",
            help="Where the picture was taken from: front (level with the subject), raised (from above, "
            "at the elevation) or top (straight down); the asset is turned so its ground is level.",
            choices=CAMERAS,
        ),
        ParamSpec(
            "elevation",
            float,
            DEFAULT_ELEVATION,
            5.0,
            85.0,
            "Degrees above level of a raised camera (camera=raised only).",
        ),
    )

    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "Turbo": {"resolution": 96, "smoothing": 1.0},
        "Fast": {"resolution": 144, "smoothing": 1.5},
        "Standard": {"resolution": 192, "smoothing": 1.5},
    }

    views = ("front",)
    note = ""

    def availability(self) -> Availability:
        return Availability(True)

    def text_availability(self) -> Availability:
        return Availability(
            False,
            "the Relief engine cannot make an asset from a prompt alone (it works from pictures only): "
            "give it a picture, or choose Hunyuan3D-2 with the HunyuanDiT text-to-image model installed",
        )

    def unload(self) -> None:
        """Relief keeps nothing loaded."""

    @property
    def loaded_variant(self) -> str | None:
        return None

    def generate(
        self,
        shape_input: ShapeInput,
        params: dict[str, Any],
        progress: StepProgress,
        cancel: CancelToken,
    ) -> EngineOutput:
        # The kernels (numpy, scipy) load on first use, not when the window lists the engines.
        from app.core.generation.engines.relief_shape import inflate

        # Defaults for what a direct caller leaves out (the pipeline passes them all, checked).
        mesh, material = inflate(shape_input.front, resolve_params(self.params, params), progress, cancel)
        return EngineOutput(
            mesh=mesh, material=material, model_id=f"relief-v{self.version}", facts=EngineFacts(device="cpu")
        )
