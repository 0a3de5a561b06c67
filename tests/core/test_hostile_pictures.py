"""Hostile pictures: every file a person (or an attacker) can hand Sweedle as a picture or as a
mesh's texture ends in one clear line naming the file, with no process started and nothing
written; PostScript never reaches Ghostscript, whatever the file is called.

The corpus is made at test time. Ghostscript must be installed (Debian: `ghostscript`), so the
EPS cases are real: a control test shows Pillow itself would run it on the same file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, features
from process_guard import watching

from app.core.base.errors import InputError
from app.core.formats.glb_reader import read_glb
from app.core.formats.mesh_files import read_mesh_file
from app.core.imaging import ALLOWED_FORMATS, MAX_PIXELS, load_image
from app.core.imaging.pictures import FORMATS_HINT, pillow_limited_to_allowed_formats

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "images" / "tsr_robot.png"
GHOSTSCRIPT_HINT = "Ghostscript must be installed for the EPS tests to mean anything (Debian: ghostscript)"


# --- the corpus ----------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width`×`height` 1-bit grey but holds two rows: only a decoder that
    believes the header would allocate for it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = b"\0" * ((width + 7) // 8 + 1) * 2
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def eps_bytes() -> bytes:
    """A real EPS file (Pillow writes PostScript without Ghostscript; reading it needs Ghostscript)."""
    from io import BytesIO

    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="EPS")
    return out.getvalue()


def _dos_eps() -> bytes:
    """The binary "DOS EPS" wrapper around PostScript, which Pillow's EPS plugin also accepts."""
    postscript = eps_bytes()
    header = struct.pack("<IIIIIIIH", 0xC6D3D0C5, 30, len(postscript), 0, 0, 0, 0, 0xFFFF)
    return header + postscript


def _saved(fmt: str, **options: Any) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format=fmt, **options)
    return out.getvalue()


def _psd() -> bytes:
    """A minimal valid Photoshop file: 32×32 RGB, no layers, raw planes (Pillow cannot write PSD)."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 32, 32, 8, 3)
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + bytes(3 * 32 * 32)


def _svg() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<rect width="64" height="64" fill="red"/></svg>\n'
    )


def gif_with_many_frames(frames: int) -> bytes:
    """A 64×64 GIF of `frames` one-pixel frames (~23 bytes each): decoding all of them, or even
    counting them, is work a loader that wants the first frame must not do."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 64, 64, 0x80, 0, 0) + b"\xc8\x1e\x1e\x1e\x1e\xc8"
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 10 ms
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW: clear, pixel 0, end
    )
    return screen + frame * frames + b"\x3b"


