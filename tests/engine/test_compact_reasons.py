"""Issue 12.1: compact / full / no reasons, one or both languages, change no verdict, rule id or distance."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geozones.cli import main
from geozones.engine import judge
from geozones.engine.compile import prepare
from geozones.engine.explain import explain, legend
from geozones.engine.reasons import join_per_site

AT = "2024-10-15T10:00"
APK = np.array(["spanduk", "baliho", "billboard", "umbul_umbul", None], dtype=object)


def _sites(layers, n: int, seed: int) -> gpd.GeoDataFrame:
    """Seeded sites in the bounding box of Jakarta Pusat (some outside it), some of unknown APK type."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = layers.get("kota").geometry.iloc[0].bounds
    pts = shapely.points(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n))
    return gpd.GeoDataFrame({"site_id": [f"s{i}" for i in range(n)], "apk_type": rng.choice(APK, n),
                             "paslon": None}, geometry=pts, crs=4326)


@pytest.fixture(scope="module")
def judged(jakpus_layers, jakpus_rules):
    from geozones.engine.sites import normalize_sites

    prep = prepare(jakpus_layers, jakpus_rules)
    sites = normalize_sites(_sites(jakpus_layers, 600, 12))
    return judge(sites, prep, AT)


COMBOS = [("full", "both"), ("compact", "id"), ("compact", "en"), ("compact", "both"), ("none", "id")]


def test_every_reasons_choice_gives_the_same_verdicts_rule_ids_and_distances(judged):
    tables = {c: explain(judged, reasons=c[0], lang=c[1]).table for c in COMBOS}
    ref = tables[("full", "both")]
    assert ref["verdict"].nunique() >= 4  # the sample reaches several verdicts, outside included
    assert (ref["apk_type"].isna() & (ref["verdict_by_type"] != "")).any()  # and sites of unknown type
    for combo, t in tables.items():
        for col in ("site_id", "verdict", "rule_ids", "grant_ids", "verdict_by_type", "advisory", "unverified",
                    "kelurahan", "nearest_name"):
            assert t[col].tolist() == ref[col].tolist(), (combo, col)
        np.testing.assert_array_equal(t["nearest_m"].to_numpy(), ref["nearest_m"].to_numpy())
    assert {"reasons_id", "reasons_en"} <= set(tables[("compact", "both")].columns)
    assert "reasons_en" not in tables[("compact", "id")].columns
    assert "reasons_id" not in tables[("compact", "en")].columns
    assert not {"reasons_id", "reasons_en"} & set(tables[("none", "id")].columns)


def test_compact_reason_names_rule_feature_and_distance_and_nothing_general(judged):
    full = explain(judged, reasons="full").table
    compact = explain(judged, reasons="compact", lang="both").table
    for i in np.flatnonzero(full["rule_ids"].to_numpy() != ""):
        ids = full["rule_ids"].iloc[i].split(";")
        text_id, text_en = compact["reasons_id"].iloc[i], compact["reasons_en"].iloc[i]
        for rid in ids:  # every deciding rule is named in both languages
            assert rid in text_id and rid in text_en
        assert "Dasar:" not in text_id and "Basis:" not in text_en  # the legal basis lives in the legend
        assert len(text_id) < len(full["reasons_id"].iloc[i])
    # sites with no rule (default verdict, outside the area) carry no text; their verdict says it
    none = (full["rule_ids"] == "").to_numpy() & (full["verdict_by_type"] == "").to_numpy()
    assert (compact["reasons_id"].to_numpy()[none] == "").all()
    metres = [t for t in compact["reasons_en"] if " m from " in t]
    assert metres and all(any(p.split(" m from ")[0].split()[-1].isdigit() for p in t.split("; ") if " m from " in p)
                          for t in metres)


def test_legend_carries_each_rules_legal_basis_grade_and_note_once(judged):
    lg = legend(judged)
    rules = {r["id"]: r for r in lg["rules"]}
    assert set(rules) == {c.rule.id for c in judged.prepared.rules}
    for c in judged.prepared.rules:
        r = rules[c.rule.id]
        assert r["verdict"] == c.rule.verdict.value
        assert [b["grade"] for b in r["legal_basis"]] == [b.grade for b in c.rule.legal_basis]
        assert r["advisory"] == bool(c.rule.advisory)
        assert (r["note"] is None) == (c.rule.note is None)
        assert r["reason"]["id"].startswith(f"{c.rule.id} ")
    assert lg["default"]["verdict"] == judged.prepared.ruleset.default_verdict.value
    assert [c["rule_id"] for c in lg["not_checked"]] == [c["rule_id"] for c in judged.prepared.not_checked]
    json.dumps(lg)  # goes into metadata files as JSON


def test_unknown_reason_mode_is_refused(judged):
    with pytest.raises(ValueError):
        explain(judged, reasons="short")
    with pytest.raises(ValueError):
        explain(judged, reasons="compact", lang="fr")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.text(max_size=4)), max_size=25), st.text(max_size=3),
       st.sampled_from([" | ", "; ", ";"]))
