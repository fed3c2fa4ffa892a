"""Coverage tables of the Aturan page: translated gap flags, absent layers and the rules they leave unchecked."""

from __future__ import annotations

import datetime as dt

import pytest

from geozones.app import coverage_view
from geozones.app.i18n import CATALOG
from geozones.sources.coverage import coverage_from_layers


@pytest.fixture(scope="module")
def cov(jakpus_layers):
    return coverage_from_layers(jakpus_layers, today=dt.date(2024, 10, 10))


def test_every_flag_of_the_real_report_is_translated(cov):
    flags = {g for gaps in cov.kelurahan["gaps"] for g in gaps}
    assert any("no school" in g for g in flags) and any("few features" in g for g in flags)
    for g in flags:
        ind = coverage_view.gap_text(g, "id")
        assert ind != g and "gap" not in ind, g  # a change of wording in coverage.py fails here
        assert coverage_view.gap_text(g, "en") == g  # the English text is the report's own


def test_translated_flags_keep_layer_and_numbers():
    assert coverage_view.gap_text("no school in 'education' (likely gap)", "id") == \
        "tidak ada sekolah di 'education' (kemungkinan besar celah)"
    few = coverage_view.gap_text("few features in 'worship': 1 vs kota median 8 (possible gap)", "id")
    assert few == "sedikit objek di 'worship': 1 vs median kota 8 (mungkin celah)"
    assert coverage_view.gap_text("something new", "id") == "something new"


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


def test_gap_keys_exist_for_every_flagged_role():
    from geozones.sources.coverage import EXPECTED_EVERYWHERE, USUALLY_PRESENT

    for role in (*EXPECTED_EVERYWHERE, *USUALLY_PRESENT):
        assert f"gap.none.{role}" in CATALOG


def test_layer_table_text_cells_are_never_none(cov, jakpus_rules):
    from geozones.app.coverage_view import _text

    assert _text(None) == "" and _text(float("nan")) == "" and _text("OSM") == "OSM"
    for lang in ("id", "en"):
        table = coverage_view.layer_table(cov, jakpus_rules, {}, lang)
        for c in table.columns[[table[c].dtype == object for c in table.columns]]:
            assert not table[c].map(lambda v: v is None or v == "None").any(), (lang, c)
