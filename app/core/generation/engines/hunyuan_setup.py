"""What this install needs before it can run Hunyuan3D-2, found without importing torch.

The engine's disabled reason, the window's tooltip and the Models dialog all quote the same
install steps (the ones CI runs), and the dialog says whether this install can run a model at all
before it offers a multi-gigabyte download. The check only looks at files: `find_spec` for the
packages, torch's `version.py` for a CUDA build, and the driver's files for an NVIDIA GPU.
"""

from __future__ import annotations

import ast
import ctypes.util
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

REQUIRED_PACKAGES = ("torch", "hy3dgen", "transformers", "diffusers")
INSTALL_STEPS = (
    "pip install torch==2.13.0 torchvision==0.28.0",
    "pip install --no-deps hy3dgen==2.0.2",
    "pip install -e '.[hunyuan]'",
)
"""Run with the venv's pip, the last one in the Sweedle folder (hy3dgen's own requirements pull a web
server stack, so it is installed without them and the `hunyuan` extra adds what it really needs)."""


def install_steps_line() -> str:
    """The steps on one line, for a disabled reason or an error message."""
    return "install them with: " + ", then ".join(INSTALL_STEPS) + " (in the Sweedle folder; see README)"


def missing_packages() -> list[str]:
    return [name for name in REQUIRED_PACKAGES if find_spec(name) is None]


@dataclass(frozen=True)
class RuntimeCheck:
    missing: tuple[str, ...]
    """Python packages Hunyuan needs that are not installed."""
    torch_cuda: str | None
    """The CUDA version torch was built for; None for a CPU build or no torch."""
    nvidia_driver: bool

    @property
    def can_run(self) -> bool:
        return not self.missing

    @property
    def gpu(self) -> bool:
        return self.can_run and self.torch_cuda is not None and self.nvidia_driver

    def summary(self) -> str:
        """One paragraph for the Models dialog: can a downloaded model run here, and how fast."""
        if self.missing:
            return (
                f"This install cannot run Hunyuan3D-2 models yet: {', '.join(self.missing)} "
                f"{'is' if len(self.missing) == 1 else 'are'} not installed. Install them before "
                "downloading a model: " + "  ·  ".join(INSTALL_STEPS)
            )
        if self.gpu:
            return f"This install can run Hunyuan3D-2 on the NVIDIA GPU (PyTorch for CUDA {self.torch_cuda})."
        why = "PyTorch here is a CPU-only build" if self.torch_cuda is None else "no NVIDIA driver was found"
        return (
            f"No CUDA: {why}, so Hunyuan3D-2 would run on the CPU in float32, which takes minutes to "
            "tens of minutes per asset. A CUDA GPU with a CUDA build of PyTorch takes seconds."
        )


def runtime_check() -> RuntimeCheck:
    return RuntimeCheck(tuple(missing_packages()), _torch_cuda_version(), _nvidia_driver_present())


def _torch_cuda_version() -> str | None:
    """torch.version.cuda read from the file, without importing torch (seconds, and memory)."""
    spec = find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    version_file = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        tree = ast.parse(version_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "cuda" and isinstance(value, ast.Constant):
            return str(value.value) if value.value else None
    return None


def _nvidia_driver_present() -> bool:
    if sys.platform.startswith("linux"):
        return Path("/proc/driver/nvidia/version").is_file()
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return False
