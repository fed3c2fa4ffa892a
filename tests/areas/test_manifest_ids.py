"""Ids that name files are identifiers; every path stays in its folder (issue 13.7)."""

from __future__ import annotations

import pytest
import yaml

import geozones.areas.manifest as manifest_module
from geozones.areas.manifest import LayerSpec, load_manifest, manifest_path
from geozones.core.errors import InputError
from geozones.sources.areas import manifest_for_data_dir

SPEC = {"name": "worship", "role": "worship", "file": "worship.geojson", "source": "s", "licence": "CC0",
        "attribution": "a"}


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A manifest folder holding one manifest, beside a 'secret' YAML outside it."""
    folder = tmp_path / "shapefiles"
    folder.mkdir()
    manifest = {"id": "kota-uji", "title": {"id": "Uji"}, "kota": {"bps": "3173"}, "layers": [SPEC]}
    (folder / "kota-uji.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump({**manifest, "id": "secret"}), encoding="utf-8")
    monkeypatch.setattr(manifest_module, "MANIFEST_DIR", folder)
    return folder


def test_an_area_id_loads(sandbox):
    assert load_manifest("kota-uji").id == "kota-uji"
    assert manifest_path("kota-uji") == sandbox.resolve() / "kota-uji.yaml"


@pytest.mark.parametrize("area", ["../secret", "../../../../etc/hostname", "/etc/hostname", "kota-uji/../../secret",
                                  "KOTA", "kota uji", "kota\x00", "..", ""])
def test_an_area_that_is_not_an_id_is_never_joined_into_a_path(sandbox, area):
    with pytest.raises(InputError) as e:
        load_manifest(area)
    assert "is not an area id" in str(e.value) and "bukan id wilayah" in str(e.value)
    with pytest.raises(InputError):
        manifest_path(area)


@pytest.mark.parametrize("area", ["../secret", "../../../../etc/hostname", "a/b"])
def test_area_option_is_checked_before_any_path_is_built(sandbox, tmp_path, area):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(InputError) as e:
        manifest_for_data_dir(area, data)
    assert "is not an area id" in str(e.value)


def test_area_option_finds_a_manifest_in_the_data_dir(sandbox, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kota-lain.yaml").write_text((sandbox / "kota-uji.yaml").read_text().replace("kota-uji", "kota-lain"))
    assert manifest_for_data_dir("kota-lain", data).id == "kota-lain"


@pytest.mark.parametrize("file", ["../secret.geojson", "/etc/passwd", "a/../../b.geojson", "..", "a\\..\\b",
                                  "x\n.geojson", ""])
def test_layer_file_must_stay_in_the_data_dir(file):
    with pytest.raises(ValueError):
        LayerSpec.model_validate({**SPEC, "file": file})


def test_layer_file_resolves_inside_its_folder(tmp_path):
    spec = LayerSpec.model_validate({**SPEC, "file": "sub/worship.geojson"})
    assert spec.path_in(tmp_path) == tmp_path.resolve() / "sub" / "worship.geojson"
    (tmp_path / "sub").symlink_to(tmp_path.parent)  # a folder link pointing out of the data dir
    with pytest.raises(InputError) as e:
        LayerSpec.model_validate({**SPEC, "file": "sub/x.geojson"}).path_in(tmp_path)
    assert "lies outside the folder" in str(e.value)


def test_manifest_with_duplicate_keys_is_refused(sandbox):
    text = (sandbox / "kota-uji.yaml").read_text()
    (sandbox / "kota-uji.yaml").write_text(text + "id: other\n")
    with pytest.raises(InputError) as e:
        load_manifest("kota-uji")
    assert "key 'id' appears twice" in str(e.value)
