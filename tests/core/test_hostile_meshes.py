"""Hostile meshes: every mesh file a person (or an attacker) can hand Sweedle ends in one clear
line naming the file, through the reader, `sweedle info` and `sweedle library import`, with no
traceback and nothing written in the library.

The corpus is made at test time: NaN and infinite positions in each format, absurd declared
counts (negative, fractional, infinite, a 4 GB accessor, billions of STL/PLY records), deeply
nested glTF JSON, out-of-range indices, truncated files, garbage with a mesh suffix, a FIFO, a
device, a folder, an OBJ face index of 10^12, too many mesh parts, instancing that multiplies a
mesh past the triangle limit. Then: the limit can be raised, the vectorised GLB merge gives the
same mesh as one primitive at a time would, and a long import reports progress and cancels.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mesh_corpus import (
    CORPUS,
    TRIANGLE,
    ascii_ply,
    ascii_stl,
    binary_ply,
    binary_stl,
    glb_file,
    gltf_text,
    make_corpus,
    triangle_doc,
    triangle_glb,
)

from app.cli.main import main
from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, InputError
from app.core.base.progress import Progress
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_reader import read_glb
from app.core.formats.mesh_files import read_mesh_file
from app.core.formats.mesh_limits import MeshLimits
from app.core.library.importer import import_mesh
from app.core.library.records import AssetQuery, AssetSummary
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.core.mesh.types import Lod, LodSet, Mesh
from app.core.paths import library_dir
from app.core.settings import save_section


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return make_corpus(tmp_path_factory.mktemp("hostile-meshes"))


CASES = [*CORPUS, "pipe.obj", "zero.stl", "folder.glb"]


# --- every case, three ways ------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_the_reader_refuses_with_a_message_naming_the_file(
    corpus: dict[str, tuple[Path, str]], name: str
) -> None:
    path, message = corpus[name]
    with pytest.raises(InputError, match=message) as caught:
        read_mesh_file(path)
    text = str(caught.value)
    assert name in text and "\n" not in text


def library_assets() -> list[AssetSummary]:
    """The assets of the user's library; when there are none, its asset folder is empty too."""
    library, _ = open_library()
    try:
        assets = library.list_assets(AssetQuery())
    finally:
        library.close()
    folder = library_dir() / "assets"
    assert assets or not folder.exists() or not any(folder.iterdir())
    return assets