def tiff_with_absurd_tag() -> bytes:
    """A valid 32×32 grey TIFF whose ImageDescription claims 2 GB of text far past the file's end."""
    entries = [
        (256, 3, 1, 32),
        (257, 3, 1, 32),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (270, 2, 0x7FFFFFF0, 0xFFFFFF00),  # ASCII, absurd count and offset
        (273, 4, 1, 0),  # strip offset, filled in below
        (277, 3, 1, 1),
        (278, 3, 1, 32),
        (279, 4, 1, 32 * 32),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + bytes(range(256)) * 4


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


RefusedCase = Callable[[Path], tuple[Path, str]]


def _refused_cases() -> dict[str, RefusedCase]:
    """Each case makes its file in a folder and gives the phrase its message must contain."""
    eps_line = f"is an EPS (PostScript) file; {FORMATS_HINT}"
    return {
        "eps-named-png": lambda d: (_write(d / "holiday.png", eps_bytes()), eps_line),
        "eps": lambda d: (_write(d / "drawing.eps", eps_bytes()), eps_line),
        "dos-eps-named-jpg": lambda d: (_write(d / "scan.jpg", _dos_eps()), eps_line),
        "pdf-named-png": lambda d: (
            _write(d / "page.png", _saved("PDF")),
            f"is a PDF document; {FORMATS_HINT}",
        ),
        "psd": lambda d: (_write(d / "layers.psd", _psd()), f"is a Photoshop (PSD) file; {FORMATS_HINT}"),
        "svg-named-png": lambda d: (_write(d / "logo.png", _svg()), f"is an SVG drawing; {FORMATS_HINT}"),
        "ico": lambda d: (_write(d / "icon.ico", _saved("ICO")), f"is an ICO icon; {FORMATS_HINT}"),
        "tga": lambda d: (_write(d / "texture.tga", _saved("TGA")), f"is a TGA picture; {FORMATS_HINT}"),
        "jpeg2000": lambda d: (
            _write(d / "photo.jp2", _saved("JPEG2000")),
            f"is a JPEG 2000 picture; {FORMATS_HINT}",
        ),
        "truncated-png": lambda d: (
            _write(d / "cut.png", SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 3]),
            "is truncated or corrupt",
        ),
        "png-bomb": lambda d: (
            _write(d / "bomb.png", png_header_only(100_000, 100_000)),
            "is 100000×100000 (10000 megapixels); the limit is 64 megapixels: scale it down first",
        ),
        "empty": lambda d: (_write(d / "empty.png", b""), "is empty (0 bytes)"),
        "folder": lambda d: (_folder(d / "album.png"), "is a folder, not an image"),
        "fifo": lambda d: (_fifo(d / "pipe.png"), "is a named pipe (FIFO), not a picture file"),
        "device": lambda d: (_link(d / "zero.png", Path("/dev/zero")), "is a device, not a picture file"),
        "text-named-jpg": lambda d: (
            _write(d / "notes.jpg", b"shopping list:\n- milk\n- eggs\n"),
            f"looks like a text file, not a picture; {FORMATS_HINT}",
        ),
        "noise": lambda d: (
            _write(d / "noise.webp", bytes(range(256)) * 8),
            f"is not a picture Sweedle can read; {FORMATS_HINT}",
        ),
    }


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _link(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


REFUSED = sorted(_refused_cases())


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `folder` with its size and modification time (lstat: links not followed)."""
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def quiet_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Python's temp folder for the test (Ghostscript's scratch files would land there)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


# --- the control: Pillow alone would run Ghostscript ----------------------------------------


def test_without_the_allow_list_pillow_runs_ghostscript_on_the_eps_named_png(tmp_path: Path) -> None:
    assert EpsImagePlugin.has_ghostscript(), GHOSTSCRIPT_HINT
    path = _write(tmp_path / "holiday.png", eps_bytes())
    with watching(forbid_processes=False) as seen, Image.open(path) as im:
        assert im.format == "EPS"
        im.load()
    assert any("'gs'" in p or "/gs'" in p for p in seen.processes), seen.processes


@pytest.mark.parametrize(
    ("case", "pillow_format"),
    [("psd", "PSD"), ("ico", "ICO"), ("tga", "TGA"), ("jpeg2000", "JPEG2000"), ("dos-eps-named-jpg", "EPS")],
)
def test_pillow_alone_would_decode_the_refused_formats(case: str, pillow_format: str, tmp_path: Path) -> None:
    """So their refusal below comes from the allow-list, not from a file Pillow could not read."""
    if case == "jpeg2000":
        assert features.check("jpg_2000"), "this Pillow build lacks OpenJPEG"
    path, _ = _refused_cases()[case](tmp_path)
    with Image.open(path) as im:
        assert im.format == pillow_format


# --- every hostile picture: one clear line, no process, nothing written --------------------


@pytest.mark.parametrize("case", REFUSED)
def test_hostile_picture_is_refused_in_one_line_without_a_process(
    case: str, tmp_path: Path, quiet_tempdir: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path, phrase = _refused_cases()[case](corpus)
    before = _snapshot(tmp_path)
    with watching(forbid_processes=True) as seen, pytest.raises(InputError) as info:
        load_image(path)
    message = str(info.value)
    assert message.startswith(f"{path.name} ") and phrase in message, message
    assert "\n" not in message and str(corpus) not in message
    assert seen.processes == [] and seen.writes == []
    assert _snapshot(tmp_path) == before


def test_the_eps_message_is_the_documented_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "holiday.png", eps_bytes())
    with pytest.raises(InputError) as info:
        load_image(path)
    assert str(info.value) == (
        "holiday.png is an EPS (PostScript) file; Sweedle opens PNG, JPEG, WebP, BMP, TIFF and GIF pictures"
    )


def test_a_gif_with_ten_thousand_frames_loads_its_first_frame_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "flipbook.gif", gif_with_many_frames(10_000))
    with watching(forbid_processes=True) as seen:
        image = load_image(path)
    assert image.source_format == "GIF" and image.rgba.shape == (64, 64, 4)
    assert tuple(image.rgba[0, 0]) == (200, 30, 30, 255)
    assert seen.processes == [] and seen.writes == []


def test_a_tiff_with_an_absurd_tag_loads_its_pixels_and_skips_the_tag(tmp_path: Path) -> None:
    path = _write(tmp_path / "scan.tif", tiff_with_absurd_tag())
    with watching(forbid_processes=True) as seen:
        image = load_image(path)
    assert image.source_format == "TIFF" and image.rgba.shape == (32, 32, 4)
    assert image.rgba[0, :4, 0].tolist() == [0, 1, 2, 3]
    assert seen.processes == [] and seen.writes == []


def test_a_tiff_declaring_a_huge_size_is_refused_from_its_header(tmp_path: Path) -> None:
    data = bytearray(tiff_with_absurd_tag())
    data[10 + 8 : 10 + 10] = struct.pack("<H", 60000)  # ImageWidth
    data[22 + 8 : 22 + 10] = struct.pack("<H", 60000)  # ImageLength
    path = _write(tmp_path / "poster.tif", bytes(data))
    with pytest.raises(InputError, match=r"^poster\.tif is 60000×60000 \(3600 megapixels\); the limit is 64"):
        load_image(path)


def test_the_pixel_limit_is_one_rule_for_pictures_and_textures() -> None:
    from app.core.imaging import loading, textures

    assert MAX_PIXELS == 64_000_000 and loading.check_pixels is textures.check_pixels


# --- Pillow never even tries a format outside the list ----------------------------------------


@pytest.fixture
def tried_formats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Pillow plugin outside the allow-list, wrapped to record being offered a file."""
    Image.init()
    tried: list[str] = []

    def recording(fn: Callable[..., Any], fmt: str) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            tried.append(fmt)
            return fn(*args)

        return wrapper

    for fmt, (factory, accept) in list(Image.OPEN.items()):
        if fmt not in ALLOWED_FORMATS:
            wrapped_accept = recording(accept, fmt) if accept is not None else None
            monkeypatch.setitem(Image.OPEN, fmt, (recording(factory, fmt), wrapped_accept))
    return tried


def test_no_pillow_plugin_outside_the_allow_list_is_tried(tried_formats: list[str], tmp_path: Path) -> None:
    for case in REFUSED:
        folder = tmp_path / case
        folder.mkdir()
        path, _ = _refused_cases()[case](folder)
        with pytest.raises(InputError):
            load_image(path)
    for obj in (
        _obj_with_texture(tmp_path / "eps-obj", eps_bytes()),
        _gltf_with_data_uri(tmp_path, eps_bytes()),
    ):
        with contextlib.suppress(InputError):  # what matters is which decoders were offered the file
            read_mesh_file(obj)
    assert tried_formats == []
    with Image.open(tmp_path / "eps" / "drawing.eps") as im:  # control: the recorder sees Pillow's own search
        assert im.format == "EPS"
    assert "EPS" in tried_formats


def test_the_restriction_for_other_decoders_ends_with_its_last_user() -> None:
    Image.init()
    full = list(Image.ID)
    with pillow_limited_to_allowed_formats():
        with pillow_limited_to_allowed_formats():
            assert set(Image.ID) == set(ALLOWED_FORMATS)
        assert set(Image.ID) == set(ALLOWED_FORMATS)
    assert full == Image.ID


# --- textures inside and beside meshes ----------------------------------------------------


def glb_with_texture(image: bytes) -> bytes:
    """One textured triangle whose embedded picture is `image`, whatever it holds."""
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32).tobytes()
    uvs = np.array([[0, 0], [1, 0], [0, 1]], np.float32).tobytes()
    padded = image + b"\0" * (-len(image) % 4)
    binary = positions + uvs + padded
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "tri"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "material": 0}]}],
        "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        "textures": [{"source": 0}],
        "images": [{"bufferView": 2, "mimeType": "image/png"}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 3,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            },
            {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC2"},
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 36},
            {"buffer": 0, "byteOffset": 36, "byteLength": 24},
            {"buffer": 0, "byteOffset": 60, "byteLength": len(image)},
        ],
        "buffers": [{"byteLength": len(binary)}],
    }
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return (
        b"glTF"
        + struct.pack("<II", 2, total)
        + struct.pack("<I", len(text))
        + b"JSON"
        + text
        + struct.pack("<I", len(binary))
        + b"BIN\0"
        + binary
    )


