"""``geozones draft set-zone | set-quotas | set-schedule`` (issue 10 §8, CLI parity with the draft page): each
changes the draft through the same service as the app, audited with its reason; bad input exits 2 naming the file
and leaves the draft as it was."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from tests.cli.test_kpu_flow import PARK_XY, RID, _geojson, _square, cli  # noqa: F401
from tests.store.backends import cheap_password_hashing, store_url  # noqa: F401


@pytest.fixture
def draft(cli):  # noqa: F811
    code, out, err = cli("draft", "new", RID, user="ed")
    assert code == 0, err
    return out.strip().splitlines()[-1]


def _yaml(cli, draft) -> dict:  # noqa: F811
    code, out, err = cli("draft", "show", draft, user="ed")
    assert code == 0, err
    return yaml.safe_load(out)


def _audit(cli, action: str) -> list[dict]:  # noqa: F811
    code, out, err = cli("audit", "list", "--format", "csv", user="pub")
    assert code == 0, err
    return [r for r in csv.DictReader(io.StringIO(out)) if r["action"] == action]


def test_set_zone_reshapes_an_overlay_zone_and_a_rule_zone(cli, draft, tmp_path):  # noqa: F811
    park = _geojson(tmp_path / "park.geojson", {"type": "Polygon", "coordinates": _square(*PARK_XY)})
    code, out, err = cli("draft", "add-zone", draft, park, "--rule", "R08", "--reason", "survei", user="ed")
    assert code == 0 and "kpu-1" in out, err
    bigger = _geojson(tmp_path / "bigger.geojson", {"type": "Polygon", "coordinates": _square(*PARK_XY, 0.0005)})
    code, out, err = cli("draft", "set-zone", draft, "kpu-1", bigger, "--reason", "ukur ulang", user="ed")
    assert code == 0, err
    assert "kpu-1 (R08)" in out and "m² (EPSG:32748)" in out
    changed = float(out.split("area changed ")[1].split(" m²")[0].replace(",", ""))
    assert 7000 < changed < 8500  # the ring between squares of side 0.0006° and 0.001° at 6° S: ≈ 7,900 m²
    before = {z["id"]: z for r in _yaml(cli, draft)["rules"] if r["id"] == "R08-N" for z in r["zones"]}
    x0, y0 = before["taman-suropati"]["geometry"]["coordinates"][0][0]
    moved = _geojson(tmp_path / "suropati.geojson", {"type": "Polygon", "coordinates": [[
        [x0 + 0.0001, y0], [x0 + 0.0025, y0], [x0 + 0.0025, y0 - 0.002], [x0 + 0.0001, y0 - 0.002],
        [x0 + 0.0001, y0]]]}, name="ignored")
    code, out, err = cli("draft", "set-zone", draft, "taman-suropati", moved, "--reason", "peta lampiran", user="ed")
    assert code == 0, err
    after = {z["id"]: z for r in _yaml(cli, draft)["rules"] if r["id"] == "R08-N" for z in r["zones"]}
    assert after["taman-suropati"]["geometry"]["coordinates"][0][0] == [x0 + 0.0001, y0]
    assert after["taman-suropati"]["name"] == "Taman Suropati"  # the name stays; only the outline changed
    assert after["taman-menteng"] == before["taman-menteng"]
    events = _audit(cli, "draft.reshape_zone")
    assert sorted(r["reason"] for r in events) == ["peta lampiran", "ukur ulang"]
    assert all(r["actor"] == "ed" for r in events)


def test_set_zone_bad_input_exits_2_naming_the_file_and_changes_nothing(cli, draft, tmp_path):  # noqa: F811
    text = json.dumps(_yaml(cli, draft), sort_keys=True)
    two = tmp_path / "two.geojson"
    two.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": _square(*PARK_XY)}}
        for _ in range(2)]}), encoding="utf-8")
    code, _out, err = cli("draft", "set-zone", draft, "taman-suropati", two, "--reason", "x", user="ed")
    assert code == 2 and "two.geojson" in err and "exactly one feature, not 2" in err and "tepat satu" in err
    assert "Traceback" not in err
    outside = _geojson(tmp_path / "bogor.geojson", {"type": "Polygon", "coordinates": _square(106.70, -6.30)})
    code, _, err = cli("draft", "set-zone", draft, "taman-suropati", outside, "--reason", "x", user="ed")
    assert code == 2 and "bogor.geojson" in err and "Taman Suropati" in err and "outside" in err
    code, _, err = cli("draft", "set-zone", draft, "tidak-ada", outside, "--reason", "x", user="ed")
    assert code == 2 and "tidak-ada" in err
    code, _, err = cli("draft", "set-zone", draft, "taman-suropati", tmp_path / "none.geojson", "--reason", "x",
                       user="ed")
    assert code == 2 and "none.geojson" in err
    code, _, err = cli("draft", "set-zone", draft, "taman-suropati", outside, "--reason", "x", user="pub")
    assert code == 2
    assert json.dumps(_yaml(cli, draft), sort_keys=True) == text
    assert not _audit(cli, "draft.reshape_zone")


def test_set_quotas_from_csv_and_yaml(cli, draft, tmp_path):  # noqa: F811
    quotas = _yaml(cli, draft)["quotas"]
    path = tmp_path / "kuota.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["apk_type", "unit", "facilitated_max", "extra_pct", "legal_basis"])
        for q in quotas:
            w.writerow([q["apk_type"], q["unit"], q["facilitated_max"] + 1, q["extra_pct"],
                        "PKPU 13/2024 Pasal 70 [S]"])
    code, _out, err = cli("draft", "set-quotas", draft, path, "--reason", "kuota baru", user="ed")
    assert code == 0, err
    saved = _yaml(cli, draft)["quotas"]
    assert [(q["apk_type"], q["unit"], q["facilitated_max"]) for q in saved] == [
        (q["apk_type"], q["unit"], q["facilitated_max"] + 1) for q in quotas]
    assert saved[0]["legal_basis"][0]["article"] == "Pasal 70"
    assert [r["reason"] for r in _audit(cli, "draft.set_quotas")] == ["kuota baru"]
    # YAML: a mapping with quotas:, as in the rule-set file
    ypath = tmp_path / "kuota.yaml"
    ypath.write_text(yaml.safe_dump({"quotas": quotas[:1]}), encoding="utf-8")
    code, _, err = cli("draft", "set-quotas", draft, ypath, "--reason", "satu saja", user="ed")
    assert code == 0, err
    assert [q["apk_type"] for q in _yaml(cli, draft)["quotas"]] == [quotas[0]["apk_type"]]
    # bad rows: file, row and field named; nothing written
    before = _yaml(cli, draft)
    bad = tmp_path / "buruk.csv"
    bad.write_text("apk_type,unit,facilitated_max,extra_pct,legal_basis\n"
                   "baliho,kota,-1,200,PKPU 13/2024 [S]\nbaliho,desa,1,200,PKPU 13/2024 [S]\n", encoding="utf-8")
    code, _, err = cli("draft", "set-quotas", draft, bad, "--reason", "x", user="ed")
    assert code == 2 and "Traceback" not in err
    assert "buruk.csv, row 1, field 'facilitated_max'" in err and "buruk.csv, row 2, field 'unit'" in err
    wrong = tmp_path / "kolom.csv"
    wrong.write_text("jenis,unit,facilitated_max\nbaliho,kota,1\n", encoding="utf-8")
    code, _, err = cli("draft", "set-quotas", draft, wrong, "--reason", "x", user="ed")
    assert code == 2 and "kolom.csv" in err and "apk_type" in err
    assert _yaml(cli, draft) == before


def test_set_schedule_from_yaml_and_inherit(cli, draft, tmp_path):  # noqa: F811
    assert "schedule" not in _yaml(cli, draft)  # Jakarta Pusat inherits the national schedule
    sched = {"campaign": {"start": "2024-09-25T00:00:00+07:00", "end": "2024-11-24T00:00:00+07:00"},
             "quiet_period": {"start": "2024-11-24T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"},
             "voting_day": {"start": "2024-11-27T00:00:00+07:00", "end": "2024-11-28T00:00:00+07:00"},
             "source": "Keputusan KPU Kota Jakarta Pusat (uji)"}
    path = tmp_path / "jadwal.yaml"
    # unquoted timestamps, as a person writes them (YAML reads them as datetimes)
    path.write_text(yaml.safe_dump({"schedule": sched}).replace("'", ""), encoding="utf-8")
    code, _out, err = cli("draft", "set-schedule", draft, path, "--reason", "jadwal kota", user="ed")
    assert code == 0, err
    got = _yaml(cli, draft)["schedule"]
    assert got["source"] == sched["source"] and got["quiet_period"]["start"].startswith("2024-11-24")
    bad = tmp_path / "urutan.yaml"
    bad.write_text(yaml.safe_dump({**sched, "quiet_period": {"start": "2024-11-20T00:00:00+07:00",
                                                             "end": "2024-11-27T00:00:00+07:00"}}), encoding="utf-8")
    code, _, err = cli("draft", "set-schedule", draft, bad, "--reason", "x", user="ed")
    assert code == 2 and "urutan.yaml, field 'quiet_period.start'" in err and "Traceback" not in err
    assert _yaml(cli, draft)["schedule"] == got
    code, _, err = cli("draft", "set-schedule", draft, "--inherit", "--reason", "ikut nasional", user="ed")
    assert code == 0, err
    assert "schedule" not in _yaml(cli, draft)
    assert [r["reason"] for r in _audit(cli, "draft.set_schedule")] == ["jadwal kota", "ikut nasional"]
