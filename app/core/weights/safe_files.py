"""Reading files from a model folder someone else made: regular files only, bounded, links kept inside.

A shared folder can hold a pipe where a config should be (a read would wait forever), a link to a
file elsewhere on the disk, a 4 GB "config", YAML that expands exponentially through anchors,
nests deeper than the parser's recursion, or carries `!!python/...` tags. Everything here refuses
those with a message before any parser or library sees the file.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app.core.base.errors import GenerationError

CONFIG_LIMIT = 1 << 20
"""Largest config file read (bytes); published configs are a few kilobytes."""
MAX_DEPTH = 12
"""Deepest nesting a config may have; hy3dgen's deepest is 6."""
MAX_ENTRIES = 20_000
"""Most files and folders a model folder may hold."""
_READ_FLAGS = os.O_RDONLY | sum(getattr(os, flag, 0) for flag in ("O_NONBLOCK", "O_CLOEXEC", "O_BINARY"))
"""Non-blocking, so opening a pipe returns at once (and is then refused); binary on Windows."""


@dataclass(frozen=True)
class Where:
    """Which model a check is about and what the user can do, for one-line messages."""

    label: str
    fix: str

    def refuse(self, path: Path | str, reason: str) -> GenerationError:
        return GenerationError(f"{self.label}: {path} {reason}: {self.fix}")


def show(value: Any) -> str:
    """A value from a file, quoted and escaped for a one-line message, however long or odd it is."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@contextmanager
def open_regular(path: Path, where: Where) -> Iterator[tuple[IO[bytes], int]]:
    """The open file and its size; refuses anything that is not a regular file without blocking."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        raise where.refuse(path, "is missing") from None
    except OSError as exc:
        raise where.refuse(path, f"cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise where.refuse(path, "is not a regular file (a pipe, socket, device or folder)")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            yield fh, info.st_size
    finally:
        os.close(fd)


def read_bounded(path: Path, where: Where, limit: int = CONFIG_LIMIT) -> bytes:
    with open_regular(path, where) as (fh, size):
        if size > limit:
            raise where.refuse(
                path, f"is {size:,} bytes, far more than a model configuration ({limit:,} at most)"
            )
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise where.refuse(path, f"is larger than a model configuration ({limit:,} bytes at most)")
    return data


def load_yaml(path: Path, where: Where) -> Any:
    """Plain YAML data (maps, lists, scalars); tags, anchors and deep nesting are refused first.
    PyYAML is imported here, when a model's config is read, not by the window's start."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: about 30 times faster
    data = read_bounded(path, where)
    try:
        text = data.decode("utf-8")
        depth = 0
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise where.refuse(
                    path, "uses YAML anchors or aliases, which a model configuration never has"
                )
            tag = getattr(event, "tag", None)
            if tag is not None:
                raise where.refuse(
                    path, f"uses the YAML tag {show(tag)}, which a model configuration never has"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise where.refuse(
                        path, f"nests deeper than {MAX_DEPTH} levels, unlike any model configuration"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=loader)
    except UnicodeDecodeError:
        raise where.refuse(path, "is not valid YAML (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise where.refuse(path, f"is not valid YAML ({problem}{at})") from None


def load_json(path: Path, where: Where) -> tuple[Any, bytes]:
    """The parsed JSON and the exact bytes it came from (what a staged copy must hold)."""
    data = read_bounded(path, where)
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        raise where.refuse(path, "is not valid JSON") from None
    if _depth(parsed) > MAX_DEPTH:
        raise where.refuse(path, f"nests deeper than {MAX_DEPTH} levels, unlike any model configuration")
    return parsed, data


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


@dataclass(frozen=True)
class Listing:
    root: Path
    """The folder, resolved (a linked import points elsewhere)."""
    files: tuple[Path, ...]
    """Regular files, and links to regular files inside the allowed places, as paths in the folder."""
    size_bytes: int


def scan_folder(folder: Path, where: Where) -> Listing:
    """Every file of the folder; a link leading outside it, a pipe or device, or too many files is refused.

    A Hugging Face hub cache keeps a snapshot's files as links into the repo's `blobs` folder, so
    for a folder inside `models--*/snapshots/` that folder is allowed too.
    """
    root = folder.resolve()
    allowed = [root, *(p.parent / "blobs" for p in root.parents if _is_hub_snapshots(p))]
    files: list[Path] = []
    size = 0
    count = 0
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            raise where.refuse(current, f"cannot be listed ({exc.strerror})") from None
        for entry in entries:
            count += 1
            if count > MAX_ENTRIES:
                raise where.refuse(root, f"holds more than {MAX_ENTRIES:,} files, unlike any model folder")
            path = Path(entry.path)
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                target = Path(os.path.realpath(path))
                if not any(target == place or target.is_relative_to(place) for place in allowed):
                    raise where.refuse(
                        path,
                        f"is a link to {target}, outside the model folder; a model is read only from its "
                        "folder",
                    )
                try:
                    info = os.stat(target)
                except OSError:
                    raise where.refuse(path, "is a broken link") from None
                if stat.S_ISDIR(info.st_mode):
                    continue  # inside the folder: its files are listed where they are
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)
            elif stat.S_ISREG(info.st_mode):
                files.append(path)
                size += info.st_size
            else:
                raise where.refuse(path, "is not a regular file (a pipe, socket or device)")
    return Listing(root, tuple(sorted(files)), size)


def _is_hub_snapshots(path: Path) -> bool:
    return path.name == "snapshots" and path.parent.name.startswith("models--")
