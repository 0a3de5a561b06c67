"""pytest-qt: the window follows the rules the CLI follows (one copy of each, in the core): LOD
lists, texture sizes, names from a prompt, a request built without side effects, and the after-job
save, which stores the same version whichever front end made it."""

from __future__ import annotations

from pathlib import Path

import pytest
from queue_pictures import make_pictures

from app.cli.main import main
from app.core.base.rules import TEXTURE_SIZES, name_from_prompt, parse_lods
from app.core.generation.request import JobStatus
from app.core.settings import settings_path
from app.ui.panels import prompt as prompt_module

from qt_events import drop_files


def test_the_generate_panel_takes_the_shared_lod_lists_and_texture_sizes(window, sample_image: Path) -> None:
    panel = window.prompt_panel
    assert [panel.texture.itemData(i) for i in range(panel.texture.count())] == list(TEXTURE_SIZES)
    for lod0_only in ("0", "none", ""):
        panel.lods.setText(lod0_only)
        assert panel.build_request(sample_image).lods == (), f"the window refuses --lods {lod0_only!r}"
    panel.lods.setText("50%, 5000")
    assert panel.build_request(sample_image).lods == parse_lods("50%, 5000")
    panel.lods.setText("0, 50%")
    drop_files(window, [sample_image])
    assert window.generate() == []
    assert "LOD target '0' is not valid" in window.generate_bar.message.text()


def test_a_prompt_names_the_asset_as_the_core_does(window, sample_image: Path) -> None:
    prompt = "A red wooden chair, painted\nblue and tall"
    window.prompt_panel.prompt.setPlainText(prompt)
    request = window.prompt_panel.build_request(sample_image)
    assert request.name == name_from_prompt(prompt) == "A_red_wooden_chair_painted_blue"


def test_building_a_request_changes_nothing_and_generate_gives_each_job_its_seed(
    qtbot, window, sample_image: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.prompt_panel
    saved: list[str] = []
    save_section = prompt_module.save_section
    monkeypatch.setattr(
        prompt_module, "save_section", lambda name, value: (saved.append(name), save_section(name, value))
    )
    panel.randomise.setChecked(True)
    panel.seed.setValue(1234)
    before = settings_path().read_bytes() if settings_path().exists() else None
    first, second = panel.build_request(sample_image), panel.build_request(sample_image)
    assert first.seed == second.seed == panel.seed.value() == 1234, "building a request picked a seed"
    assert saved == [] and (settings_path().read_bytes() if settings_path().exists() else None) == before

    jobs = window.generate_batch(make_pictures(tmp_path / "batch", 3))
    seeds = [job.request.seed for job in jobs]
    assert len(set(seeds)) == 3, f"the jobs of one Generate share a seed: {seeds}"
    assert saved == ["generate"], "Generate saves the settings once, not once per picture"
    assert panel.seed.value() == seeds[-1], "the field shows the last job's seed"
    assert prompt_module.load_section("generate", prompt_module.GenerateSettings).seed == seeds[-1]
    qtbot.waitUntil(lambda: all(job.status.finished for job in jobs), timeout=120_000)
    assert [job.status for job in jobs] == [JobStatus.DONE] * 3, [job.message for job in jobs]


_SAME = ("engine", "engine_version", "model_id", "model_version", "licence", "seed", "parameters", "device")
"""What a version records about how it was made, whichever front end made it."""


def test_the_window_and_the_cli_store_the_same_version(
    qtbot, window, sample_image: Path, tmp_path: Path
) -> None:
    panel = window.prompt_panel  # the window fixture's quick Relief settings, as CLI options
    panel.seed.setValue(5)
    cli = [
        *("generate", str(sample_image), "-o", str(tmp_path / "cli.glb"), "-q", "--seed", "5"),
        *("-p", "resolution=48", "-p", "smoothing=1.0", "--texture-size", "512", "--lods", "50%, 25%"),
    ]
    assert main(cli) == 0
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000) as finished:
        [job] = window.generate(force=True)  # the CLI's version is identical: make it again
    assert finished.args[0] is job and not job.result.reused

    asset = window.library_sink.library.get_asset(window.library_sink.saved_asset_ids[job.id])
    by_cli, by_window = asset.versions
    assert by_window.current and (by_cli.version, by_window.version) == (1, 2)
    for name in _SAME:
        assert getattr(by_window, name) == getattr(by_cli, name), name
    assert by_window.lods == by_cli.lods and by_window.source_name == by_cli.source_name == sample_image.name
    files = sorted(p.name for p in by_cli.folder.iterdir())
    assert sorted(p.name for p in by_window.folder.iterdir()) == files and "texture.png" in files
    for kept in ("source.png", "texture.png"):
        assert (by_window.folder / kept).read_bytes() == (by_cli.folder / kept).read_bytes(), kept
    assert by_cli.status == by_window.status == "done"