@contextmanager
def opened_library() -> Iterator[Library]:
    library, _ = open_library()
    try:
        yield library
    finally:
        library.close()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(args)
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("name", CASES)
def test_info_prints_one_line_and_exits_1(
    corpus: dict[str, tuple[Path, str]], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, message = corpus[name]
    code, lines = run_cli(["info", str(path)], capsys)
    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and name in lines[0] and "Traceback" not in lines[0]
    assert re.search(message, lines[0])


@pytest.mark.parametrize("name", CASES)
def test_library_import_prints_one_line_and_writes_nothing(
    corpus: dict[str, tuple[Path, str]], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = corpus[name]
    code, lines = run_cli(["library", "import", str(path)], capsys)
    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and name in lines[0] and "Traceback" not in lines[0]
    assert library_assets() == []


def test_a_good_file_of_each_format_still_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the same builders with sound numbers give meshes the reader accepts."""
    good = {
        "good.glb": triangle_glb(indices=[0, 1, 2]),
        "good.obj": b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n",
        "good.stl": binary_stl([TRIANGLE]),
        "good_ascii.stl": ascii_stl("0 0 0"),
        "good.ply": ascii_ply("0 0 0"),
        "good_binary.ply": binary_ply(TRIANGLE),
        "good.gltf": gltf_text(*triangle_doc(indices=[0, 1, 2])),
    }
    for name, content in good.items():
        (tmp_path / name).write_bytes(content)
        lodset = read_mesh_file(tmp_path / name)
        assert lodset.lod0.triangle_count == 1, name
        assert np.allclose(np.sort(lodset.lod0.vertices, axis=0), np.sort(np.array(TRIANGLE), axis=0)), name
        assert main(["info", str(tmp_path / name)]) == 0, capsys.readouterr().err
    assert main(["library", "import", str(tmp_path / "good.obj")]) == 0
    assert len(library_assets()) == 1


# --- limits ---------------------------------------------------------------------------------


def soup_stl(path: Path, triangles: int) -> Path:
    """A binary STL triangle soup of `triangles` small triangles on a grid."""
    rng = np.random.default_rng(4)
    base = np.repeat(rng.random((triangles, 1, 3)) * 10, 3, axis=1)
    path.write_bytes(binary_stl(base + np.array(TRIANGLE) * 0.01))
    return path


def test_the_triangle_limit_names_itself_and_can_be_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    soup = soup_stl(tmp_path / "soup.stl", 2_000)
    code, lines = run_cli(["library", "import", "--max-triangles", "1000", str(soup)], capsys)
    assert code == 1 and len(lines) == 1
    assert "soup.stl has 2,000 triangles, more than the limit of 1,000" in lines[0]
    assert "--max-triangles 2000" in lines[0] and '"max_triangles" in the "import" section' in lines[0]

    save_section("import", MeshLimits(max_triangles=1000))  # the setting, as the window uses it
    with pytest.raises(InputError, match="more than the limit of 1,000"):
        read_mesh_file(soup)
    code, lines = run_cli(["info", str(soup)], capsys)
    assert code == 1 and "limit of 1,000" in lines[0]

    code, lines = run_cli(["library", "import", "--max-triangles", "5000", str(soup)], capsys)
    assert code == 0, lines
    assert library_assets()[0].triangles == 2_000
    save_section("import", MeshLimits(max_triangles=-3))  # a nonsense setting falls back to the default
    assert read_mesh_file(soup).lod0.triangle_count == 2_000


def test_max_triangles_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["info", "--max-triangles", "-4", "x.glb"])
    assert exited.value.code == 2
    assert "out of range" in capsys.readouterr().err


# --- many mesh parts, merged at once ----------------------------------------------------------


def parts_glb(parts: int) -> tuple[bytes, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """A GLB with `parts` nodes, each with its own transform (some mirrored) and primitive:
    uint16 or uint32 indices or none, interleaved or packed positions. Returns the file and,
    per part, (positions, triangles, 4×4 world matrix) to merge one at a time for comparison."""
    rng = np.random.default_rng(11)
    chunks: list[bytes] = []
    views: list[dict[str, Any]] = []
    accessors: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    meshes: list[dict[str, Any]] = []
    expected = []
    offset = 0

    def add(data: bytes, **view: Any) -> int:
        nonlocal offset
        pad = -offset % 4
        chunks.append(b"\0" * pad + data)
        offset += pad
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(data), **view})
        offset += len(data)
        return len(views) - 1

    for i in range(parts):
        vertices = rng.random((5, 3)).astype(np.float32)
        triangles = np.array([[0, 1, 2], [0, 2, 3], [1, 3, 4]], dtype=np.int64)
        primitive: dict[str, Any] = {"attributes": {}}
        if i % 3 == 0:  # interleaved with a padding float: stride 16
            padded = np.hstack([vertices, np.zeros((5, 1), np.float32)])
            view = add(padded.tobytes(), byteStride=16)
        else:
            view = add(vertices.tobytes())
        accessors.append({"bufferView": view, "componentType": 5126, "count": 5, "type": "VEC3"})
        primitive["attributes"]["POSITION"] = len(accessors) - 1
        if i % 3 == 1:
            index_view = add(triangles.astype(np.uint16).tobytes())
            accessors.append({"bufferView": index_view, "componentType": 5123, "count": 9, "type": "SCALAR"})
            primitive["indices"] = len(accessors) - 1
        elif i % 3 == 2:
            index_view = add(triangles.astype(np.uint32).tobytes())
            accessors.append({"bufferView": index_view, "componentType": 5125, "count": 9, "type": "SCALAR"})
            primitive["indices"] = len(accessors) - 1
        else:  # no indices: consecutive corners, the last two vertices left over
            triangles = np.array([[0, 1, 2]], dtype=np.int64)
        meshes.append({"primitives": [primitive]})
        scale = [-1.0, 1.0, 1.0] if i % 7 == 0 else [1.0, 2.0, 1.0]
        node = {"mesh": i, "translation": [float(i), 0.5, -1.0], "scale": scale}
        nodes.append(node)
        world = np.eye(4)
        world[:3, :3] = np.diag(scale)
        world[:3, 3] = node["translation"]
        expected.append((vertices, triangles, world))
    binary = b"".join(chunks)
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": list(range(parts))}],
        "nodes": nodes,
        "meshes": meshes,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    return glb_file(doc, binary), expected


def test_thousands_of_parts_merge_like_one_at_a_time(tmp_path: Path) -> None:
    data, parts = parts_glb(3_000)
    path = tmp_path / "parts.glb"
    path.write_bytes(data)
    mesh = read_glb(path).lod0
    vertices, faces, offset = [], [], 0
    for positions, triangles, world in parts:
        placed = positions.astype(np.float64) @ world[:3, :3].T + world[:3, 3]
        if np.linalg.det(world[:3, :3]) < 0:
            triangles = triangles[:, ::-1]
        vertices.append(placed)
        faces.append(triangles + offset)
        offset += len(positions)
    assert np.allclose(mesh.vertices, np.concatenate(vertices), atol=1e-5)
    assert np.array_equal(mesh.faces, np.concatenate(faces))


def test_a_misaligned_accessor_is_still_read(tmp_path: Path) -> None:
    """glTF wants accessors aligned to their component size; some exporters do not bother."""
    doc, binary = triangle_doc()
    binary = b"\0\0" + binary
    doc["bufferViews"][0]["byteOffset"] = 2
    doc["buffers"][0]["byteLength"] = len(binary)
    path = tmp_path / "misaligned.glb"
    path.write_bytes(glb_file(doc, binary))
    assert np.array_equal(read_glb(path).lod0.vertices, np.array(TRIANGLE, dtype=np.float32))


# --- progress and cancel ----------------------------------------------------------------------


def test_an_import_reports_its_stages_in_order(tmp_path: Path) -> None:
    soup = soup_stl(tmp_path / "soup.stl", 3_000)
    reports: list[Progress] = []
    with opened_library() as library:
        asset = import_mesh(library, soup, on_progress=reports.append)
    stages = list(dict.fromkeys(p.stage for p in reports))
    assert stages == ["read", "LODs", "thumbnail", "save"]
    overall = [p.overall for p in reports]
    assert overall == sorted(overall) and overall[-1] == 1.0
    assert any(p.stage == "LODs" and 0 < p.fraction < 1 for p in reports)
    assert asset.summary.triangles == 3_000


@pytest.mark.parametrize("stage", ["read", "LODs", "thumbnail", "save"])
def test_a_cancelled_import_saves_nothing(tmp_path: Path, stage: str) -> None:
    soup = soup_stl(tmp_path / "soup.stl", 3_000)
    cancel = CancelToken()

    def cancel_at(progress: Progress) -> None:
        if progress.stage == stage:
            cancel.cancel()

    with opened_library() as library, pytest.raises(Cancelled):
        import_mesh(library, soup, on_progress=cancel_at, cancel=cancel)
    assert library_assets() == []


def test_ctrl_c_cancels_a_cli_import_and_stops_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGINT arrives while the LOD chain is built: exit 130, nothing imported."""
    import app.core.library.importer as importer

    real = importer.build_lods

    def interrupted(*args: Any, **kwargs: Any) -> list[Lod]:
        signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "build_lods", interrupted)
    first, second = soup_stl(tmp_path / "first.stl", 2_000), soup_stl(tmp_path / "second.stl", 2_000)
    before = signal.getsignal(signal.SIGINT)
    code, lines = run_cli(["library", "import", str(first), str(second)], capsys)
    assert code == 130
    assert lines[-1] == "cancelled [1/2] first.stl: nothing of it was imported"
    assert library_assets() == []
    assert signal.getsignal(signal.SIGINT) is before


def test_the_viewport_guard_refuses_a_mesh_made_with_nan() -> None:
    """Meshes that do not come from a file (an engine's result) meet the same check."""
    from app.core.formats.mesh_checks import check_lodset

    mesh = Mesh(np.array(TRIANGLE), np.array([[0, 1, 2]]))
    check_lodset("fine", LodSet("fine", [Lod(0, mesh)]))
    broken = mesh.copy()
    broken.vertices[1, 2] = np.nan
    with pytest.raises(InputError, match=r"made-up is damaged: 1 vertex coordinate"):
        check_lodset("made-up", LodSet("made-up", [Lod(0, mesh), Lod(1, broken)]))


def test_a_sweedle_glb_with_lods_and_provenance_round_trips(tmp_path: Path) -> None:
    """The strict reader still reads what Sweedle writes, LODs and provenance included."""
    mesh = Mesh(np.array([*TRIANGLE, [1.0, 1.0, 0.0]]), np.array([[0, 1, 2], [1, 3, 2]]))
    lodset = LodSet(
        "tile", [Lod(0, mesh), Lod(1, mesh.copy(), 0.5)], provenance={"engine": "relief", "seed": 3}
    )
    path = tmp_path / "tile.glb"
    path.write_bytes(glb_bytes(lodset))
    back = read_glb(path, MeshLimits(max_triangles=2))
    assert [lod.mesh.triangle_count for lod in back.lods] == [2, 2]
    assert back.lods[1].error_pct == 0.5 and back.provenance["seed"] == 3
