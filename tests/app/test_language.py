"""The language: kept in the page's URL, and every label (chips, APK types) follows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geozones.app.i18n import apk_label

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app(shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    return AppTest.from_file(APP, default_timeout=120)


@pytest.mark.parametrize(("param", "title"), [("en", "Map"), ("EN", "Map"), ("English", "Map"), ("id", "Peta"),
                                              ("fr", "Peta"), ("", "Peta")])
def test_a_link_opens_in_the_language_of_its_lang_parameter(app, param, title):
    app.query_params["lang"] = param
    app.run()
    assert not app.exception
    assert app.title[0].value.startswith(title)


def test_choosing_a_language_writes_it_to_the_url(app):
    app.run()
    assert app.query_params.get("lang") in (["id"], "id")
    app.sidebar.radio(key="lang").set_value("en").run()
    assert app.query_params.get("lang") in (["en"], "en")
    app.switch_page("geozones/app/pages/aturan.py").run()
    assert app.title[0].value == "Active rule set"
    assert app.query_params.get("lang") in (["en"], "en")


def test_the_session_choice_wins_over_a_stale_parameter(app):
    app.query_params["lang"] = "en"
    app.run()
    app.sidebar.radio(key="lang").set_value("id").run()
    assert app.title[0].value.startswith("Peta")
    assert app.query_params.get("lang") in (["id"], "id")


def test_filter_chips_and_apk_labels_follow_the_language(app):
    app.run()
    app.switch_page("geozones/app/pages/cek_daftar.py").run()
    csv = (b"id,lon,lat,apk_type,paslon,installed_at\n"
           b"A1,106.83109,-6.17025,spanduk,1,2024-10-01T08:00\n"
           b"A2,106.8550,-6.1870,baliho,2,2024-10-01T08:00\n")
    app.file_uploader(key="list_file").set_value(("lokasi.csv", csv, "text/csv")).run()
    app.multiselect(key="f_verdict_id").set_value(["FORBIDDEN"]).run()
    app.multiselect(key="f_apk_id").set_value(["spanduk"]).run()
    assert len(app.dataframe[0].value) == 1
    assert list(app.dataframe[0].value["Jenis APK"]) == ["Spanduk"]
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    chips = app.multiselect(key="f_verdict_en")
    assert chips.value == ["FORBIDDEN"] and chips.format_func("FORBIDDEN") == "Forbidden"
    apk = app.multiselect(key="f_apk_en")
    assert apk.value == ["spanduk"] and apk.format_func("spanduk") == "Spanduk (banner)"
    assert len(app.dataframe[0].value) == 1  # the filters are kept across the switch
    assert list(app.dataframe[0].value["APK type"]) == ["Spanduk (banner)"]
    app.multiselect(key="f_verdict_en").set_value([]).run()
    app.sidebar.radio(key="lang").set_value("id").run()
    assert app.multiselect(key="f_verdict_id").value == []  # back in Indonesian: the English choice holds


def test_apk_selectors_and_rules_page_name_types_in_the_language(app):
    app.query_params["lang"] = "en"
    app.run()
    box = app.selectbox(key="peta_apk_en")
    assert box.options[:2] == ["(not given)", "Baliho (large banner)"]
    app.switch_page("geozones/app/pages/aturan.py").run()
    quotas = next(d.value for d in app.dataframe if "Facilitated max." in d.value.columns)
    assert set(quotas["APK type"]) == {"Baliho (large banner)", "Billboard/videotron", "Spanduk (banner)",
                                       "Umbul-umbul (pennant)"}


@pytest.mark.parametrize(("value", "lang", "expected"), [
    ("spanduk", "en", "Spanduk (banner)"), ("umbul-umbul", "id", "Umbul-umbul"), ("videotron", "id",
                                                                                   "Billboard/videotron"),
    (None, "id", "(tidak disebut)"), ("", "en", "(not given)"), ("poster", "en", "poster")])
def test_apk_label(value, lang, expected):
    assert apk_label(value, lang) == expected


def test_map_selects_keep_their_value_across_a_language_switch(app):
    app.run()
    # untouched: the "no choice" option is still chosen in English, not blanked to a placeholder
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.selectbox(key="peta_apk_en").value == "" and app.selectbox(key="peta_apk_en").index == 0
    assert app.selectbox(key="peta_search_en").value == -1 and app.selectbox(key="peta_search_en").index == 0
    # chosen in English, kept back in Indonesian
    app.selectbox(key="peta_apk_en").select("spanduk")
    app.selectbox(key="peta_search_en").select_index(1).run()
    app.sidebar.radio(key="lang").set_value("id").run()
    assert not app.exception
    assert app.selectbox(key="peta_apk_id").value == "spanduk"
    assert app.selectbox(key="peta_search_id").value == 0
    assert app.selectbox(key="peta_apk_id").options[app.selectbox(key="peta_apk_id").index] == apk_label("spanduk",
                                                                                                         "id")
