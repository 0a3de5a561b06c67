"""The `sweedle` command as a user runs it: real processes, real files, exit codes, messages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROBOT = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"


def sweedle(*args: object, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge_png(path: Path, side: int = 30000) -> None:
    """A 30000×30000 1-bit PNG header with a token IDAT: refused by size before any decoding."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (1 + side // 8))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _plain_background_subject(size: int = 256) -> np.ndarray:
    """A red disc on a plain light-grey studio background (RGB)."""
    y, x = np.mgrid[0:size, 0:size]
    rgb = np.full((size, size, 3), 200, dtype=np.uint8)
    rgb[np.hypot(x - size / 2, y - size / 2) < size * 0.3] = (180, 30, 30)
    return rgb


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """name → (file, a phrase its error message must contain)."""
    d = tmp_path_factory.mktemp("bad inputs")
    files: dict[str, tuple[Path, str]] = {}
    text = d / "notes.png"
    text.write_text("these are my notes, not a picture\n")
    files["text named png"] = (text, "looks like a text file, not a picture")
    truncated = d / "truncated.png"
    truncated.write_bytes(ROBOT.read_bytes()[: ROBOT.stat().st_size // 2])
    files["truncated png"] = (truncated, "truncated")
    empty = d / "empty.png"
    empty.write_bytes(b"")
    files["0-byte file"] = (empty, "empty")
    huge = d / "huge.png"
    _huge_png(huge)
    files["30000x30000"] = (huge, "30000")
    tiny = d / "tiny.png"
    Image.new("RGBA", (1, 1), (255, 0, 0, 255)).save(tiny)
    files["1x1"] = (tiny, "1×1")
    clear = d / "clear.png"
    Image.new("RGBA", (128, 128), (0, 0, 0, 0)).save(clear)
    files["fully transparent"] = (clear, "transparent")
    missing = d / "missing.png"
    files["missing file"] = (missing, "missing.png")
    return files


@pytest.mark.parametrize(
    "case",
    [
        "text named png",
        "truncated png",
        "0-byte file",
        "30000x30000",
        "1x1",
        "fully transparent",
        "missing file",
    ],
)
def test_bad_input_gives_one_specific_line_and_exit_1(
    case: str, bad_inputs: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    path, phrase = bad_inputs[case]
    proc = sweedle("generate", path, "-o", tmp_path, "-q")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("error: ") and path.name in errors[0] and phrase in errors[0], errors[0]
    assert list(tmp_path.iterdir()) == []


def test_batch_keeps_going_past_bad_images(bad_inputs: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    bad = [bad_inputs[k][0] for k in ("text named png", "0-byte file", "30000x30000")]
    proc = sweedle("generate", bad[0], ROBOT, bad[1], bad[2], "-o", tmp_path, "--lods", "50%", "-q")
    assert proc.returncode == 1
    assert sum(line.startswith("error: ") for line in proc.stderr.splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["robot.glb"]


def test_unusual_but_valid_inputs_work(tmp_path: Path) -> None:
    """CMYK JPEG, 16-bit PNG, and a folder and file name with spaces and non-ASCII letters."""
    folder = tmp_path / "été dossier"
    folder.mkdir()
    rgb = _plain_background_subject()
    cmyk = folder / "ça va cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(cmyk, quality=95)
    grey16 = folder / "grey16.png"
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257).save(grey16)
    accented = folder / "robot à l'été.png"
    shutil.copy(ROBOT, accented)

    out = folder / "sortie"
    proc = sweedle("generate", cmyk, grey16, accented, "-o", out, "--lods", "50%", "-q")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["grey16.glb", "robot à l'été.glb", "ça va cmyk.glb"]


def test_generate_one_file_then_info_prints_the_lod_table(tmp_path: Path) -> None:
    out = tmp_path / "bot.glb"
    proc = sweedle("generate", ROBOT, "-o", out, "--lods", "50%,1000", "--height", "1.8", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "done" and result["output"] == str(out)
    assert [lod["level"] for lod in result["lods"]] == [0, 1, 2]
    assert result["lods"][2]["triangles"] == pytest.approx(1000, abs=20)
    assert result["report"]["watertight"] is True
    assert result["report"]["size"][1] == pytest.approx(1.8, rel=1e-3)

    info = sweedle("info", out)
    assert info.returncode == 0, info.stderr
    assert "watertight yes" in info.stdout
    for lod in result["lods"]:
        assert f"{lod['triangles']:,}" in info.stdout

    info_json = json.loads(sweedle("info", out, "--json").stdout)
    assert info_json["provenance"]["engine"] == "relief"
    assert [lod["triangles"] for lod in info_json["lods"]] == [lod["triangles"] for lod in result["lods"]]


def test_obj_output_writes_obj_mtl_and_texture(tmp_path: Path) -> None:
    proc = sweedle("generate", ROBOT, "-o", tmp_path, "--format", "obj", "--lods", "25%", "-q")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["robot.mtl", "robot.obj", "robot_BaseColor.png", "robot_LOD1.obj"]


def test_usage_errors_exit_2_and_bad_values_exit_1(tmp_path: Path) -> None:
    assert sweedle("generate").returncode == 2
    assert sweedle("generate", ROBOT, "--format", "fbx").returncode == 2
    bad_lod = sweedle("generate", ROBOT, "-o", tmp_path, "--lods", "150%")
    assert bad_lod.returncode == 1 and "150%" in bad_lod.stderr
    bad_param = sweedle("generate", ROBOT, "-o", tmp_path, "-p", "thickness=9")
    assert bad_param.returncode == 1 and "thickness" in bad_param.stderr
    info_bad = sweedle("info", ROBOT)
    assert info_bad.returncode == 1 and "robot.png" in info_bad.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_cancels_cleanly_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "robot.glb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "generate", ROBOT, "-o", out, "-p", "resolution=640"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.rstrip().endswith(": shape"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 130, rest
    assert "cancelled" in rest
    assert list(tmp_path.iterdir()) == []
