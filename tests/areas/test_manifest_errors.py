"""Area-manifest errors name the file, the layer and the field, in Bahasa Indonesia and English."""

from __future__ import annotations

import pytest
import yaml

from geozones.areas.manifest import load_manifest
from geozones.core.errors import InputError

LAYER = {"name": "worship", "role": "worship", "file": "worship.geojson", "source": "s", "licence": "CC0",
         "attribution": "a"}
GOOD = {"id": "kota-uji", "title": {"id": "Uji"}, "kota": {"bps": "3173"}, "layers": [LAYER]}


def _errors(tmp_path, manifest) -> list:
    path = tmp_path / "kota-uji.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_manifest(path)
    return e.value.problems


def _one(problems, field):
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, [(p.row, p.field, p.message) for p in problems]
    return found[0]


def test_the_good_manifest_loads(tmp_path):
    path = tmp_path / "kota-uji.yaml"
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert load_manifest(path).spec("worship").file == "worship.geojson"


@pytest.mark.parametrize(("change", "row", "field", "id_words", "en_words"), [
    ({"role": "mosque"}, "layer worship", "role", "'mosque' tidak diizinkan; pilihan", "Input should be"),
    ({"file": "../etc/passwd"}, "layer worship", "file", "bukan pengenal yang sah", "is not a valid identifier"),
    ({"licence": ""}, "layer worship", "licence", "tidak boleh kosong", "at least 1 character"),
    ({"date": "kemarin"}, "layer worship", "date", "harus tanggal (YYYY-MM-DD)", "valid date"),
    ({"colour": "red"}, "layer worship", "colour", "kolom tidak dikenal", "Extra inputs are not permitted"),
    ({"name": "Bad Name"}, "layer Bad Name", "name", "bukan pengenal yang sah", "is not a valid identifier"),
])
def test_a_layer_field_error_names_file_layer_and_field_in_both_languages(tmp_path, change, row, field, id_words,
                                                                          en_words):
    p = _one(_errors(tmp_path, {**GOOD, "layers": [{**LAYER, **change}]}), field)
    assert p.source.endswith("kota-uji.yaml") and p.row == row
    assert id_words in p.text("id") and en_words in p.text("en")
    assert p.text("id") != p.text("en")  # each language on its own, not one text twice
    assert p.render("id").startswith(f"{p.source}, {row}, kolom '{field}': ")
    assert p.render("en").startswith(f"{p.source}, {row}, field '{field}': ")
    assert str(p) == f"{p.source}, {row}, field '{field}': {p.text('id')} / {p.text('en')}"


def test_a_missing_field_and_a_layer_without_name_are_named(tmp_path):
    layer = {k: v for k, v in LAYER.items() if k not in ("name", "source")}
    problems = _errors(tmp_path, {**GOOD, "layers": [LAYER, layer]})
    assert {(p.row, p.field) for p in problems} == {("layer #2", "name"), ("layer #2", "source")}
    assert all((p.text("id"), p.text("en")) == ("wajib diisi", "Field required") for p in problems)


def test_top_level_fields_are_named_in_both_languages(tmp_path):
    problems = _errors(tmp_path, {"id": "Kota Uji", "title": "Uji", "kota": {"bps": 3173}, "layers": []})
    fields = {p.field: p for p in problems}
    assert set(fields) == {"id", "title", "kota.bps", "layers"}
    assert all(p.row is None and p.source.endswith("kota-uji.yaml") for p in problems)
    assert "harus berupa pemetaan" in fields["title"].text("id") and "dictionary" in fields["title"].text("en")
    assert "harus berupa teks" in fields["kota.bps"].text("id") and "string" in fields["kota.bps"].text("en")
    assert "panjang di luar batas" in fields["layers"].text("id") and "at least 1" in fields["layers"].text("en")


def test_a_manifest_that_is_not_a_mapping_and_a_missing_one(tmp_path):
    (p,) = _errors(tmp_path, ["a", "list"])
    assert p.field == "(top level)" and "pemetaan" in p.text("id") and p.text("en") != p.text("id")
    with pytest.raises(InputError) as e:
        load_manifest(tmp_path / "nowhere.yaml")
    q = e.value.problems[0]
    assert (q.text("id"), q.text("en")) == ("manifes wilayah tidak ditemukan", "area manifest not found")
    assert q.source.endswith("nowhere.yaml")
