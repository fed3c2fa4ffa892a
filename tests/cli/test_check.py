"""``geozones check`` refuses what it cannot write or read with exit code 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys


def test_writing_into_a_directory_is_exit_2(shared_data, tmp_path):
    sites = tmp_path / "s.csv"
    sites.write_text("id,lon,lat\na,106.83109,-6.17025\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(sites), "--data-dir", str(shared_data),
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    # the folder has no extension: refused as unknown format; a folder named x.csv: cannot write
    assert r.returncode == 2 and "Traceback" not in r.stderr
    folder = tmp_path / "x.csv"
    folder.mkdir()
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(sites), "--data-dir", str(shared_data),
                        "--out", str(folder)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_offset_times_out_of_range_in_geojson_are_exit_2(tmp_path, shared_data):
    p = tmp_path / "y.geojson"
    p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a",'
                 '"installed_at":"3000-01-01T00:00:00+07:00"},"geometry":{"type":"Point","coordinates":[106.83,-6.17]}}'
                 ']}', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(p), "--data-dir", str(shared_data)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "installed_at" in r.stderr and "Traceback" not in r.stderr
