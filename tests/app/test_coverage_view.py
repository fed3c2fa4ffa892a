"""Coverage tables of the Aturan page: translated gap flags, absent layers and the rules they leave unchecked."""

from __future__ import annotations

import datetime as dt

import pytest

from geozones.app import coverage_view
from geozones.sources.coverage import EXPECTED_EVERYWHERE, GAP_TEXT, USUALLY_PRESENT, Gap, coverage_from_layers


@pytest.fixture(scope="module")
def cov(jakpus_layers):
    return coverage_from_layers(jakpus_layers, today=dt.date(2024, 10, 10))


def test_every_flag_of_the_real_report_is_translated(cov):
    flags = cov.gap_records
    assert any(g.kind == "none" and g.layer == "education" for g in flags) and any(g.kind == "few" for g in flags)
    for g in flags:
        ind, eng = coverage_view.gap_text(g, "id"), coverage_view.gap_text(g, "en")
        assert ind != eng and "gap" not in ind and "celah" in ind, g
        assert g.layer in ind and g.layer in eng and ("gap" in eng), g
        if g.kind == "few":
            assert f" {g.count} vs " in ind and f"{g.median:g}" in ind, g


def test_translated_flags_keep_layer_and_numbers():
    school = Gap("none", "education", "education", "likely", kelurahan="Gambir")
    assert coverage_view.gap_text(school, "id") == "tidak ada sekolah di 'education' (kemungkinan besar celah)"
    assert coverage_view.gap_text(school, "en") == "no school in 'education' (likely gap)"
    few = Gap("few", "worship", "worship", "possible", count=1, median=8.0)
    assert coverage_view.gap_text(few, "id") == "sedikit objek di 'worship': 1 vs median kota 8 (mungkin celah)"
    assert coverage_view.gap_text(few, "en") == "few features in 'worship': 1 vs kota median 8 (possible gap)"
    half = Gap("few", "worship", "worship", "possible", count=1, median=8.5)
    assert coverage_view.gap_text(half, "en").endswith("1 vs kota median 8.5 (possible gap)")


def test_layer_table_names_what_absent_layers_leave_unchecked(cov, jakpus_rules):
    table = coverage_view.layer_table(cov, jakpus_rules, {"tps": "Lokasi TPS"}, "id").set_index("Nama")
    assert table.loc["tps", "Tersedia"] == "TIDAK TERSEDIA" and table.loc["tps", "Judul"] == "Lokasi TPS"
    assert table.loc["tps", "Aturan tidak diperiksa"] == "R25"
    assert table.loc["worship", "Tersedia"] == "tersedia" and table.loc["worship", "Aturan tidak diperiksa"] == ""
    assert table.loc["worship", "Umur data (tahun)"] == pytest.approx((dt.date(2024, 10, 10)
                                                                      - dt.date(2012, 10, 18)).days / 365.25, abs=0.05)
    items = coverage_view.absent_items(cov, jakpus_rules, "en")
    assert "tps (rules R25 not checked)" in items


def test_kelurahan_table_counts_and_gap_filter(cov):
    full = coverage_view.kelurahan_table(cov, {"education": "Sekolah"}, "id")
    assert len(full) == 44 and "Sekolah" in full.columns
    assert (full["Sekolah"] == cov.kelurahan["n_education"].to_numpy()).all()
    gaps = coverage_view.kelurahan_table(cov, {}, "id", gaps_only=True)
    assert len(gaps) == len(cov.gaps) and (gaps["Kemungkinan celah data"] != "").all()
    first = cov.gaps.iloc[0]
    assert gaps["Kemungkinan celah data"].iloc[0] == "; ".join(g.text("id") for g in first["gaps"])


def test_gap_texts_exist_for_every_flagged_role():
    for role in (*EXPECTED_EVERYWHERE, *USUALLY_PRESENT):
        ind, eng = GAP_TEXT[f"none.{role}"]
        assert ind.strip() and eng.strip() and ind != eng
        for certainty in ("likely", "possible"):
            text = Gap("none", role, role, certainty).text("id")
            assert text.startswith(ind.format(layer=role)) and GAP_TEXT[certainty][0] in text


def test_layer_table_text_cells_are_never_none(cov, jakpus_rules):
    from geozones.app.coverage_view import _text

    assert _text(None) == "" and _text(float("nan")) == "" and _text("OSM") == "OSM"
    for lang in ("id", "en"):
        table = coverage_view.layer_table(cov, jakpus_rules, {}, lang)
        for c in table.columns[[table[c].dtype == object for c in table.columns]]:
            assert not table[c].map(lambda v: v is None or v == "None").any(), (lang, c)
