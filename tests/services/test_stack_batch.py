"""A batch spanning two DKI kota is judged with each kota's own rule stack (shared DKI boundaries).

Jakarta Pusat has a rule set of its own (national -> DKI -> Jakarta Pusat); Jakarta
Selatan has none, so it is judged with national -> DKI over the province-wide area
(shapefiles/dki-jakarta.yaml), and its absent layers are reported as not checked.

Data: BPS/HDX kelurahan and kota boundaries of DKI (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from geozones.io.layers import load_layers
from geozones.io.sites import sites_frame
from geozones.rules.model import RULES_DIR
from geozones.services.catalog import FileCatalog, StackCatalog, resolve_stack
from geozones.services.checking import NO_LOCAL_LEVEL, check_batch, open_checker

DURING = "2024-10-15T10:00"
JAKPUS, JAKSEL = "31.71", "31.74"


@pytest.fixture(scope="module")
def dki(shared_data):
    return load_layers("dki-jakarta", shared_data)


@pytest.fixture(scope="module")
def mixed(dki):
    """Every Jakarta Pusat and Jakarta Selatan kelurahan's representative point, interleaved, plus two outside DKI."""
    kel = dki.kelurahan
    kel = kel[kel["kode_kemendagri"].str.slice(0, 5).isin([JAKPUS, JAKSEL])]
    pts = kel.geometry.representative_point()
    order = np.random.default_rng(3).permutation(len(kel))
    lon = np.r_[pts.x.to_numpy()[order], 106.60, 107.20]
    lat = np.r_[pts.y.to_numpy()[order], -6.20, -6.30]
    ids = [*kel["kode_kemendagri"].to_numpy()[order], "out-west", "out-east"]
    types = np.array(["spanduk", "billboard", "baliho"], dtype=object)[np.arange(len(ids)) % 3]
    return sites_frame(lon, lat, site_id=ids, apk_type=types, paslon="1")


@pytest.fixture(scope="module")
def batch(shared_data, mixed):
    return check_batch(FileCatalog(data_dir=shared_data), mixed, DURING)


def test_file_catalog_serves_levels(shared_data):
    cat = FileCatalog(data_dir=shared_data)
    assert isinstance(cat, StackCatalog)
    assert {"nasional-pilkada-2024", "dki-jakarta-pilkada-2024", "dki-jakarta-pusat-pilkada-2024"} <= set(
        cat.level_ids())
    prov = cat.ruleset("dki-jakarta-pilkada-2024")
    assert prov.area == "dki-jakarta" and [lv.level for lv in prov.levels] == ["nasional", "provinsi"]


def test_rows_stay_in_input_order_and_each_kota_gets_its_stack(batch, mixed):
    t = batch.table
    assert list(t["site_id"]) == list(mixed["site_id"])
    jp = t["site_id"].str.startswith(JAKPUS)
    js = t["site_id"].str.startswith(JAKSEL)
    assert jp.sum() == 44 and js.sum() > 40
    assert (t.loc[jp, "rule_stack"] == "nasional 2024.1 > DKI 2024.1 > Jakarta Pusat 2024.2").all()
    assert t.loc[js, "rule_stack"].str.startswith("nasional 2024.1 > DKI 2024.1 (").all()
    assert t.loc[js, "rule_stack"].str.contains(NO_LOCAL_LEVEL[0], regex=False).all()
    assert (t.loc[jp, "kode_kemendagri_kota"] == JAKPUS).all() and (t.loc[js, "kode_kemendagri_kota"] == JAKSEL).all()
    assert list(t.loc[t["site_id"].str.startswith("out"), "verdict"]) == ["OUTSIDE_AREA"] * 2


def test_jakarta_pusat_sites_judged_as_by_its_own_checker(batch, mixed, shared_data):
    jp = mixed["site_id"].str.startswith(JAKPUS).to_numpy()
    alone = open_checker(FileCatalog(data_dir=shared_data)).check(mixed[jp], DURING).table
    got = batch.table[jp].reset_index(drop=True)
    for col in ("site_id", "verdict", "rule_ids", "reasons_id", "reasons_en", "nearest_m", "not_checked"):
        pd.testing.assert_series_equal(got[col], alone[col].reset_index(drop=True), check_names=False)