def _obj_with_texture(folder: Path, texture: bytes | None, reference: str = "wood.png") -> Path:
    """chair.obj (a textured quad) with chair.mtl naming `reference`; `texture` is written there."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chair.mtl").write_text(f"newmtl wood\nKd 1 1 1\nmap_Kd {reference}\n")
    if texture is not None:
        (folder / reference).write_bytes(texture)
    obj = folder / "chair.obj"
    obj.write_text(
        "mtllib chair.mtl\n"
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        "usemtl wood\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"
    )
    return obj


def _gltf_with_data_uri(folder: Path, image: bytes) -> Path:
    """A text .gltf whose buffer and picture are base64 data inside the JSON (no resolver sees them)."""
    import base64

    glb = glb_with_texture(image)
    json_length = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(glb[20 : 20 + json_length])
    binary = glb[20 + json_length + 8 :]
    doc["buffers"] = [
        {
            "byteLength": len(binary),
            "uri": "data:application/octet-stream;base64," + base64.b64encode(binary).decode(),
        }
    ]
    path = folder / "scene.gltf"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("reader", [read_glb, read_mesh_file], ids=["read_glb", "read_mesh_file"])
def test_a_glb_with_an_eps_texture_is_refused_without_ghostscript(
    reader: Callable[[Path], Any], tmp_path: Path, quiet_tempdir: Path
) -> None:
    path = _write(tmp_path / "model.glb", glb_with_texture(eps_bytes()))
    with watching(forbid_processes=True) as seen, pytest.raises(InputError) as info:
        reader(path)
    assert str(info.value) == f"model.glb's texture is an EPS (PostScript) file; {FORMATS_HINT}"
    assert seen.processes == [] and seen.writes == []


def test_compressing_a_glb_with_an_eps_base_colour_never_reaches_ghostscript(quiet_tempdir: Path) -> None:
    from app.core.export.compression import compressed_glb  # the compress extra: part of the test install

    with watching(forbid_processes=True) as seen, pytest.raises(InputError) as info:
        compressed_glb(glb_with_texture(eps_bytes()))
    assert str(info.value).startswith("the base colour texture is an EPS (PostScript) file")
    assert seen.processes == []


def test_a_144_megapixel_embedded_texture_is_refused_from_its_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.glb", glb_with_texture(png_header_only(12_000, 12_000)))
    with pytest.raises(InputError) as info:
        read_mesh_file(path)
    assert str(info.value) == (
        "model.glb's texture is 12000×12000 (144 megapixels); the limit is 64 megapixels: scale it down first"
    )


def test_a_glb_with_a_png_texture_still_reads(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.glb", glb_with_texture(_saved("PNG")))
    texture = read_mesh_file(path).material.base_color_texture
    assert texture is not None and texture.shape == (64, 64, 3) and tuple(texture[0, 0]) == (200, 30, 30)


def test_an_obj_with_a_png_texture_beside_it_reads_it(tmp_path: Path) -> None:
    lodset = read_mesh_file(_obj_with_texture(tmp_path, _saved("PNG")))
    texture = lodset.material.base_color_texture
    assert texture is not None and tuple(texture[0, 0]) == (200, 30, 30) and lodset.notes == []


def test_an_obj_whose_texture_is_an_eps_named_png_is_refused(tmp_path: Path, quiet_tempdir: Path) -> None:
    obj = _obj_with_texture(tmp_path / "chair", eps_bytes())
    before = _snapshot(tmp_path)
    with watching(forbid_processes=True) as seen, pytest.raises(InputError) as info:
        read_mesh_file(obj)
    assert str(info.value) == f"chair.obj's texture wood.png is an EPS (PostScript) file; {FORMATS_HINT}"
    assert seen.processes == [] and seen.writes == [] and _snapshot(tmp_path) == before


def test_an_obj_whose_texture_is_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    obj = _obj_with_texture(tmp_path, png_header_only(12_000, 12_000))
    with pytest.raises(
        InputError, match=r"^chair\.obj's texture wood\.png is 12000×12000 \(144 megapixels\)"
    ):
        read_mesh_file(obj)


def test_a_texture_outside_the_mesh_folder_is_left_out_with_a_note(tmp_path: Path, caplog: Any) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "wood.png").write_bytes(_saved("PNG"))
    obj = _obj_with_texture(tmp_path / "chair", None, reference="../elsewhere/wood.png")
    lodset = read_mesh_file(obj)
    assert lodset.material.base_color_texture is None and lodset.lod0.triangle_count == 2
    note = (
        "chair.obj: ../elsewhere/wood.png is outside the mesh's folder, so it was left out; "
        "copy it next to chair.obj to use it"
    )
    assert lodset.notes == [note]
    assert note in caplog.messages  # the CLI prints warnings as they are

    linked = _obj_with_texture(tmp_path / "linked", None, reference="zero.png")
    (linked.parent / "zero.png").symlink_to("/dev/zero")  # a link out of the folder is outside too
    assert read_mesh_file(linked).notes == [note.replace("../elsewhere/wood.png", "zero.png")]


def test_a_missing_texture_and_a_fifo_texture_are_left_out_with_notes(tmp_path: Path) -> None:
    missing = read_mesh_file(_obj_with_texture(tmp_path / "a", None))
    assert missing.notes == [
        "chair.obj: wood.png was not found, so it was left out; put it next to chair.obj"
    ]
    folder = tmp_path / "b"
    obj = _obj_with_texture(folder, None, reference="pipe.png")
    os.mkfifo(folder / "pipe.png")
    assert read_mesh_file(obj).notes == ["chair.obj: pipe.png is not a regular file, so it was left out"]


def test_a_gltf_with_an_eps_picture_as_data_starts_no_process(tmp_path: Path, quiet_tempdir: Path) -> None:
    path = _gltf_with_data_uri(tmp_path, eps_bytes())
    with watching(forbid_processes=True) as seen:
        lodset = read_mesh_file(path)
    assert lodset.material.base_color_texture is None and lodset.lod0.triangle_count == 1
    assert seen.processes == []


# --- the command line: one line, no traceback, no Ghostscript in another process ------------


@pytest.fixture
def ghostscript_spy(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """An environment whose `gs` is a wrapper that leaves a mark before running the real one."""
    real = shutil.which("gs")
    assert real is not None, GHOSTSCRIPT_HINT
    bin_dir = tmp_path / "spy-bin"
    bin_dir.mkdir()
    mark = tmp_path / "ghostscript-ran"
    spy = bin_dir / "gs"
    spy.write_text(f'#!/bin/sh\necho "$@" >> "{mark}"\nexec "{real}" "$@"\n')
    spy.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    yield env, mark


def test_the_cli_refuses_the_eps_named_png_in_one_line_and_never_runs_ghostscript(
    tmp_path: Path, ghostscript_spy: tuple[dict[str, str], Path]
) -> None:
    env, mark = ghostscript_spy
    picture = _write(tmp_path / "holiday.png", eps_bytes())
    control = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from PIL import Image; Image.open(sys.argv[1]).load()",
            str(picture),
        ],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert control.returncode == 0 and mark.exists(), "the spy must see Pillow's own Ghostscript call"
    mark.unlink()
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "app", "generate", str(picture), "-o", str(out), "--no-library"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: holiday.png is an EPS (PostScript) file; {FORMATS_HINT}"], run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert not mark.exists()
    assert not out.exists() or not any(out.iterdir())
