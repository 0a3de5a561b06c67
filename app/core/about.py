"""What the About box and `sweedle --about` say: the version, the licence, where things live, and
the third-party components with their licences.

The component list is generated from the installed distributions: Sweedle's own requirements,
followed recursively, plus the optional ones that are installed (torch, hy3dgen, onnxruntime ...).
Build and test tools are not shipped, so they are not listed. A frozen build has no metadata
for most packages, so build.spec writes the same list into the bundle at build time.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from app.core.base.atomic import atomic_write
from app.core.base.version import VERSION
from app.core.paths import library_dir, models_dir, resources_dir
from app.core.settings import settings_path

DISTRIBUTION = "sweedle"
BUNDLED_LIST = "third_party_licences.json"
_SHIPPED_EXTRAS = ("hunyuan", "cutout")
_EXTRA_INSTALLED_SEPARATELY = ("hy3dgen",)
"""Installed with --no-deps beside the `hunyuan` extra, so no requirement names it."""


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str


@dataclass(frozen=True)
class AboutFacts:
    version: str
    licence: str
    library: Path
    settings: Path
    weights: Path


def about_facts() -> AboutFacts:
    return AboutFacts(
        version=_own_version(),
        licence=_own_licence(),
        library=library_dir(),
        settings=settings_path(),
        weights=models_dir(),
    )


def third_party_components() -> list[Component]:
    """Every shipped third-party distribution with its version and licence, sorted by name."""
    if getattr(sys, "frozen", False):
        return _bundled_list()
    return _installed_components()


def _installed_components() -> list[Component]:
    seen: dict[str, Component] = {}
    pending = [*_requirement_names(DISTRIBUTION, _SHIPPED_EXTRAS), *_EXTRA_INSTALLED_SEPARATELY]
    while pending:
        name = _canonical(pending.pop())
        if name in seen or name == DISTRIBUTION:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = Component(dist.metadata["Name"] or name, dist.version, _licence_of(dist.metadata))
        pending.extend(_requirement_names(name, ()))
    return sorted(seen.values(), key=lambda c: c.name.lower())


def write_bundled_list(folder: Path) -> Path:
    """Write the component list for a frozen build (called by build.spec)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / BUNDLED_LIST
    with atomic_write(target, "w") as f:
        json.dump([asdict(c) for c in _installed_components()], f, indent=1)
    return target


def _bundled_list() -> list[Component]:
    try:
        rows = json.loads((resources_dir() / BUNDLED_LIST).read_text(encoding="utf-8"))
        return [Component(str(r["name"]), str(r["version"]), str(r["licence"])) for r in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _requirement_names(dist_name: str, extras: tuple[str, ...]) -> list[str]:
    """Names of `dist_name`'s requirements that apply without extras, or with one of `extras`."""
    try:
        requirements = metadata.requires(dist_name) or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if extra and extra.group(1) not in extras:
            continue
        if marker.strip() and not extra and not _marker_applies(marker):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if match:
            names.append(match.group(1))
    return names


def _marker_applies(marker: str) -> bool:
    """Platform markers are kept only when they name this platform (a cheap, safe reading)."""
    platform_names = re.findall(r"(?:sys_platform|platform_system)\s*==\s*['\"]([^'\"]+)['\"]", marker)
    if not platform_names:
        return True
    here = {sys.platform, {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}.get(sys.platform, "")}
    return any(name in here for name in platform_names)


def _licence_of(meta: metadata.PackageMetadata) -> str:
    expression = meta.get("License-Expression")
    if expression:
        return expression
    licence_classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    classifiers = [c.split("::")[-1].strip() for c in licence_classifiers]
    classifiers = [c for c in classifiers if c != "OSI Approved"]
    if classifiers:
        return ", ".join(classifiers)
    text = (meta.get("License") or "").strip()
    first_line = text.splitlines()[0] if text else ""
    return first_line[:80] if first_line else "see the package"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _own_version() -> str:
    return VERSION


def _own_licence() -> str:
    try:
        return metadata.metadata(DISTRIBUTION).get("License") or "Proprietary"
    except metadata.PackageNotFoundError:
        return "Proprietary"
