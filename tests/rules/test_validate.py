"""``rules validate`` runs what ``check`` runs: a rule set that validates cannot break ``check`` (issue 13.3)."""

from __future__ import annotations

import pytest

from geozones.cli.main import main
from geozones.core.errors import InputError
from geozones.core.errors import escape_control as printable
from geozones.services.validation import validate_ruleset
from tests.engine.conftest import to_lonlat
from tests.rules.conftest import write_rules


def test_valid_rules_are_compiled_and_tried(tiny_area, tmp_path, rules_data):
    res = validate_ruleset(write_rules(tmp_path / "r.yaml", rules_data), tiny_area)
    assert res.compiled and res.sample_sites >= 6 and not res.notes


def test_without_layers_validation_says_what_it_did_not_do(tiny_area, tmp_path, rules_data):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = validate_ruleset(write_rules(tmp_path / "r.yaml", rules_data), empty)
    assert not res.compiled and "the rules were not compiled" in res.notes[0]


def test_where_column_missing_from_the_layer_is_refused(tiny_area, tmp_path, rules_data, capsys):
    rules_data["rules"][2]["where"] = {"lanes": [6]}
    path = write_rules(tmp_path / "r.yaml", rules_data)
    with pytest.raises(InputError) as e:
        validate_ruleset(path, tiny_area)
    assert "column 'lanes' (used by rule P1) is missing" in str(e.value)
    assert main(["rules", "validate", str(path), "--data-dir", str(tiny_area)]) == 2
    assert "lanes" in capsys.readouterr().err


def test_jurisdiction_that_matches_no_kelurahan_is_refused(tiny_area, tmp_path, rules_data):
    rules_data["jurisdiction"] = {"kemendagri": ["31.99"]}
    with pytest.raises(InputError) as e:
        validate_ruleset(write_rules(tmp_path / "r.yaml", rules_data), tiny_area)
    assert "jurisdiction" in str(e.value)


HOSTILE_TEXTS = ["Tempat {ibadah}", "{name.__class__.__mro__}", "{0}", "{m:>{m}}", "100% {", "%s %(x)s", "}{",
                 "{name[0]}", "{when!r}"]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("where", ["title", "note", "article"])
def test_a_rule_set_that_validates_never_crashes_check(tiny_area, tmp_path, rules_data, capsys, text, where):
    for r in rules_data["rules"]:
        if where == "title":
            r["title"] = {"id": text, "en": text}
        elif where == "note":
            r["note"] = {"id": text, "en": text}
            r["advisory"] = True
        else:
            r["legal_basis"] = [{"instrument": "PKPU 13/2024", "article": text, "grade": "S"}]
    path = write_rules(tmp_path / "r.yaml", rules_data)
    code = main(["rules", "validate", str(path), "--data-dir", str(tiny_area)])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert "makes the check fail" in err and "membuat pemeriksaan gagal" in err
        return
    lon, lat = to_lonlat([230, 1500, 500], [230, 200, 500])
    sites = tmp_path / "sites.csv"
    sites.write_text("id,lon,lat,apk_type\n" + "".join(
        f"{i},{x},{y},{t}\n" for i, (x, y, t) in enumerate(zip(lon, lat, ["spanduk", "", "billboard"], strict=True))))
    out = tmp_path / "out.csv"
    assert main(["check", str(sites), "--rules", str(path), "--data-dir", str(tiny_area), "--out", str(out),
                 "--at", "2024-10-15T10:00"]) == 0, capsys.readouterr().err


def test_control_characters_are_escaped_in_errors(tmp_path, rules_data, capsys):
    rules_data["rules"][1]["id"] = "W\u202e1"
    path = write_rules(tmp_path / "r\x1b]0;owned\x07\x1b[2J.yaml", rules_data)
    assert main(["rules", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "r\\x1b]0;owned\\x07\\x1b[2J.yaml, rule W\\u202e1, field 'id'" in err


def test_printable_keeps_ordinary_text():
    assert printable("Jalan Kebon Sirih, Menteng – 50 m") == "Jalan Kebon Sirih, Menteng – 50 m"
    assert printable("a\tb\rc\x85") == "a\tb\\x0dc\\x85"  # tab kept, CR and C1 escaped


def test_an_area_without_manifest_is_named_in_the_rule_file(tiny_area, tmp_path, rules_data):
    rules_data["area"] = "kota-lain"
    path = write_rules(tmp_path / "r.yaml", rules_data)
    with pytest.raises(InputError) as e:
        validate_ruleset(path, tiny_area)
    assert f"{path}, field 'area': wilayah 'kota-lain' tidak punya manifes" in str(e.value)
    assert "area 'kota-lain' has no manifest" in str(e.value)