def test_jakarta_selatan_gets_national_and_dki_rules_and_says_what_it_could_not_check(batch):
    t = batch.table
    js = t[t["site_id"].str.startswith(JAKSEL)]
    bill = js[js["apk_type"] == "billboard"]
    # R14 (DKI reklame permit) holds everywhere in DKI; it needs no layer.
    assert (bill["verdict"] == "NEEDS_PERMIT").all() and bill["rule_ids"].str.contains("R14").all()
    assert bill["reasons_id"].str.contains("Dasar [DKI]: Perda DKI 9/2014", regex=False).all()
    assert bill["reasons_en"].str.contains("Basis [DKI]: Perda DKI 9/2014", regex=False).all()
    # No Jakarta Pusat rule ever judges a Jakarta Selatan site.
    assert not js["rule_ids"].str.contains(r"R08-N|R09|R10|R25").any()
    # Absent layers: the national places are reported, never passed in silence.
    not_checked = {(c["rule_id"], c["kota"]) for c in batch.not_checked}
    for rid in ("R01", "R02", "R03", "R04", "R05", "R11"):
        assert (rid, "Kota Administrasi Jakarta Selatan") in not_checked
    assert (js["not_checked"].str.split(";").map(set) >= {"R01", "R02", "R03", "R04", "R05"}).all()
    plain = js[js["apk_type"] == "spanduk"]
    assert (plain["verdict"] == "NEEDS_OWNER_CONSENT").all()
    assert plain["reasons_en"].str.contains("UNVERIFIED", regex=False).all()


def test_provenance_records_each_stack_and_every_level(batch):
    stacks = {s["kota"]: s for s in batch.provenance["stacks"]}
    jp, js = stacks["Kota Administrasi Jakarta Pusat"], stacks["Kota Administrasi Jakarta Selatan"]
    assert jp["local"] and jp["ruleset_id"] == "dki-jakarta-pusat-pilkada-2024" and jp["area"] == "jakarta-pusat"
    assert [lv["version"] for lv in jp["levels"]] == ["2024.1", "2024.1", "2024.2"]
    assert not js["local"] and js["note"]["en"] == NO_LOCAL_LEVEL[1] and js["area"] == "dki-jakarta"
    assert [lv["ruleset_id"] for lv in js["levels"]] == ["nasional-pilkada-2024", "dki-jakarta-pilkada-2024"]
    assert jp["n_sites"] == 44 and sum(s["n_sites"] for s in batch.provenance["stacks"]) == len(batch.table)
    assert "jakarta-pusat:kelurahan" in batch.provenance["layers"]
    assert "dki-jakarta:kelurahan" in batch.provenance["layers"]


def test_a_national_version_coming_into_force_mid_batch(tmp_path, shared_data, mixed):
    """Sites before and after a new national version are judged with the version in force at their time."""
    for name in ("dki-jakarta-pilkada-2024.yaml", "dki-jakarta-pusat-pilkada-2024.yaml"):
        shutil.copy(RULES_DIR / name, tmp_path / name)
    nat = yaml.safe_load((RULES_DIR / "nasional-pilkada-2024.yaml").read_text(encoding="utf-8"))
    v2 = copy.deepcopy(nat)
    v2.update(version="2024.2", effective_from="2024-11-01T00:00:00+07:00", supersedes=["2024.1"])
    v2["rules"].append({"id": "N-BALIHO", "title": {"id": "Baliho dilarang (uji)", "en": "Baliho banned (test)"},
                        "legal_basis": [{"instrument": "PKPU uji", "grade": "I"}], "verdict": "FORBIDDEN",
                        "spatial": {"form": "anywhere"}, "apk_types": ["baliho"]})
    (tmp_path / "nasional-v2.yaml").write_text(yaml.safe_dump(v2, sort_keys=False, allow_unicode=True),
                                                encoding="utf-8")
    cat = FileCatalog(tmp_path / "dki-jakarta-pusat-pilkada-2024.yaml", shared_data)
    assert [v.version for v in cat.versions("nasional-pilkada-2024")] == ["2024.2", "2024.1"]  # folder first
    sites = mixed[mixed["apk_type"] == "baliho"].copy()
    sites["installed_at"] = np.where(np.arange(len(sites)) % 2 == 0, "2024-10-15T10:00", "2024-11-05T10:00")
    ev = check_batch(cat, sites, DURING)
    late = (ev.table["judged_at"].astype(str).str.startswith("2024-11-05")).to_numpy()
    inside = (ev.table["verdict"] != "OUTSIDE_AREA").to_numpy()
    assert late.any() and (~late).any()
    assert ev.table.loc[late & inside, "rule_ids"].str.contains("N-BALIHO").all()
    assert not ev.table.loc[~late, "rule_ids"].str.contains("N-BALIHO").any()
    used = {(s["kota"], tuple(lv["version"] for lv in s["levels"])) for s in ev.provenance["stacks"]}
    assert ("Kota Administrasi Jakarta Pusat", ("2024.1", "2024.1", "2024.2")) in used
    assert ("Kota Administrasi Jakarta Pusat", ("2024.2", "2024.1", "2024.2")) in used
    assert ("Kota Administrasi Jakarta Selatan", ("2024.2", "2024.1")) in used
    assert resolve_stack(cat, "dki-jakarta-pusat-pilkada-2024").levels[0].version == "2024.2"
