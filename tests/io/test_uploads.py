"""Issue 13.2/13.7: the app parses uploads in a capped child interpreter; messages name the user's file."""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest

from geozones.app.widgets.uploads import UPLOAD_DIR_PREFIX, app_limits, parse_upload
from geozones.core.errors import InputError
from geozones.io.isolated import _collect


def test_good_upload_is_read_in_the_worker():
    s = parse_upload(b"id,lon,lat,apk_type\nA,106.856,-6.183,spanduk\n", "lokasi.csv")
    assert list(s["site_id"]) == ["A"] and s["apk_type"].iloc[0] == "spanduk"


def test_errors_name_the_file_never_the_temp_path():
    with pytest.raises(InputError) as e:
        parse_upload(b"<kml><broken", "titik saya.kml")
    msg = str(e.value)
    assert "titik saya.kml" in msg and UPLOAD_DIR_PREFIX not in msg and "/tmp" not in msg
    with pytest.raises(InputError) as e:
        parse_upload(b"id,lon,lat\n1,abc,-6.2\n", "rusak.csv")
    assert str(e.value).startswith("rusak.csv, row 1, field 'lon'")


def test_upload_limits_are_checked_before_the_worker_starts():
    lim = dataclasses.replace(app_limits(), max_bytes=100)
    with pytest.raises(InputError, match="max_bytes"):
        parse_upload(b"id,lon,lat\n" + b"1,106.8,-6.2\n" * 20, "big.csv", limits=lim)


def test_a_reader_that_passes_its_memory_cap_is_refused_and_the_server_is_untouched():
    # The cap is on resident memory, imports included (~190 MB here): one row fits under it,
    # 200,000 rows (~320 MB while read) do not.
    lim = dataclasses.replace(app_limits(), max_memory_bytes=260 * 1024 * 1024)
    assert len(parse_upload(b"id,lon,lat\n1,106.8,-6.2\n", "kecil.csv", limits=lim)) == 1
    rows = b"".join(b"%d,106.8,-6.2\n" % i for i in range(200_000))
    with pytest.raises(InputError, match="max_memory_bytes"):
        parse_upload(b"id,lon,lat\n" + rows, "besar.csv", limits=lim)


def test_the_reader_does_not_rerun_the_servers_main_script(tmp_path, monkeypatch):
    """Streamlit makes the app script ``__main__``; a spawned child would run it again (it did, in CI)."""
    script = tmp_path / "app_script.py"
    script.write_text("raise SystemExit('the app script ran in the reader')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    s = parse_upload(b"id,lon,lat\nA,106.856,-6.183\n", "lokasi.csv")
    assert list(s["site_id"]) == ["A"]


def test_a_reader_that_dies_without_an_answer_is_not_called_out_of_memory(tmp_path):
    with pytest.raises(InputError) as e:
        _collect(tmp_path, 1, "titik.csv", str(tmp_path / "x.csv"))
    assert "max_memory_bytes" not in str(e.value) and "exit status 1" in str(e.value)
    assert str(e.value).startswith("titik.csv")


def test_a_worker_past_its_time_is_stopped():
    lim = dataclasses.replace(app_limits(), max_seconds=0.01)
    with pytest.raises(InputError, match="max_seconds"):
        parse_upload(b"id,lon,lat\n1,106.8,-6.2\n", "lambat.csv", limits=lim)


def test_hostile_wide_row_is_refused_by_the_column_limit():
    head = ",".join(f"c{i}" for i in range(3000)).encode()
    with pytest.raises(InputError, match="max_columns"):
        parse_upload(head + b"\n" + b"1," * 2999 + b"1\n", "lebar.csv")
