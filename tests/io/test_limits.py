"""Issue 13.2: every reader checks its limits before and while it works, with small configured limits."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile

import pytest

from geozones.core.errors import InputError
from geozones.io.files import check_zip
from geozones.io.limits import APP_LIMITS, CLI_LIMITS, Limits, current_limits
from geozones.io.sites import read_sites
from geozones.io.tables import read_table
from tests.io.helpers import write, xlsx

SMALL = Limits(max_bytes=10_000, max_rows=5, max_columns=8, max_line_bytes=200, max_cell_bytes=50,
               max_unpacked_bytes=20_000, max_features=3, max_vertices=10)


def refused(limit: str, fn, *args, **kw) -> str:
    with pytest.raises(InputError) as e:
        fn(*args, **kw)
    msg = str(e.value)
    assert f"({limit})" in msg and f"GEOZONES_LIMIT_{limit.upper()}" in msg, msg
    return msg


def test_defaults_fit_legitimate_inputs_and_nothing_pathological():
    assert CLI_LIMITS.max_rows >= 10_000_000 and APP_LIMITS.max_rows >= 1_000_000
    assert APP_LIMITS.max_bytes == 50 * 1024 * 1024
    for lim in (CLI_LIMITS, APP_LIMITS):
        assert lim.max_columns == 500 and lim.max_line_bytes == 1024 * 1024 and lim.max_cell_bytes == 32 * 1024


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GEOZONES_LIMIT_MAX_ROWS", "123")
    assert current_limits().max_rows == 123
    monkeypatch.setenv("GEOZONES_LIMIT_MAX_ROWS", "many")
    with pytest.raises(InputError, match="GEOZONES_LIMIT_MAX_ROWS"):
        current_limits()


def test_bytes(tmp_path):
    p = write(tmp_path, "big.csv", "id,lon,lat\n" + "1,106.8,-6.2\n" * 1000)
    msg = refused("max_bytes", read_sites, p, limits=SMALL)
    assert "13011 bytes" in msg  # the value found is named


def test_rows_are_counted_before_parsing(tmp_path):
    p = write(tmp_path, "rows.csv", "id,lon,lat\n" + "".join(f"{i},106.8,-6.2\n" for i in range(6)))
    refused("max_rows", read_sites, p, limits=SMALL)
    write(tmp_path, "ok.csv", "id,lon,lat\n" + "".join(f"{i},106.8,-6.2\n" for i in range(5)))
    assert len(read_sites(tmp_path / "ok.csv", limits=SMALL)) == 5


def test_columns(tmp_path):
    p = write(tmp_path, "cols.csv", ",".join(f"c{i}" for i in range(9)) + ",lon,lat\n" + "1," * 9 + "106.8,-6.2\n")
    msg = refused("max_columns", read_sites, p, limits=SMALL)
    assert "found 11" in msg


def test_one_long_line(tmp_path):
    p = write(tmp_path, "line.csv", "id,lon,lat\n1,106.8,-6.2," + "x" * 300 + "\n")
    msg = refused("max_line_bytes", read_sites, p, limits=SMALL)
    assert "line 2" in msg
    # one single line, no newline at all
    refused("max_line_bytes", read_sites, write(tmp_path, "one.csv", "a," * 150), limits=SMALL)


def test_cell_in_a_csv(tmp_path):
    p = write(tmp_path, "cell.csv", 'id,lon,lat,note\n1,106.8,-6.2,"' + "y" * 60 + '"\n')
    msg = refused("max_cell_bytes", read_table, p, limits=SMALL)
    assert "field 'note'" in msg


def test_cell_in_a_workbook_is_found_before_openpyxl_reads_it(tmp_path):
    p = xlsx(tmp_path, "cell.xlsx", {"S": [["id", "lon", "lat", "note"], ["1", 106.8, -6.2, "z" * 5000]]})
    lim = dataclasses.replace(SMALL, max_bytes=10**6, max_unpacked_bytes=10**6, max_cell_bytes=1000)
    msg = refused("max_cell_bytes", read_sites, p, limits=lim)
    assert "xl/" in msg  # names the archive entry holding it


def test_columns_in_a_workbook(tmp_path):
    p = xlsx(tmp_path, "wide.xlsx", {"S": [[f"c{i}" for i in range(20)] + ["lon", "lat"]]})
    refused("max_columns", read_sites, p, limits=dataclasses.replace(SMALL, max_bytes=10**6, max_cell_bytes=1000,
                                                                     max_unpacked_bytes=10**6))


def test_zip_size_is_counted_while_inflating_not_taken_from_the_header(tmp_path):
    big = tmp_path / "liar.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"0" * 200_000)
    # make the member claim 2 KB in both headers: the reader must count what really comes out
    raw = bytearray(big.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = raw.find(sig)
        off = 22 if sig == b"PK\x03\x04" else 24
        raw[i + off:i + off + 4] = (2048).to_bytes(4, "little")
    big.write_bytes(bytes(raw))
    assert zipfile.ZipFile(big).infolist()[0].file_size == 2048
    with pytest.raises(InputError) as e:
        check_zip(big, limits=SMALL)
    assert "max_unpacked_bytes" in str(e.value) or "corrupt" in str(e.value)


def test_zip_bomb_refused_by_actual_size(tmp_path):
    big = tmp_path / "bomb.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"0" * 50_000)
    msg = refused("max_unpacked_bytes", check_zip, big, limits=SMALL)
    assert "entry 'a.txt'" in msg


def test_features_and_vertices(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    pts = gpd.GeoDataFrame({"id": list("abcd")}, geometry=[Point(106.8, -6.2)] * 4, crs=4326)
    pts.to_file(tmp_path / "p.geojson")
    lim = dataclasses.replace(SMALL, max_bytes=10**6)
    refused("max_features", read_sites, tmp_path / "p.geojson", limits=lim)
    ln = gpd.GeoDataFrame({"id": ["a"]}, geometry=[LineString([(106.8 + i * 1e-4, -6.2) for i in range(20)])],
                          crs=4326)
    ln.to_file(tmp_path / "l.geojson")
    from geozones.io.vector import read_vector

    refused("max_vertices", read_vector, tmp_path / "l.geojson", limits=lim)


def test_many_columns_do_not_grow_quadratically(tmp_path):
    """500 extra columns (the default limit) are read in about the time of a few: measured as a same-run ratio."""
    def timed(n):
        head = ",".join(f"c{i}" for i in range(n)) + ",id,lon,lat\n"
        p = write(tmp_path, f"w{n}.csv", head + ",".join("v" for _ in range(n)) + ",1,106.8,-6.2\n")
        t0 = time.perf_counter()
        s = read_sites(p)
        assert len(s.columns) == n + 5
        return time.perf_counter() - t0

    timed(10)
    small, wide = min(timed(50) for _ in range(3)), min(timed(490) for _ in range(3))
    # quadratic growth (one column at a time) made this ratio ~100; linear growth keeps it near 10
    assert wide / small < 40


def test_xlsx_rows_limit_counts_every_sheet(tmp_path):
    p = xlsx(tmp_path, "rows.xlsx", {f"S{k}": [["id", "lon", "lat"]] + [[f"{k}{i}", 106.8, -6.2] for i in range(3)]
                                     for k in range(2)})
    refused("max_rows", read_sites, p, limits=dataclasses.replace(SMALL, max_bytes=10**6, max_unpacked_bytes=10**6,
                                                               max_cell_bytes=1000))


def test_bytes_io_is_not_needed_for_limits():
    # the limits object is plain data: a deployment can build its own
    assert Limits(max_rows=7).max_rows == 7 and isinstance(io.BytesIO(), io.BytesIO)
