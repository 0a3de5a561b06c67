"""The classical cutout, masks the artist gives, and what the pipeline, the library and the command
line do with them. Pictures are the sample subjects pasted on known backgrounds (`cutout_scenes`),
so every mask is compared with the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cutout_scenes import Scene, iou, scenes
from PIL import Image

from app.cli.main import main
from app.core.base.errors import InputError
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import generate
from app.core.imaging import foreground_mask
from app.core.imaging.classical import Seeds, classical_cut
from app.core.imaging.mask import LOW_CONFIDENCE
from app.core.imaging.user_mask import load_mask
from app.core.library.cutout_record import CUTOUT_KEY
from app.core.library.saving import find_identical, save_generation
from app.core.library.startup import open_library

SIZE = (512, 512)


def _scene(name: str) -> Scene:
    kind = name.split("/")[1]
    return next(s for s in scenes(SIZE, (kind,)) if s.name == name)


def _save(scene: Scene, folder: Path) -> Path:
    path = folder / scene.image.path.name
    Image.fromarray(np.ascontiguousarray(scene.image.rgba[..., :3])).save(path)
    return path


def _save_mask(mask: np.ndarray, path: Path) -> Path:
    Image.fromarray((mask * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("name", ["hunyuan_179/gradient", "hunyuan_1037/noise", "sf3d_axe/checker"])
def test_backdrops_that_are_not_plain_are_cut_out_with_confidence(name: str) -> None:
    scene = _scene(name)
    mask = foreground_mask(scene.image)
    assert mask.method in ("grabcut", "border-colour")
    assert iou(mask.alpha > 0.5, scene.truth) >= 0.95
    assert mask.confidence >= LOW_CONFIDENCE and mask.alpha.dtype == np.float32


@pytest.mark.parametrize("name", ["hunyuan_073/gradient", "hunyuan_195/gradient", "sf3d_axe/gradient"])
def test_a_graded_backdrop_is_taken_out_as_a_smooth_surface(name: str) -> None:
    """Radial gradients: Luffy and the axe stand next to the gradient's bright centre (unlike the
    border, but no part of the subject); the snowman is white on a backdrop fading to light grey."""
    scene = next(s for s in scenes(SIZE, ("gradient",), 2) if s.name == name)
    mask = foreground_mask(scene.image, mode="classical")
    assert mask.method == "grabcut"
    assert iou(mask.alpha > 0.5, scene.truth) >= 0.95
    assert mask.confidence >= LOW_CONFIDENCE


def test_parts_that_look_like_the_backdrop_outside_the_framing_are_kept() -> None:
    """The robot's grey legs on a dark checkerboard are not unlike the border, so the framing box
    first found covers its head only; the legs below it must still be cut out."""
    scene = _scene("tsr_robot/checker")
    mask = foreground_mask(scene.image, mode="classical")
    assert iou(mask.alpha > 0.5, scene.truth) >= 0.95
    assert mask.confidence >= LOW_CONFIDENCE


def test_a_busy_photo_backdrop_is_flagged_unsure_with_the_reason() -> None:
    scene = _scene("hunyuan_195/photo")  # a snowman pasted over the astronaut's shoulder
    mask = foreground_mask(scene.image)
    assert mask.method == "grabcut"
    assert mask.confidence < LOW_CONFIDENCE and "busy scene" in mask.doubt


def test_the_artists_box_rescues_a_photo() -> None:
    scene = _scene("hunyuan_195/photo")
    rows, cols = np.nonzero(scene.truth)
    margin = 12
    box = (cols.min() - margin, rows.min() - margin, cols.max() + margin, rows.max() + margin)
    rgb = np.ascontiguousarray(scene.image.rgba[..., :3])
    automatic = classical_cut(rgb)
    boxed = classical_cut(rgb, Seeds(box=tuple(int(v) for v in box)))
    assert iou(boxed.alpha > 0.5, scene.truth) >= iou(automatic.alpha > 0.5, scene.truth) + 0.3
    assert iou(boxed.alpha > 0.5, scene.truth) >= 0.75


def test_strokes_change_the_mask_only_around_them() -> None:
    scene = _scene("tsr_teapot/gradient")
    rgb = np.ascontiguousarray(scene.image.rgba[..., :3])
    before = classical_cut(rgb).alpha
    remove = np.zeros(scene.truth.shape, bool)
    rows, cols = np.nonzero(scene.truth)
    centre = (int(rows.mean()), int(cols.mean()))
    remove[centre[0] - 6 : centre[0] + 6, centre[1] - 6 : centre[1] + 6] = True
    keep = np.zeros(scene.truth.shape, bool)
    keep[20:30, 20:30] = True  # a corner of the backdrop, kept on purpose
    after = classical_cut(rgb, Seeds(keep=keep, remove=remove, prior=before)).alpha
    assert after[centre] < 0.5 and after[25, 25] > 0.5
    far = np.ones(scene.truth.shape, bool)
    far[: 30 + 60, : 30 + 60] = False
    far[centre[0] - 60 : centre[0] + 60, centre[1] - 60 : centre[1] + 60] = False
    assert np.array_equal(after[far] > 0.5, before[far] > 0.5)


def test_a_cut_is_the_same_every_time() -> None:
    rgb = np.ascontiguousarray(_scene("hunyuan_419/noise").image.rgba[..., :3])
    assert np.array_equal(classical_cut(rgb).alpha, classical_cut(rgb).alpha)


# --- masks the artist gives ---------------------------------------------------------------------


def test_a_mask_file_is_used_as_the_subject(tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    mask = load_mask(_save_mask(scene.truth, tmp_path / "m.png"), scene.image)
    assert mask.method == "mask file" and np.array_equal(mask.alpha > 0.5, scene.truth)
    rgba = np.zeros((*scene.truth.shape, 4), np.uint8)
    rgba[..., 3] = scene.truth * 255
    Image.fromarray(rgba).save(tmp_path / "cutout.png")
    assert np.array_equal(load_mask(tmp_path / "cutout.png", scene.image).alpha > 0.5, scene.truth)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("size", r"^the mask m\.png is 100×80 pixels but [\w-]+\.png is 512×512: make the mask"),
        ("empty", r"^the mask m\.png marks no subject \(it is black or nearly so\): paint the subject"),
        ("full", r"^the mask m\.png covers the whole of [\w-]+\.png: paint the background black$"),
        ("text", r"^m\.png looks like a text file, not a picture"),
    ],
)
def test_bad_masks_are_refused_in_one_line(case: str, message: str, tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    path = tmp_path / "m.png"
    if case == "text":
        path.write_text("white where the subject is")
    else:
        shape = (80, 100) if case == "size" else scene.truth.shape
        _save_mask(np.full(shape, case != "empty"), path)
    with pytest.raises(InputError, match=message):
        load_mask(path, scene.image)


# --- the pipeline, the library and the command line ---------------------------------------------


def test_an_unsure_cutout_stops_the_job_and_says_how_to_give_a_mask(tmp_path: Path) -> None:
    picture = _save(_scene("hunyuan_195/photo"), tmp_path)
    result = generate(GenerationRequest(picture, lods=()), tmp_path / "out.glb")
    assert result.status is JobStatus.FAILED and not (tmp_path / "out.glb").exists()
    assert result.message.startswith("hunyuan_195-on-photo.png: the automatic cutout is unsure (")
    assert "--mask FILE.png" in result.message and "--cutout classical" in result.message


def test_mask_file_and_forced_classical_go_through_and_are_recorded(tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    picture = _save(scene, tmp_path)
    masked = generate(
        GenerationRequest(picture, lods=(), mask_path=_save_mask(scene.truth, tmp_path / "mask.png")),
        tmp_path / "masked.glb",
    )
    assert masked.ok, masked.message
    prov = masked.lodset.provenance
    assert prov["mask"] == "mask file" and prov["mask_file"] == "mask.png" and prov["mask_confidence"] == 1.0
    assert masked.lodset.provenance["parameters"]["mask_sha256"]
    forced = generate(GenerationRequest(picture, lods=(), cutout="classical"), tmp_path / "forced.glb")
    assert forced.ok and forced.lodset.provenance["mask"] == "grabcut"
    assert forced.lodset.provenance["mask_confidence"] < LOW_CONFIDENCE
    assert forced.lodset.provenance["parameters"]["cutout"] == "classical"


def test_the_library_keeps_the_mask_and_the_cutout_and_tells_them_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = _scene("hunyuan_195/photo")
    picture = _save(scene, tmp_path)
    mask = _save_mask(scene.truth, tmp_path / "mask.png")
    request = GenerationRequest(picture, lods=(), mask_path=mask)
    library, _report = open_library()
    record = save_generation(library, generate(request, tmp_path / "a.glb"))
    version = record.current_version
    assert version is not None
    assert (version.folder / "mask.png").read_bytes() == mask.read_bytes()
    expected = {"method": "mask file", "confidence": 1.0, "mask_file": "mask.png"}
    assert version.parameters[CUTOUT_KEY] == expected
    assert find_identical(library, request) is not None  # the same picture and mask: reused
    edited = scene.truth.copy()
    edited[:40] = False
    _save_mask(edited | np.eye(512, dtype=bool), mask)
    assert find_identical(library, request) is None  # an edited mask is a new asset version
    library.close()
    assert main(["library", "show", str(record.id)]) == 0
    shown = capsys.readouterr().out
    assert "cutout: mask file, confidence 1.00, from the mask mask.png" in shown
    assert main(["library", "show", str(record.id), "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert versions[0]["parameters"][CUTOUT_KEY]["method"] == "mask file"


def test_the_command_line_gives_a_mask_or_forces_a_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = _scene("hunyuan_195/photo")
    picture = _save(scene, tmp_path)
    assert main(["generate", str(picture), "-o", str(tmp_path / "out"), "--lods", "none", "-q"]) == 1
    assert "--mask FILE.png" in capsys.readouterr().err
    mask = _save_mask(scene.truth, tmp_path / "mask.png")
    out = str(tmp_path / "out")
    assert main(["generate", str(picture), "--mask", str(mask), "-o", out, "--lods", "none", "-q"]) == 0
    assert main(["generate", str(picture), str(picture), "--mask", str(mask)]) == 1
    assert "--mask is the mask of one picture" in capsys.readouterr().err
    bad = _save_mask(np.ones((40, 40), bool), tmp_path / "small.png")
    assert main(["generate", str(picture), "--mask", str(bad), "-o", str(tmp_path / "o2"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "the mask small.png is 40×40 pixels" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as usage:
        main(["generate", str(picture), "--cutout", "sideways"])
    assert usage.value.code == 2 and "invalid choice: 'sideways'" in capsys.readouterr().err
