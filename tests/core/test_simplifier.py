"""The simplifier in its child process (what the window uses, so the GIL stays free while it
works) gives exactly what it gives in process, and a child that died is replaced."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest
import trimesh

from app.core.base.errors import GenerationError
from app.core.mesh import simplifier
from app.core.mesh.lod import build_lods
from app.core.mesh.types import Mesh


@pytest.fixture(autouse=True)
def _no_child_left() -> Iterator[None]:
    yield
    simplifier._stop_child()


@pytest.fixture
def in_child(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(simplifier, "_use_child", True)
    yield


def _sphere() -> Mesh:
    shape = trimesh.creation.icosphere(subdivisions=4)
    return Mesh(np.asarray(shape.vertices), np.asarray(shape.faces))


def test_the_child_process_simplifies_exactly_as_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = _sphere()
    monkeypatch.setattr(simplifier, "_use_child", False)
    here = build_lods(mesh, [1200, 300])
    monkeypatch.setattr(simplifier, "_use_child", True)
    simplifier.start_child()
    pid = simplifier.child_pid()
    assert pid is not None and pid != os.getpid()
    there = build_lods(mesh, [1200, 300])
    assert simplifier.child_pid() == pid, "one child serves every call"
    for a, b in zip(here, there, strict=True):
        assert np.array_equal(a.mesh.vertices, b.mesh.vertices)
        assert np.array_equal(a.mesh.faces, b.mesh.faces)
        assert a.error_pct == b.error_pct


def test_a_child_that_died_is_replaced_at_the_next_call(in_child: None) -> None:
    simplifier.start_child()
    first = simplifier._child
    assert first is not None
    first.process.kill()
    first.process.join(5)
    _points, faces, collapses = simplifier.simplify_arrays(
        np.asarray(_sphere().vertices), np.asarray(_sphere().faces, dtype=np.int32), 500, False
    )
    assert len(faces) <= 520 and len(collapses) > 0
    assert simplifier.child_pid() not in (None, first.process.pid)


def test_a_failure_in_the_child_is_a_message(in_child: None) -> None:
    with pytest.raises(GenerationError, match="mesh simplification failed: ValueError"):
        simplifier.simplify_arrays(np.zeros((3, 3)), np.zeros((1, 4), dtype=np.int32), 1, False)
