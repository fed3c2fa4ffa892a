"""Issue 12.1/12.2: the vectorised CSV writer, lean exports with a legend, numeric coordinates at pandas speed."""

from __future__ import annotations

import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geozones.core.errors import InputError
from geozones.io import exports
from geozones.io.sites import read_sites
from geozones.io.tables import read_table

cell_text = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                      st.sampled_from(["a,b", 'say "hi"', "x\r\ny", "=1+1", "", " lead", "R01; R02"]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(cell_text, st.one_of(st.floats(allow_nan=True), st.none()), st.booleans(),
                          st.integers(-10**12, 10**12)), min_size=1, max_size=40))
def test_writer_writes_what_to_csv_writes(rows):
    df = pd.DataFrame({"text": pd.Series([r[0] for r in rows], dtype=object),
                       "num": pd.Series([r[1] for r in rows], dtype=float),
                       "flag": [r[2] for r in rows], "count": [r[3] for r in rows]})
    mine = io.StringIO()
    exports._write_csv(df, mine)
    theirs = io.StringIO()
    df.to_csv(theirs, index=False, lineterminator="\r\n")
    assert mine.getvalue() == theirs.getvalue()


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.floats(), st.floats(min_value=-1e16, max_value=1e16),
                          st.floats(min_value=-1e-3, max_value=1e-3),
                          st.integers(-10**16, 10**16).map(float),
                          st.integers(-10**9, 10**9).map(lambda i: i / 10),
                          # few decimals (the fixed-point path), up to and past its bounds (1e-4, 1e6, 9 places)
                          st.tuples(st.integers(-10**16, 10**16), st.integers(0, 12)).map(lambda t: t[0] / 10**t[1]),
                          st.sampled_from([1e6, 999_999.999_999_999, 1e-4, 0.000_099_999, -0.0, 0.0, 106.8229])),
                min_size=1, max_size=50))
