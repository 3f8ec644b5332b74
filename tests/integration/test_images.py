"""Image builds: cached by definition hash, layer-cached by Podman, offline."""

from __future__ import annotations

import pytest

from harness.artifacts import images

pytestmark = pytest.mark.integration


def test_second_build_is_a_cache_hit(engine, built_images):
    again = images.ensure(engine, ["database", "frontend"])
    assert all(result.cached for result in again.values()), again
    for name, result in again.items():
        assert result.tag == built_images[name].tag
        assert engine.image_id(result.tag) is not None


def test_changed_containerfile_reuses_unchanged_layers(engine, built_images, tmp_path, capsys):
    folder = tmp_path / "frontend-variant"
    folder.mkdir()
    original = (images.CONTAINERS / "frontend" / "Containerfile").read_text()
    (folder / "Containerfile").write_text(original + "LABEL copr-harness.test=layer-cache\n")
    tag = f"{images.REPO}/test-layer-cache:{tmp_path.name[-12:].lower()}"
    try:
        images._build(engine, folder, tag, {"BASE": built_images["base"].tag}, nocache=False)
        log = capsys.readouterr().err
        assert "Using cache" in log  # the RUN step of the unchanged part came from the cache
        assert engine.image_id(tag) not in (None, engine.image_id(built_images["frontend"].tag))
    finally:
        engine.remove_image(tag)