def test_join_per_site_joins_each_sites_texts_in_order(pairs, default, sep):
    pairs = sorted(pairs, key=lambda p: p[0])
    site = np.array([p[0] for p in pairs], dtype=np.int64)
    texts = [p[1] for p in pairs]
    got = join_per_site(7, site, texts, default, sep=sep)
    for s in range(7):
        mine = [t for k, t in pairs if k == s]
        assert got[s] == (sep.join(mine) if mine else default)
    got_u = join_per_site(7, site, texts, default, sep=sep, unique=True)
    for s in range(7):
        mine = list(dict.fromkeys(t for k, t in pairs if k == s))
        assert got_u[s] == (sep.join(mine) if mine else default)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["R01 'A'", "R02", "R01 'B, C'", "", "x"])),
                max_size=200), st.sampled_from([" | ", "; "]))
def test_join_per_site_with_many_repeated_sequences(pairs, sep):
    # sites sharing a sequence of texts share one joined text: each must still be that site's own join
    pairs = sorted(pairs, key=lambda p: p[0])
    site = np.array([p[0] for p in pairs], dtype=np.int64)
    got = join_per_site(41, site, [p[1] for p in pairs], "-", sep=sep)
    for s in range(41):
        mine = [t for k, t in pairs if k == s]
        assert got[s] == (sep.join(mine) if mine else "-")


def test_cli_reasons_and_lang_choices_write_the_same_verdicts(jakpus_layers, shared_data, tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    s = _sites(jakpus_layers, 300, 5)
    src = tmp_path / "sites.csv"
    pd.DataFrame({"id": s["site_id"], "lon": s.geometry.x, "lat": s.geometry.y,
                  "apk_type": s["apk_type"]}).to_csv(src, index=False)
    frames = {}
    for reasons, lang in [("full", "both"), ("compact", "id"), ("compact", "en"), ("compact", "both"),
                          ("none", "id"), ("full", "en")]:
        out = tmp_path / f"{reasons}-{lang}.csv"
        assert main(["check", str(src), "--at", AT, "--out", str(out), "--reasons", reasons, "--lang", lang]) == 0
        frames[(reasons, lang)] = pd.read_csv(out, dtype=str, keep_default_na=False)
        meta = json.loads((tmp_path / f"{reasons}-{lang}.csv-metadata.json").read_text(encoding="utf-8"))
        titles = [c["titles"] for c in meta["tableSchema"]["columns"]]
        assert titles == list(frames[(reasons, lang)].columns)
        assert meta["notes"][0]["rules"]  # the legend: each rule once
        if reasons != "full":  # lean rows: kecamatan/kota codes once per kelurahan, in the metadata
            assert "kota" not in titles and "not_checked" not in titles
            units = {u["kode_kemendagri"]: u for u in meta["notes"][0]["units"]}
            df = frames[(reasons, lang)]
            inside = df[df["kode_kemendagri"] != ""]
            assert set(inside["kode_kemendagri"]) <= set(units)
            assert all(units[k]["kota"] == "Kota Administrasi Jakarta Pusat" for k in inside["kode_kemendagri"])
    capsys.readouterr()
    ref = frames[("full", "both")]
    for key, df in frames.items():
        for col in ("site_id", "verdict", "rule_ids", "nearest_m", "kode_kemendagri", "grant_ids"):
            assert df[col].tolist() == ref[col].tolist(), (key, col)
    assert "reasons_en" in ref.columns and "reasons_en" in frames[("compact", "both")].columns
    assert "reasons_en" not in frames[("compact", "id")].columns
    assert "reasons" not in frames[("none", "id")].columns
    assert frames[("full", "en")]["reasons"].str.contains("Basis:").any()


def test_categorical_columns_hold_the_same_values_as_text_columns(judged):
    # the CLI's CSV path asks for codes; every value and missing cell stays as the app's table has it
    plain = explain(judged, reasons="compact", lang="id").table
    coded = explain(judged, reasons="compact", lang="id", categorical=True).table
    assert list(coded.columns) == list(plain.columns)
    cats = [c for c in coded.columns if isinstance(coded[c].dtype, pd.CategoricalDtype)]
    assert {"verdict", "kelurahan", "kecamatan", "kode_bps", "nearest_name", "nearest_layer"} <= set(cats)
    assert not [c for c in plain.columns if isinstance(plain[c].dtype, pd.CategoricalDtype)]
    assert coded["kelurahan"].isna().any() and coded["nearest_name"].isna().any()  # outside / nothing near
    for c in plain.columns:
        if c != plain.geometry.name:
            a, b = plain[c].astype(object), coded[c].astype(object)
            assert a.isna().tolist() == b.isna().tolist(), c
            assert a[a.notna()].tolist() == b[b.notna()].tolist(), c
