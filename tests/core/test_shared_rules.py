"""Each rule the window and the CLI share is written once, in `app.core.base.rules`: these tests pin
each rule and drive the CLI and the core's other users with it. tests/ui/test_shared_rules_window.py
gives the window the same inputs."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from queue_pictures import make_pictures
from readers import read_fbx_records

from app.cli.main import main
from app.core.base.errors import InputError
from app.core.base.rules import (
    PROMPT_NAME_LENGTH,
    TEXTURE_SIZES,
    LodTarget,
    check_texture_size,
    lod_screen_coverages,
    name_from_prompt,
    parse_lods,
)
from app.core.export.options import ExportOptions
from app.core.formats.fbx import write_fbx
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_reader import read_glb
from app.core.formats.map_files import MapFiles
from app.core.generation.request import GenerationRequest
from app.core.library.retexture import RetextureOptions
from app.core.library.startup import open_library
from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.core.queue.store import JobQueue

LOD0_ONLY = ("", "  ", "none", "None", "0", " 0 ")


def test_a_lod_list_is_targets_after_lod0_and_none_or_0_means_lod0_only() -> None:
    assert parse_lods("50%, 25%,5000") == (
        LodTarget(fraction=0.5),
        LodTarget(fraction=0.25),
        LodTarget(triangles=5000),
    )
    for text in LOD0_ONLY:
        assert parse_lods(text) == (), text
    for bad in ("0, 50%", "150%", "3", "half"):
        with pytest.raises(InputError, match=r"LOD target .* is not valid"):
            parse_lods(bad)


def test_the_cli_takes_lod0_only_as_the_window_does(tmp_path: Path) -> None:
    (picture,) = make_pictures(tmp_path / "in", 1)
    out = tmp_path / "one.glb"
    args = ["generate", str(picture), "-o", str(out), "--no-library", "-q", "-p", "resolution=32"]
    assert main([*args, "--lods", "0", "--texture-size", "256"]) == 0
    assert len(read_glb(out).lods) == 1, "--lods 0 is LOD0 only"
    for lod0_only in ("none", "0"):
        assert main(["queue", "add", str(picture), "--lods", lod0_only, "-p", "resolution=32"]) == 0
    library, _ = open_library()
    try:
        assert [job.request["lods"] for job in JobQueue(library).view().jobs] == [[], []]
    finally:
        library.close()


@pytest.mark.parametrize(
    "command", [["generate", "x.png"], ["queue", "add", "x.png"], ["export", "1", "--as", "a.glb"]]
)
def test_every_command_offers_the_shared_texture_sizes(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--texture-size", "300"])
    assert exit_.value.code == 2
    assert f"choose from {', '.join(map(str, TEXTURE_SIZES))}" in capsys.readouterr().err


def test_every_core_check_refuses_a_texture_size_with_the_same_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as shared:
        check_texture_size(300)
    assert "use one of 256, 512, 1024, 2048, 4096" in str(shared.value)
    picture = tmp_path / "p.png"
    picture.write_bytes(b"")
    for build in (
        lambda: GenerationRequest(picture, texture_size=300),
        lambda: ExportOptions(texture_size=300).check(),
        lambda: RetextureOptions(picture, texture_size=300).check(),
    ):
        with pytest.raises(InputError) as refused:
            build()
        assert str(refused.value) == str(shared.value)
    for size in TEXTURE_SIZES:
        check_texture_size(size)


def test_an_asset_is_named_after_the_first_words_of_its_prompt() -> None:
    assert name_from_prompt("A red wooden chair, painted\nblue and tall") == "A_red_wooden_chair_painted_blue"
    assert name_from_prompt("sci-fi crate") == "sci_fi_crate"
    long = name_from_prompt("Supercalifragilistic " * 6)
    assert len(long) <= PROMPT_NAME_LENGTH and not long.endswith("_") and long.startswith("Supercali")
    assert name_from_prompt(" ?! \n ") == ""
    prompt = "a red wooden chair!"
    assert GenerationRequest(image_path=None, prompt=prompt).asset_name == name_from_prompt(prompt)
    assert GenerationRequest(image_path=None, prompt="!!!").asset_name == "prompt"


def _textured(lods: int) -> LodSet:
    square = Mesh(
        np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32),
        np.array([[0, 1, 2], [0, 2, 3]], np.int32),
        uvs=np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32),
    )
    texture = np.full((8, 8, 3), 200, np.uint8)
    return LodSet("Tile", [Lod(i, square) for i in range(lods)], Material(base_color_texture=texture))


def test_the_glb_and_fbx_writers_declare_one_lod_switch_curve(tmp_path: Path) -> None:
    assert lod_screen_coverages(4) == pytest.approx([0.6, 0.3, 0.15, 0.01])
    assert lod_screen_coverages(1) == [0.01]
    lodset = _textured(3)
    data = glb_bytes(lodset)
    doc = json.loads(data[20 : 20 + struct.unpack_from("<I", data, 12)[0]])
    assert doc["nodes"][1]["extras"]["sweedle_lods"]["screen_coverage"] == lod_screen_coverages(3)
    (fbx, _) = write_fbx(lodset, tmp_path / "tile.fbx")
    attribute = read_fbx_records(fbx).find("Objects")[0].find("NodeAttribute")[0]
    properties = attribute.find("Properties70")[0].children
    thresholds = {p.props[0]: p.props[4] for p in properties if p.props[0].startswith("Thresholds|")}
    assert thresholds == {
        f"Thresholds|Level{i}": pytest.approx(100 * c) for i, c in enumerate(lod_screen_coverages(3)[:-1])
    }


def test_the_fbx_writer_writes_the_texture_it_is_given_and_says_so(tmp_path: Path) -> None:
    textured = _textured(2)
    written = write_fbx(
        textured, tmp_path / "a.fbx", MapFiles(base_color=tmp_path / "Textures" / "a_colour.png")
    )
    assert written == [tmp_path / "a.fbx", tmp_path / "Textures" / "a_colour.png"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "Textures/a_colour.png",
        "a.fbx",
    ]
    (video,) = read_fbx_records(written[0]).find("Objects")[0].find("Video")
    assert video.find("RelativeFilename")[0].props == ["Textures/a_colour.png"]
    beside = write_fbx(textured, tmp_path / "b.fbx")
    assert beside == [tmp_path / "b.fbx", tmp_path / "b_BaseColor.png"] and beside[1].is_file()

    plain = LodSet("Plain", textured.lods)
    assert write_fbx(plain, tmp_path / "c.fbx") == [tmp_path / "c.fbx"]
    assert write_fbx(plain, tmp_path / "d.fbx", MapFiles(base_color=tmp_path / "d.png")) == [
        tmp_path / "d.fbx"
    ]
    assert not (tmp_path / "d.png").exists()
