"""The KPU pages and the public pages on the store (AppTest).

The map component cannot be driven by AppTest (drawing with the mouse is the e2e
test's job); here the draft, history, audit and register pages run for KPU
sessions, refuse the public, and the public map and rules page read the store: a
park published under a decree is FORBIDDEN from its date and a grant shows with
its letter.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DEFAULT_RULES
from tests.store.stacked import import_parents

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PARK_XY = (106.85493, -6.187064)
ROAD_XY = (106.820072, -6.163501)
WIB = dt.timezone(dt.timedelta(hours=7))


def _square(x, y, d=0.0003):
    return {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d],
                                                [x - d, y - d]]]}


@pytest.fixture
def kpu_home(tmp_path, monkeypatch, shared_data):
    from argon2 import PasswordHasher, profiles

    from geozones.services import accounts, drafts, grants, rulesets
    from geozones.services.authz import PUBLIC
    from geozones.store.database import open_store

    monkeypatch.setenv("GEOZONES_HOME", str(tmp_path))
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    monkeypatch.delenv("GEOZONES_DATABASE_URL", raising=False)
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    store = open_store()
    admin = accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")
    ed = accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-pass-123")
    pub = accounts.add_account(store, admin, "pub", role="kpu_publisher", password="pub-pass-12")
    accounts.add_account(store, admin, "bw", role="bawaslu", password="bw-pass-123")
    ed, pub = accounts.authenticate(store, "ed", "ed-pass-123"), accounts.authenticate(store, "pub", "pub-pass-12")
    root = accounts.authenticate(store, "root", "root-pass-1")
    import_parents(store, root, decree_no="SK 135/2024", signed_on=dt.date(2024, 9, 20))  # national, DKI
    rulesets.import_ruleset(store, root, DEFAULT_RULES.read_text(encoding="utf-8"), decree_no="SK 135/2024",
                            signed_on=dt.date(2024, 9, 20))
    v = drafts.new_draft(store, ed, "dki-jakarta-pusat-pilkada-2024", reason="taman")
    v, _, _ = drafts.add_zones(store, ed, v.id, [drafts.ZoneInput(_square(*PARK_XY), "Taman Uji")], "R08",
                               source="digambar oleh ed", reason="survei", data_dir=shared_data)
    v = rulesets.submit(store, ed, v.id, v.row_version, reason="tinjau")
    rulesets.publish(store, pub, v.id, v.row_version, decree_no="SK 200/2024", signed_on=dt.date(2024, 10, 14),
                     effective_from=dt.datetime(2024, 10, 15, tzinfo=WIB), reason="SK taman")
    g = grants.request_grant(store, ed, "dki-jakarta-pusat-pilkada-2024", {
        "id": "D-001", "lifts": ["R05-K", "R15"],
        "place": {"geometry": {"type": "Point", "coordinates": list(ROAD_XY)}, "radius": "15 m"},
        "window": {"start": "2024-10-10T00:00:00+07:00", "end": "2024-11-01T00:00:00+07:00"},
        "reference": grants.PENDING_REFERENCE, "granted_by": "KPU"}, addressee="Satpol PP", reason="paslon 2")
    grants.decide_grant(store, pub, g.id, g.row_version, "granted", reference="123/PL.02.4-SD/3171/2024",
                        conditions={"id": "maks. 2 baliho", "en": "at most 2 baliho"}, reason="ok")
    tokens = {name: accounts.login(store, name, pw)[0]
              for name, pw in (("ed", "ed-pass-123"), ("pub", "pub-pass-12"), ("bw", "bw-pass-123"))}
    store.dispose()
    return tokens


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "error", "warning", "info", "success", "caption", "title",
                                  "subheader", "code") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _page(name: str, token: str | None):
    at = AppTest.from_file(APP, default_timeout=180)
    if token:
        at.session_state["geozones_login_token"] = token
    at.run()
    at.switch_page(f"geozones/app/pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_kpu_pages_for_kpu_sessions_only(kpu_home):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        _page("kpu_draf", None)  # not listed for the public
    # run directly (as a crafted URL would), the page still refuses: the check is not the navigation's
    direct = AppTest.from_file(str(Path(APP).parent / "geozones/app/pages/kpu_draf.py"), default_timeout=120)
    direct.session_state["geozones_login_token"] = kpu_home["bw"]
    direct.run()
    assert not direct.exception
    assert "KPU staff" in _texts(direct) or "staf KPU" in _texts(direct)
    direct = AppTest.from_file(str(Path(APP).parent / "geozones/app/pages/kpu_riwayat.py"), default_timeout=120)
    direct.session_state["geozones_login_token"] = kpu_home["bw"]  # bawaslu reads its own audit entities only
    direct.run()
    assert not direct.exception
    assert "ruleset.publish" not in json.dumps([d.value.to_json() for d in direct.dataframe])
    at = _page("kpu_draf", kpu_home["ed"])
    at.text_input(key="kpu_new_reason").input("uji halaman")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "dki-jakarta-pusat-pilkada-2024@2024.4" in _texts(at) or any(
        "2024.4" in str(s.value) for s in at.selectbox)
    assert any("version: \"2024.4\"" in str(c.value) for c in at.code)


def test_history_diff_and_audit(kpu_home):
    at = _page("kpu_riwayat", kpu_home["pub"])
    frames = [d.value for d in at.dataframe]
    diff = next(f for f in frames if "key" in f.columns)
    added = diff[diff["change_label"].str.contains("added")]
    assert list(added["key"]) == ["R08/kpu-1"]
    audit = next(f for f in frames if "action" in f.columns)
    pub = audit[audit["action"] == "ruleset.publish"].iloc[0]
    assert pub["actor"] == "pub" and pub["reason"] == "SK taman"
    assert (audit[audit["action"] == "draft.add_zone"]["actor"] == "ed").all()


def test_public_map_follows_the_page_date_and_shows_grants(kpu_home):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["selected_point"] = {"lat": PARK_XY[1], "lon": PARK_XY[0]}
    at.run()
    at.text_input(key="peta_at_date").input("20/10/2024").run()
    assert not at.exception, at.exception
    assert any("FORBIDDEN" in str(e.value) for e in at.error), [e.value for e in at.error]
    assert "R08" in _texts(at)
    at.text_input(key="peta_at_date").input("10/10/2024").run()
    assert not any("FORBIDDEN" in str(e.value) for e in at.error)
    at = _page("aturan", None)
    at.text_input(key="aturan_at_date").input("20/10/2024").run()  # the page shows the grants of its date
    assert not at.exception, at.exception
    grants_table = next(d.value for d in at.dataframe if any("123/PL.02.4-SD/3171/2024" in str(v)
                                                             for v in d.value.to_numpy().ravel()))
    assert "maks. 2 baliho" in grants_table.to_string()


def test_grants_layer_shows_grants_in_force_with_letter_and_escapes():
    from geozones.app import mapview
    from geozones.rules.model import Grant

    g = Grant.model_validate({
        "id": "D-<b>1</b>", "lifts": ["R15"], "reference": "123/PL.02.4-SD/3171/2024", "granted_by": "pub",
        "place": {"geometry": {"type": "Point", "coordinates": list(ROAD_XY)}, "radius": "15 m"},
        "window": {"start": "2024-10-10T00:00:00+07:00", "end": "2024-11-01T00:00:00+07:00"},
        "conditions": {"id": "maks. 2 baliho <script>", "en": "at most 2 baliho"}})
    assert mapview.grants_layer([g], dt.datetime(2024, 11, 2, tzinfo=WIB)) is None
    m = mapview.base_map()
    mapview.grants_layer([g], dt.datetime(2024, 10, 20, tzinfo=WIB)).add_to(m)
    html = m.get_root().render()
    assert "123/PL.02.4-SD/3171/2024" in html and "10-10-2024 00:00 WIB" in html and "maks. 2 baliho" in html
    assert "<script>" not in html.split("maks. 2 baliho")[1][:20] and "<b>1</b>" not in html
    assert "$(`" not in html  # no jQuery: the offline map does not load it (the map stopped at a grant's popup)


def test_history_page_prepares_exports_of_the_published_version(kpu_home):
    import io

    import geopandas as gpd
    import openpyxl

    at = _page("kpu_riwayat", kpu_home["pub"])
    versions = next(d.value for d in at.dataframe if "decree" in d.value.columns)
    published = versions[versions["status"] == "published"].iloc[0]
    assert at.selectbox(key="kpu_export_version").value == published["version"]
    at.selectbox(key="kpu_export_format").set_value("geojson")
    at.button(key="kpu_export_prepare").click().run()
    assert not at.exception, at.exception
    (_rid, version, fmt), out = at.session_state["kpu_export"]
    assert (version, fmt) == (published["version"], "geojson")
    zones = gpd.read_file(io.BytesIO(out.data))
    assert list(zones.loc[zones["rule_id"] == "R08", "name"]) == ["Taman Uji"]
    assert set(zones["decree_no"]) == {published["decree"]}
    at.selectbox(key="kpu_export_format").set_value("annex-xlsx")
    at.button(key="kpu_export_prepare").click().run()
    assert not at.exception, at.exception
    out = at.session_state["kpu_export"][1]
    rows = list(openpyxl.load_workbook(io.BytesIO(out.data))["lampiran"].iter_rows(values_only=True))
    col = {h: i for i, h in enumerate(rows[0])}
    assert {r[col["Nomor SK / Decree no."]] for r in rows[1:]} == {published["decree"]}
    assert any(r[col["Nomor surat / Letter no."]] == "123/PL.02.4-SD/3171/2024" for r in rows[1:])


def test_schedule_errors_show_beside_the_field_before_saving(kpu_home):
    import yaml

    at = _page("kpu_draf", kpu_home["ed"])
    at.text_input(key="kpu_new_reason").input("jadwal")
    at.button[0].click().run()
    assert not at.exception, at.exception

    def field(suffix):
        return next(t for t in at.text_input if t.key and t.key.startswith("kpu_sched_") and t.key.endswith(suffix))

    inherited = field("_campaign_start").value
    assert inherited  # the national schedule, shown to start from
    field("_quiet_period_start").input("20-11-2024 00:00").run()
    assert not at.exception, at.exception
    errors = [str(e.value) for e in at.error]
    assert any("quiet_period" not in e and "campaign" in e and "20" in e for e in errors), errors
    assert at.button(key="kpu_sched_save").disabled
    field("_quiet_period_start").input("24-11-2024 00:00").run()
    field("_source").input("SK KPU Jakpus <uji>").run()
    assert not at.error and not at.button(key="kpu_sched_save").disabled
    at.text_input(key="kpu_sched_reason").input("jadwal kota").run()
    at.button(key="kpu_sched_save").click().run()
    assert not at.exception, at.exception
    text = next(str(c.value) for c in at.code if "version:" in str(c.value))
    assert yaml.safe_load(text)["schedule"]["source"] == "SK KPU Jakpus <uji>"


def _loaded(m) -> list[dict]:
    """The features the editor map loads into its Draw group (as leaflet-draw would send them back)."""
    from geozones.app.widgets.draw import EditableFeatures

    def walk(el):
        for child in el._children.values():
            if isinstance(child, EditableFeatures):
                return json.loads(child.data_js)["features"]
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(m) or []


def _submit(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_draft_map_draws_every_zone_and_offers_the_stacks_rules(kpu_home, monkeypatch):
    """Issues 1-3: the kota level's own zones and the overlay park are on the editor map with rule and name; the
    rule list is the flattened stack's (R08 of DKI first by default, with its level); a drawn zone saved shows a
    message after the rerun, the form is emptied, and it is on the map (a second click adds nothing)."""
    from geozones.app.widgets import draw

    seen: list[list[dict]] = []
    keys: list[str] = []

    def fake_st_folium(m, **kwargs):
        # the officer drew one polygon on the draft's first map; a saved draft has a new row version, so a new
        # map key, which starts from the stored zones (as the browser's component does)
        loaded = _loaded(m)
        seen.append(loaded)
        keys.append(kwargs["key"])
        new = [{"type": "Feature", "geometry": _square(PARK_XY[0] + 0.002, PARK_XY[1]), "properties": {}}]
        return {"all_drawings": loaded + (new if kwargs["key"] == keys[-1] == keys[0] else []),
                "last_active_drawing": None}

    monkeypatch.setattr(draw, "st_folium", fake_st_folium)
    at = _page("kpu_draf", kpu_home["ed"])
    at.text_input(key="kpu_new_reason").input("zona baru")
    at.button[0].click().run()
    assert not at.exception, at.exception
    labels = {f["properties"]["zone_id"]: f["properties"]["label"] for f in seen[-1]}
    assert labels["kpu-1"] == "R08 · Taman Uji"
    yaml_zones = [z for z in labels if not z.startswith("kpu-")]
    assert yaml_zones, labels  # the kota level's own zones (R08-N ...) are drawn too
    assert all(" · " in labels[z] for z in yaml_zones)
    rule = at.selectbox(key="kpu_zone_rule")
    assert rule.value == "R08"
    assert any(o.startswith("R08 ") and "dki-jakarta" in o and "pusat" not in o for o in rule.options), rule.options
    assert any(o.startswith("R08-N ") and "dki-jakarta-pusat-pilkada-2024" in o for o in rule.options)
    assert "Zona baru dari peta**: 1" in _texts(at) or "New zones from the map**: 1" in _texts(at)
    at.text_input(key="kpu_zone_name").input("Taman Baru")
    at.text_input(key="kpu_zone_reason").input("survei 12/10")
    _submit(at, "Simpan zona").click().run()
    assert not at.exception, at.exception
    saved = [str(x.value).replace("\\", "") for x in at.success]
    assert any("R08" in x and "kpu-2" in x for x in saved), saved
    assert at.text_input(key="kpu_zone_name").value == "" and at.text_input(key="kpu_zone_reason").value == ""
    on_map = {f["properties"]["zone_id"]: f["properties"]["label"] for f in seen[-1]}
    assert on_map["kpu-2"] == "R08 · Taman Baru"
    at.text_input(key="kpu_zone_reason").input("lagi")
    _submit(at, "Simpan zona").click().run()
    assert not at.exception, at.exception
    assert any("no zone to add" in str(e.value) for e in at.error)
    assert sum(z.startswith("kpu-") for z in {f["properties"]["zone_id"] for f in seen[-1]}) == 2


def test_publish_reruns_to_the_published_status_without_draft_actions(kpu_home):
    from geozones.services import accounts, drafts, rulesets
    from geozones.store.database import open_store

    store = open_store()
    try:
        ed = accounts.authenticate(store, "ed", "ed-pass-123")
        v = drafts.new_draft(store, ed, "dki-jakarta-pusat-pilkada-2024", reason="terbit")
        rulesets.submit(store, ed, v.id, v.row_version, reason="tinjau")
    finally:
        store.dispose()
    at = _page("kpu_draf", kpu_home["pub"])
    assert at.button(key="kpu_withdraw") and "in_review" in _texts(at).replace("\\", "")
    at.text_input(key="kpu_decree").input("SK 300/2024")
    at.text_input(key="kpu_signed").input("30/10/2024")
    at.text_input(key="kpu_from").input("01/11/2024")
    at.text_input(key="kpu_pub_reason").input("SK baru")
    _submit(at, "Terbitkan").click().run()
    assert not at.exception, at.exception
    done = [str(x.value).replace("\\", "") for x in at.success]
    assert any("Diterbitkan" in x and "published" in x and "SK 300/2024" in x for x in done), done
    keys = {b.key for b in at.button}
    assert not keys & {"kpu_withdraw", "kpu_return", "kpu_submit"}, keys
    assert "in_review" not in _texts(at).replace("\\", "")
    at.run()  # the message is shown once
    assert not any("Diterbitkan" in str(x.value) for x in at.success)


def test_discretion_form_starts_empty_in_the_campaign_and_decisions_fit_the_grant(kpu_home):
    at = _page("kpu_diskresi", kpu_home["pub"])
    assert at.number_input(key="kpu_g_lon").value is None and at.number_input(key="kpu_g_lat").value is None
    assert at.text_input(key="kpu_g_lifts").value == "" and at.text_input(key="kpu_g_radius").value == ""
    start, end = at.date_input(key="kpu_g_from").value, at.date_input(key="kpu_g_to").value
    assert start.year == 2024 and start < end and (end - start).days > 30  # the campaign, not today
    assert not at.warning
    at.date_input(key="kpu_g_to").set_value(end + dt.timedelta(days=30)).run()
    assert any("di luar masa kampanye" in str(w.value) and "outside" in str(w.value) for w in at.warning)
    decision = at.radio(key="kpu_d_decision")
    assert decision.options == ["Dikabulkan / granted", "Ditolak / refused", "Dicabut / revoked"]
    assert decision.value == "granted"
    assert at.selectbox(key="kpu_d_id").options == []  # D-001 is already granted
    assert at.selectbox(key="kpu_d_id").value is None
    decision.set_value("revoked").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="kpu_d_id").options == ["D-001"]


def test_zone_reshaped_on_the_map_is_saved_with_a_reason(kpu_home, monkeypatch):
    """The map's answer is stood in for (AppTest cannot run the component): the stored park comes back larger, as
    leaflet-draw's edit tool would send it; the page lists it, asks a reason and saves the new outline."""
    import shapely.geometry

    from geozones.app.widgets import draw
    from geozones.services import accounts, drafts
    from geozones.store.database import open_store

    bigger = _square(*PARK_XY, 0.0005)
    calls = []

    def fake_st_folium(m, **kwargs):
        calls.append(kwargs["key"])
        loaded = _loaded(m)
        for f in loaded:
            if f["properties"]["zone_id"] == "kpu-1":
                f["geometry"] = bigger
        return {"all_drawings": loaded, "last_active_drawing": None}

    monkeypatch.setattr(draw, "st_folium", fake_st_folium)
    at = _page("kpu_draf", kpu_home["ed"])
    at.text_input(key="kpu_new_reason").input("bentuk taman")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert calls, "the draft's map was not drawn"
    listed = next(d.value for d in at.dataframe if list(d.value.columns[:1]) == ["zone_id"]
                  and len(d.value.columns) == 2)
    assert list(listed["zone_id"]) == ["kpu-1"]
    at.button(key="kpu_reshape_save").click().run()  # no reason: refused, nothing saved
    assert not at.exception, at.exception
    assert any("reason" in str(e.value) for e in at.error)
    at.text_input(key="kpu_reshape_reason").input("ukur ulang <lapangan>").run()
    at.button(key="kpu_reshape_save").click().run()
    assert not at.exception, at.exception
    saved = [str(s.value).replace("\\", "") for s in at.success]  # markdown-escaped
    assert any("kpu-1 (" in s and "m²)" in s for s in saved), saved
    assert not any(b.key == "kpu_reshape_save" for b in at.button)  # the map now matches the store
    assert not any(b.key == "kpu_del" for b in at.button)  # the other zones came back as they were
    store = open_store()
    try:
        ed = accounts.authenticate(store, "ed", "ed-pass-123")
        from geozones.services import rulesets

        draft = next(v for v in rulesets.list_versions(store, ed, "dki-jakarta-pusat-pilkada-2024")
                     if v.status == "draft")
        park = next(z for z in drafts.draft_zones(store, ed, draft.id) if z["zone_id"] == "kpu-1")
        assert shapely.geometry.shape(park["geometry"]).equals(shapely.geometry.shape(bigger))
    finally:
        store.dispose()