def test_float_cells_are_python_repr(values):
    # Arrow formats most floats; the text must be repr's (what to_csv writes), NaN empty
    got = exports._cells(pd.Series(values, dtype=float))
    assert list(got) == ["" if v != v else repr(v) for v in values]
    many = values * (2_001 // len(values) + 1)  # the path for long columns (distinct values, or each cell)
    assert list(exports._cells(pd.Series(many, dtype=float))) == ["" if v != v else repr(v) for v in many]


def test_writer_in_chunks_and_repeated_texts(monkeypatch):
    monkeypatch.setattr(exports, "WRITE_CHUNK", 7)
    n = 5_003
    df = pd.DataFrame({"id": [f"s{i}" if i % 11 else f"s,{i}" for i in range(n)],
                       "reason": np.array(["R01 35 m dari 'A, B'", "R14", None], dtype=object)[np.arange(n) % 3],
                       "m": np.arange(n) / 7})
    mine = io.StringIO()
    exports._write_csv(df, mine)
    theirs = io.StringIO()
    df.to_csv(theirs, index=False, lineterminator="\r\n")
    assert mine.getvalue() == theirs.getvalue()


def test_export_frame_still_defuses_every_cell_of_large_columns():
    n = 6_000
    ids = np.array([f"id{i}" for i in range(n)], dtype=object)
    ids[[5, 4000]] = ["=HYPERLINK(\"x\")", "@SUM(A1)"]
    rep = np.array(["ok", "+62 811", "a\x01b"], dtype=object)[np.arange(n) % 3]
    df = exports.export_frame(pd.DataFrame({"site_id": ids, "note": rep}), columns=())
    assert df["site_id"][5] == "'=HYPERLINK(\"x\")" and df["site_id"][4000] == "'@SUM(A1)"
    assert df["site_id"][6] == "id6"
    assert set(df["note"]) == {"ok", "'+62 811", "ab"}


def _table():
    return pd.DataFrame({
        "site_id": ["a", "b", "c"], "lon": [106.82, 106.83, 106.9], "lat": [-6.17, -6.18, -6.3],
        "verdict": ["FORBIDDEN", "NEEDS_OWNER_CONSENT", "OUTSIDE_AREA"],
        "kode_kemendagri": ["31.71.01.1001", "31.71.01.1001", None], "kelurahan": ["Gambir", "Gambir", None],
        "kecamatan": ["Gambir", "Gambir", None], "kode_kemendagri_kec": ["31.71.01", "31.71.01", None],
        "kode_bps_kec": ["3173080", "3173080", None], "kode_kemendagri_kota": ["31.71", "31.71", None],
        "kode_bps_kota": ["3173", "3173", None], "kota": ["Kota Administrasi Jakarta Pusat"] * 2 + [None],
        "rule_ids": ["R01", "", ""], "reasons_id": ["R01 di dalam 'Masjid Istiqlal'", "", ""],
        "not_checked": ["R07", "R07", ""],
    })


LEGEND = {"rules": [{"id": "R01", "title": {"id": "Tempat ibadah", "en": "Place of worship"},
                     "verdict": "FORBIDDEN", "form": "inside", "metres": 0.0,
                     "legal_basis": [{"cite": "PKPU 15/2023 Pasal 71 [P]", "instrument": "PKPU 15/2023",
                                      "article": "Pasal 71", "grade": "P", "url": None}],
                     "advisory": False, "note": None,
                     "reason": {"id": "R01 Tempat ibadah: di dalam {name}",
                                "en": "R01 Place of worship: inside {name}"}}],
          "quotas": [], "not_checked": [{"rule_id": "R07", "layer": "public_facilities"}]}


def test_lean_csv_export_moves_kota_columns_into_the_metadata():
    out = exports.csv_export(_table(), attribution=["Rule set / aturan: x"], lang="id", legend=LEGEND, lean=True)
    df = pd.read_csv(io.BytesIO(out.data), dtype=str, keep_default_na=False)
    assert list(df.columns) == ["site_id", "lon", "lat", "verdict", "kode_kemendagri", "kelurahan", "kecamatan",
                                "rule_ids", "reasons"]
    meta = json.loads(out.metadata)
    note = meta["notes"][0]
    assert note["rules"][0]["legal_basis"][0]["grade"] == "P"
    assert note["units"] == [{"kode_kemendagri": "31.71.01.1001", "kode_kemendagri_kec": "31.71.01",
                              "kode_bps_kec": "3173080", "kode_kemendagri_kota": "31.71", "kode_bps_kota": "3173",
                              "kota": "Kota Administrasi Jakarta Pusat"}]
    full = exports.csv_export(_table(), attribution=["x"], lang="id", legend=LEGEND)
    assert "kota" in pd.read_csv(io.BytesIO(full.data)).columns


def test_xlsx_has_a_rules_sheet_and_a_units_sheet_when_lean():
    data = exports.table_xlsx(_table(), attribution=["x"], lang="en", legend=LEGEND, lean=True)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["results", "source", "rules", "units"]
    rows = list(wb["rules"].iter_rows(values_only=True))
    assert rows[0][:3] == ("rule_id", "title", "verdict")
    assert rows[1][0] == "R01" and rows[1][1] == "Place of worship" and "PKPU 15/2023" in rows[1][5]
    data_id = exports.table_xlsx(_table(), attribution=["x"], lang="id", legend=LEGEND)
    assert openpyxl.load_workbook(io.BytesIO(data_id)).sheetnames == ["hasil", "sumber", "aturan"]


# --- 12.2 numeric coordinates --------------------------------------------------------------------------------------

def test_clean_file_parses_coordinates_as_numbers_once(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,lon,lat,apk_type\nA,106.8272,-6.1754,spanduk\nB, 106.8301 ,-6.18,baliho\n", encoding="utf-8")
    fast = read_table(p, numeric_coordinates=True)
    assert fast.attrs["numeric_coordinates"] == ("lon", "lat")
    assert fast["lon"].dtype == np.float64 and fast["id"].tolist() == ["A", "B"]
    slow = read_table(p)
    assert "numeric_coordinates" not in slow.attrs and slow["lon"].tolist() == ["106.8272", "106.8301 "]
    sites = read_sites(p)
    assert sites.geometry.x.tolist() == [106.8272, 106.8301] and sites.geometry.y.tolist() == [-6.1754, -6.18]


@pytest.mark.parametrize("body", [
    "A,106.82,-6.17\nB,abc,-6.18\nC,,-6.19\n",          # not a number, empty
    "A,106.82,-6.17\nB,106.83,−6.18\n",                 # Unicode minus: repaired on the text path
    "A,106.82,-6.17\nB,inf,-6.18\n",                     # not finite
    "A,-6.17,106.82\nB,106.83,-6.18\n",                  # swapped
    "A,106.82,6.17\nB,106.83,-6.18\nC,106.84,-6.19\n",   # lost minus sign (a warning)
    "A,106.82,-6.17\nB,106.82,-6.17\nA,106.84,-6.19\n",  # duplicate id
])
def test_rows_that_fail_a_check_get_the_same_messages_as_before(tmp_path, body):
    p = tmp_path / "s.csv"
    p.write_text("id,lon,lat\n" + body, encoding="utf-8")

    def outcome(numeric: bool):
        import warnings

        from geozones.io.tables import table_to_points
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                df = read_table(p, numeric_coordinates=numeric)
                from geozones.engine.sites import normalize_sites
                g = normalize_sites(table_to_points(df, source=str(p)), source=str(p))
                result = (g.geometry.x.tolist(), g.geometry.y.tolist())
            except InputError as err:
                result = str(err)
        return result, [str(w.message) for w in caught]

    assert outcome(True) == outcome(False)


def test_coordinate_columns_with_hemisphere_columns_stay_on_the_text_path(tmp_path):
    p = tmp_path / "exif.csv"
    p.write_text("id,GPSLongitude,GPSLongitudeRef,GPSLatitude,GPSLatitudeRef\nA,106.82,E,6.17,S\n",
                 encoding="utf-8")
    assert "numeric_coordinates" not in read_table(p, numeric_coordinates=True).attrs
    assert read_sites(p).geometry.y.tolist() == [-6.17]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(95, 141, allow_nan=False), st.floats(-11, 6, allow_nan=False)),
                min_size=1, max_size=30))
