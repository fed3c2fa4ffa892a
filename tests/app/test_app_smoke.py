"""AppTest smoke tests: every page runs; the verdict panel, language toggle and uploads work.

AppTest cannot drive the map component (it shows as UnknownElement), so the
click is injected through ``st.session_state["selected_point"]``, the key the
app copies a real click into; real clicks are covered by the e2e tests.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [f"geozones/app/pages/{name}.py" for name in ("peta", "cek_daftar", "di_mana_boleh", "aturan")]
ISTIQLAL = {"lat": -6.17025, "lon": 106.83109}


@pytest.fixture
def app(shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    return AppTest.from_file(APP, default_timeout=120)


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "error", "warning", "info", "success", "caption", "title",
                                  "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_runs(app, page_path):
    app.run()
    app.switch_page(page_path)
    app.run()
    assert not app.exception, app.exception
    assert app.title, "each page has a title"


def test_map_page_verdict_panel_from_session_state(app):
    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    app.text_input(key="peta_at_date").input("10/10/2024").run()
    assert not app.exception
    boxes = [e.value for e in app.error]
    assert any("FORBIDDEN" in b and "Dilarang" in b for b in boxes), boxes
    text = _texts(app)
    assert "Masjid Istiqlal" in text and "R01" in text and "PKPU" in text
    assert "Pasar Baru" in text and "31\\.71\\.02\\.1001" in text  # kelurahan and code (markdown-escaped)
    assert "Dinilai untuk\\: 10\\-10\\-2024 12\\:00 WIB" in text  # the date and time it was judged for


def test_map_page_verdict_panel_shows_what_the_verdict_rests_on(app, shared_data):
    from geozones.io.files import file_digest

    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    assert not app.exception
    text = _texts(app)
    assert "Dasar putusan\\: aturan dki\\-jakarta\\-pusat\\-pilkada\\-2024 v2024\\.2" in text
    # the worship layer's row carries the digest of the very file it was read from
    digest = file_digest(shared_data / "jakpus_worship.geojson")
    assert f"| worship | {digest.replace(':', chr(92) + ':')} |" in text
    app.sidebar.radio(key="lang").set_value("en").run()
    assert "Verdict rests on\\: rule set dki\\-jakarta\\-pusat\\-pilkada\\-2024 v2024\\.2" in _texts(app)


def test_map_page_quiet_period_is_out_of_window(app):
    app.session_state["selected_point"] = {"lat": -6.1870, "lon": 106.8550}  # a side street, Senen
    app.run()
    app.text_input(key="peta_at_date").input("25/11/2024").run()
    assert not app.exception
    assert any("OUT_OF_WINDOW" in e.value for e in app.error), [e.value for e in app.error]


def test_language_toggle_switches_ui_and_reasons(app):
    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    assert app.title[0].value.startswith("Peta")
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.title[0].value.startswith("Map")
    text = _texts(app)
    assert "Place of worship" in text and "Forbidden" in text
    assert "Tempat ibadah" not in text


def test_bad_upload_names_rows(app):
    app.run()
    app.switch_page("geozones/app/pages/cek_daftar.py").run()
    bad = b"id,lon,lat\nA1,106.83,-6.17\nA2,abc,-6.18\nA3,106.84,xyz\n"
    app.file_uploader(key="list_file").set_value(("rusak.csv", bad, "text/csv")).run()
    assert not app.exception
    errors = "\n".join(e.value for e in app.error)
    assert "rusak\\.csv" in errors
    assert "baris 2" in errors and "baris 3" in errors and "kolom \\'lon\\'" in errors, errors
    app.sidebar.radio(key="lang").set_value("en").run()
    errors = "\n".join(e.value for e in app.error)
    assert "The file cannot be used" in errors and "row 2" in errors and "field \\'lat\\'" in errors, errors
    assert "/tmp" not in errors and "geozones\\-upload" not in errors  # no server path


def test_good_upload_gives_table_quota_and_downloads(app):
    app.run()
    app.switch_page("geozones/app/pages/cek_daftar.py").run()
    csv = (b"id,lon,lat,apk_type,paslon,installed_at\n"
           b"A1,106.83109,-6.17025,spanduk,1,2024-10-01T08:00\n"
           b"<img src=x onerror=alert(1)>,106.8550,-6.1870,spanduk,2,2024-10-01T08:00\n"
           b"A3,106.70,-6.30,spanduk,2,2024-10-01T08:00\n")
    app.file_uploader(key="list_file").set_value(("lokasi.csv", csv, "text/csv")).run()
    assert not app.exception, app.exception
    df = app.dataframe[0].value
    assert len(df) == 3
    verdicts = list(df.iloc[:, 1])
    assert verdicts[0] == "Dilarang" and verdicts[2] == "Di luar wilayah"
    assert "<img src=x onerror=alert(1)>" in list(df.iloc[:, 0])  # kept verbatim in a (safe) dataframe
    assert len(app.get("download_button")) >= 4  # sample + CSV, GeoJSON, XLSX
    app.multiselect(key="f_verdict_id").set_value(["FORBIDDEN"]).run()
    assert len(app.dataframe[0].value) == 1


def test_where_page_shares_and_annex(app):
    app.run()
    app.switch_page("geozones/app/pages/di_mana_boleh.py").run()
    assert not app.exception
    kec = app.dataframe[0].value  # the schedule is a markdown table, not a dataframe
    assert len(kec) == 8  # the eight kecamatan of Jakarta Pusat
    kel = app.dataframe[1].value
    assert len(kel) == 44
    assert any(b.proto.label.startswith("Unduh lampiran") for b in app.get("download_button"))


def test_rules_page_lists_rules_and_absent_layers(app):
    app.run()
    app.switch_page("geozones/app/pages/aturan.py").run()
    assert not app.exception
    rules = app.dataframe[0].value  # the schedule is a markdown table, not a dataframe
    assert "R01" in set(rules.iloc[:, 0]) and "R25" in set(rules.iloc[:, 0])
    assert any("tps" in w.value for w in app.warning)


def _frame_with(app, column):
    frames = [d.value for d in app.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in app.dataframe]
    return frames[0]


def test_rules_page_shows_data_coverage_and_what_absent_layers_leave_unchecked(app):
    app.run()
    app.switch_page("geozones/app/pages/aturan.py").run()
    assert not app.exception
    layers = _frame_with(app, "Aturan tidak diperiksa").set_index("Nama")
    assert layers.loc["kelurahan", "Tersedia"] == "tersedia" and layers.loc["kelurahan", "Jumlah objek"] == 44
    assert "CC BY-IGO" in layers.loc["kelurahan", "Lisensi"] and layers.loc["kelurahan", "Umur data (tahun)"] > 4
    assert "ODbL" in layers.loc["worship", "Lisensi"] and "OpenStreetMap" in layers.loc["worship", "Sumber"]
    assert layers.loc["tps", "Tersedia"] == "TIDAK TERSEDIA" and layers.loc["tps", "Aturan tidak diperiksa"] == "R25"
    assert pd.isna(layers.loc["tps", "Jumlah objek"])
    warning = "\n".join(w.value for w in app.warning)
    assert "tps \\(aturan R25 tidak diperiksa\\)" in warning, warning
    kel = _frame_with(app, "Kemungkinan celah data")
    assert len(kel) == 44 and kel["Tempat ibadah"].sum() > 200  # every kelurahan, with real counts
    flags = kel.set_index("Kelurahan")["Kemungkinan celah data"]
    assert "tidak ada sekolah di 'education' (kemungkinan besar celah)" in flags["Bungur"]
    assert flags["Kebon Sirih"] == ""  # a well-mapped kelurahan has no flag
    captions = "\n".join(c.value for c in app.caption)
    assert "OpenStreetMap contributors" in captions and "BPS" in captions  # the attribution
    app.toggle(key="cov_only_gaps").set_value(True).run()
    only = _frame_with(app, "Kemungkinan celah data")
    assert 0 < len(only) < 44 and (only["Kemungkinan celah data"] != "").all()
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    layers = _frame_with(app, "Rules not checked").set_index("Name")
    assert layers.loc["tps", "Present"] == "ABSENT" and layers.loc["tps", "Rules not checked"] == "R25"
    flags = _frame_with(app, "Possible data gaps").set_index("Kelurahan")["Possible data gaps"]
    assert "no school in 'education' (likely gap)" in flags["Bungur"]


def test_tables_show_a_dash_not_none_for_missing_values(app):
    app.run()
    app.switch_page("geozones/app/pages/aturan.py").run()
    layers = _frame_with(app, "Aturan tidak diperiksa")
    assert layers["Jumlah objek"].isna().any()  # absent layers have no count...
    frames = list(app.dataframe)
    assert frames and all(d.proto.placeholder == "—" for d in frames)  # ...drawn as "—", not "None"
    app.switch_page("geozones/app/pages/cek_daftar.py").run()
    csv = b"id,lon,lat\nA1,106.70,-6.30\n"  # outside the area: no kelurahan, no nearest place
    app.file_uploader(key="list_file").set_value(("luar.csv", csv, "text/csv")).run()
    assert not app.exception
    assert app.dataframe[0].proto.placeholder == "—"  # (its height is checked in the browser, test_e2e)
