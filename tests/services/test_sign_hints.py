"""Sites outside the area that a flipped sign would put inside it get a hint (issue 8, item 10)."""

from __future__ import annotations

import subprocess
import sys

from geozones.engine import evaluate
from geozones.io.sites import sites_frame
from geozones.services.checking import sign_hints


def test_every_latitude_without_its_minus_gets_a_hint(jakpus_layers, jakpus_rules):
    # Johar Baru and Kemayoran, both written north of the equator: nothing in the file alone shows it
    table = evaluate(sites_frame([106.8560, 106.8680], [6.1830, 6.1790], site_id=["A1", "A2"]), jakpus_layers,
                     jakpus_rules, at="2024-10-15T10:00")
    assert set(table["verdict"]) == {"OUTSIDE_AREA"}
    hints = sign_hints(table, jakpus_layers)
    assert len(hints) == 1 and "lintang" in hints[0] and "latitude" in hints[0] and "A1, A2" in hints[0]


def test_no_hint_for_sites_truly_outside_or_inside(jakpus_layers, jakpus_rules):
    table = evaluate(sites_frame([106.8560, 106.80], [-6.1830, -6.30], site_id=["in", "selatan"]), jakpus_layers,
                     jakpus_rules, at="2024-10-15T10:00")
    assert list(table["verdict"] == "OUTSIDE_AREA") == [False, True]
    assert sign_hints(table, jakpus_layers) == []


def test_the_cli_prints_the_hint(tmp_path, shared_data):
    src = tmp_path / "sites.csv"
    src.write_text("id,lon,lat\nA1,106.8560,6.1830\nA2,106.8680,6.1790\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "geozones", "check", str(src), "--data-dir", str(shared_data),
                          "--at", "2024-10-15T10:00", "--out", str(tmp_path / "o.csv")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "sign of their latitude flipped" in res.stderr and "tanda lintang dibalik" in res.stderr