def test_fast_path_reads_the_numbers_written(tmp_path_factory, coords):
    p = tmp_path_factory.mktemp("h") / "s.csv"
    lines = ["id,lon,lat"] + [f"s{i},{x!r},{y!r}" for i, (x, y) in enumerate(coords)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = read_sites(p)
    assert g.geometry.x.tolist() == [x for x, _ in coords]
    assert g.geometry.y.tolist() == [y for _, y in coords]


def test_write_table_defusing_on_the_way_writes_what_csv_export_gives(tmp_path):
    n = 4_000
    table = _table().sample(n, replace=True, random_state=1).reset_index(drop=True)
    table["site_id"] = [f"=cmd{i}" if i % 97 == 0 else f"s{i}" for i in range(n)]
    table["catatan"] = np.array(["-minus", "ok, koma", None, "@x"], dtype=object)[np.arange(n) % 4]
    table["campur"] = np.array([1, "=a", None, 2.5], dtype=object)[np.arange(n) % 4]
    for lean in (False, True):
        path = exports.write_table(table, tmp_path / f"t{lean}.csv", "csv", attribution=["x"], lang="id",
                                   legend=LEGEND, lean=lean)
        assert path.read_bytes() == exports.csv_export(table, attribution=["x"], lang="id", lean=lean).data
    back = pd.read_csv(tmp_path / "tFalse.csv", dtype=str, keep_default_na=False)
    assert back["site_id"][0] == "'=cmd0" and back["catatan"][0] == "'-minus" and back["campur"][1] == "'=a"


@settings(max_examples=60, deadline=None)
@given(st.lists(cell_text, min_size=1, max_size=8), st.lists(st.integers(-1, 7), min_size=1, max_size=60))
def test_writer_writes_categorical_columns_as_their_text(values, picks):
    # the CLI hands the repeating columns to the writer as Categoricals: same bytes as the text column
    cats = list(dict.fromkeys(v for v in values if v is not None))
    codes = np.array([p if p < len(cats) else -1 for p in picks])
    text = pd.Series(np.append(np.array(cats, dtype=object), None)[codes], dtype=object)
    coded = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object)))
    for defused in (False, True):
        mine, theirs = io.StringIO(), io.StringIO()
        exports._write_csv(pd.DataFrame({"c": coded, "n": 1.5}), mine, defuse_cells=defused)
        exports._write_csv(pd.DataFrame({"c": text, "n": 1.5}), theirs, defuse_cells=defused)
        assert mine.getvalue() == theirs.getvalue()
    # export_frame defuses categories as it defuses text (and two that become one stay apart as text)
    frame = exports.export_frame(pd.DataFrame({"c": coded}), columns=())
    got = [None if pd.isna(v) else v for v in frame["c"].astype(object)]
    assert got == [exports.defuse(v) if v is not None else None for v in text]


def test_export_frame_defuses_categories_that_would_collide():
    coded = pd.Series(pd.Categorical(["=1", "'=1", "ok", "=1"]))
    frame = exports.export_frame(pd.DataFrame({"c": coded}), columns=())
    assert frame["c"].tolist() == ["'=1", "'=1", "ok", "'=1"]
